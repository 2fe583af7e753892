/** The decision fields the decision log shows, with the veto and risk notes worked out on the server. */
import type { DecisionRecord } from '@/engine/ports/journal';
import { formatNumber } from '@/app/_components/format';
import { chartQuery } from '@/app/_components/chart/chart-params';

export interface DecisionRow {
  id: string;
  timeMs: number;
  symbol: string;
  strategy: string;
  outcome: DecisionRecord['outcome'];
  side: DecisionRecord['side'];
  strength: number;
  reason: string;
  runId: string | null;
  /** The chart centred on this decision, with its run's (or live) markers. */
  chartHref: string;
  /** `veto v3: p(loss) 0.71 vs 0.6`, when the veto model judged it. */
  veto: string | null;
  /** The failed risk checks, `leverage_after 3.2 > 3, …`, when any failed. */
  failedChecks: string | null;
}

/** The veto verdict of a decision, when its inputs carry one. */
function vetoNote(inputs: Record<string, unknown>): string | null {
  const veto = inputs.veto as { modelVersion?: unknown; lossProbability?: unknown; threshold?: unknown } | undefined;
  if (!veto || typeof veto !== 'object') return null;
  return `veto ${String(veto.modelVersion ?? '?')}: p(loss) ${formatNumber(veto.lossProbability, 4)} vs ${formatNumber(veto.threshold, 4)}`;
}

/** Failed risk checks of a decision, when its inputs carry them. */
function failedChecks(inputs: Record<string, unknown>): string | null {
  const risk = inputs.risk;
  if (!Array.isArray(risk)) return null;
  const failed = risk.filter((c) => c && typeof c === 'object' && (c as { passed?: unknown }).passed === false) as { name: string; value: number; limit: number }[];
  return failed.length ? failed.map((c) => `${c.name} ${formatNumber(c.value, 4)} > ${formatNumber(c.limit, 4)}`).join(', ') : null;
}

/** A decision as the log shows it (its full inputs stay on the server). */
export function toDecisionRow(d: DecisionRecord): DecisionRow {
  return {
    id: d.id,
    timeMs: d.timeMs,
    symbol: d.symbol,
    strategy: d.strategy,
    outcome: d.outcome,
    side: d.side,
    strength: d.strength,
    reason: d.reason,
    runId: d.runId,
    chartHref: `/chart?${chartQuery({ exchange: d.exchange, symbol: d.symbol, timeframe: d.timeframe, runId: d.runId, atMs: d.timeMs })}`,
    veto: vetoNote(d.inputs),
    failedChecks: failedChecks(d.inputs),
  };
}
