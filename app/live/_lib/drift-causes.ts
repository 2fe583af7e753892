/**
 * The totals-per-cause table of a drift report. Every amount is live minus the replay, in quote
 * currency. Entry fill, exit fill, fees, funding and timing add up to the PnL difference when
 * each live trade has the replay's size; otherwise the rest is shown as "size and rounding" so
 * the table always sums to the total.
 */
import type { DriftReport } from '@/engine/insight/live-drift';

export interface DriftCause {
  key: 'entryFill' | 'exitFill' | 'fees' | 'funding' | 'timing' | 'size';
  label: string;
  /** What the cause measures, for the table's description column. */
  meaning: string;
  amount: number;
}

/** Amounts smaller than this (quote currency) are float noise, not a size difference. */
const NOISE = 1e-9;

export function driftCauses(totals: DriftReport['totals']): DriftCause[] {
  const causes: DriftCause[] = [
    { key: 'entryFill', label: 'Entry fill', meaning: 'live entry price against the replay, on the live amount', amount: totals.entryFill },
    { key: 'exitFill', label: 'Exit fill', meaning: 'live exit price against the replay, on the live amount', amount: totals.exitFill },
    { key: 'fees', label: 'Fees', meaning: 'replay fees minus live fees', amount: totals.fees },
    { key: 'funding', label: 'Funding', meaning: 'replay funding minus live funding', amount: totals.funding },
    { key: 'timing', label: 'Timing', meaning: 'net PnL of trades only live made, minus those only the replay made', amount: totals.timing },
  ];
  const explained = causes.reduce((sum, c) => sum + c.amount, 0);
  const rest = totals.pnl - explained;
  if (Math.abs(rest) > NOISE) causes.push({ key: 'size', label: 'Size and rounding', meaning: 'matched trades whose live amount differs from the replay', amount: rest });
  return causes;
}
