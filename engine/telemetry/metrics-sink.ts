/** Maps risk denials to the bounded `DenialCode` labels of the metrics port (engine/ports/metrics.ts). */
import { VAR_NO_HISTORY, type RiskCheck } from '../risk/risk-engine';
import { DenialCode } from '../ports/metrics';

/**
 * Maps a risk denial (its reason text and checks) to a `DenialCode`: the first failed check when
 * there is one, else the reason's leading words (`halted: ...`, `equity ... is not positive`,
 * `no usable stop: ...`, `stop ... is not a positive price`, `var: not enough return history ...`), else `other`. Never throws.
 */
export function denialCodeOf(reason: string, checks: readonly RiskCheck[] = []): DenialCode {
  for (const check of checks) {
    if (!check.passed) return `risk_limit:${check.name}` as DenialCode;
  }
  if (reason.startsWith('halted')) return DenialCode.Halted;
  if (reason.startsWith(VAR_NO_HISTORY)) return DenialCode.NoReturnHistory;
  if (reason.startsWith('no usable stop')) return DenialCode.NoUsableStop;
  if (reason.startsWith('equity ') && reason.endsWith('is not positive')) return DenialCode.NonPositiveEquity;
  if (reason.startsWith('stop ')) return DenialCode.InvalidStop;
  return DenialCode.Other;
}

