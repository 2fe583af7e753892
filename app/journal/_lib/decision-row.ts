/** The decision fields the decision log shows, with the veto and risk notes worked out on the server. */
import type { DecisionRecord } from '@/engine/ports/journal';
import { fmtPct, fmtPrice, formatNumber } from '@/app/_components/format';
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
  /** What the loop's other models said on an entry (`regime@v3: range, risk × 0.5 · …`), when any was on. */
  models: string | null;
}

/**
 * What the regime, volatility and stop-distance models said on a decision, when its inputs carry them:
 * `regime@v3: range, risk × 0.5 · volatility@v2: 0.84 % predicted, size × 0.6 · stop-distance@v4: 1.8 ATR, stop 97.25`.
 */
export function modelsNote(inputs: Record<string, unknown>): string | null {
  const models = inputs.models as Record<string, Record<string, unknown> | undefined> | undefined;
  if (!models || typeof models !== 'object') return null;
  const parts: string[] = [];
  const { regime, volatility, stopDistance } = models;
  if (regime) parts.push(`${String(regime.modelVersion ?? '?')}: ${String(regime.regime ?? '?')}, risk × ${formatNumber(regime.riskMultiplier, 4)}`);
  if (volatility) {
    const predicted = typeof volatility.predicted === 'number' ? fmtPct(volatility.predicted * 100, 3) : '—';
    parts.push(`${String(volatility.modelVersion ?? '?')}: ${predicted} predicted, size × ${formatNumber(volatility.scale, 4)}`);
  }
  if (stopDistance) {
    const stop = typeof stopDistance.stopPrice === 'number' ? `stop ${fmtPrice(stopDistance.stopPrice)}` : 'no ATR yet, strategy stop';
    parts.push(`${String(stopDistance.modelVersion ?? '?')}: ${formatNumber(stopDistance.predictedAtr, 2)} ATR, ${stop}`);
  }
  return parts.length ? parts.join(' · ') : null;
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
    chartHref: `/chart?${chartQuery({ exchange: d.exchange, symbol: d.symbol, timeframe: d.timeframe, runId: d.runId, accountId: d.accountId, atMs: d.timeMs })}`,
    veto: vetoNote(d.inputs),
    failedChecks: failedChecks(d.inputs),
    models: modelsNote(d.inputs),
  };
}
