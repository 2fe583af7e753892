/**
 * An account's portfolio value-at-risk and expected shortfall (engine/risk/portfolio-history.ts): in the quote
 * currency and as a percent of equity, with the confidence, the horizon (one candle of the returns' timeframe)
 * and the lookback stated, and the configured limits. No hooks, so server pages and the polled overview share it.
 */
import type { AccountValueAtRisk } from '@/engine/risk/portfolio-history';
import { fmtFractionPct, fmtMoney, fmtTime, formatNumber } from './format';

const pctOfFraction = (fraction: number | null) => (fraction === null ? 'off' : fmtFractionPct(fraction));

/** 1st, 2nd, 3rd, 4th, …, 11th, 12th, 13th, 21st. */
function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${suffix}`;
}

/** The VaR / ES card body (the caller gives the heading). */
export function ValueAtRiskFigures({ value, quote }: { value: AccountValueAtRisk; quote: string }) {
  const confidence = `${formatNumber(value.confidence * 100, 2)}%`;
  if (value.status === 'flat') {
    return (
      <p className="muted" data-testid="var-flat">
        No open positions: nothing at risk (VaR at {confidence} over {value.lookbackCandles} candles once a position is open).
      </p>
    );
  }
  if (value.status === 'unavailable') {
    return (
      <p className="muted" data-testid="var-unavailable">
        VaR not available: {value.reason}.
      </p>
    );
  }
  const items: [string, string, string, string][] = [
    [`VaR ${confidence}`, fmtMoney(value.valueAtRisk), fmtFractionPct(value.varFraction), 'var-value'],
    [`Expected shortfall ${confidence}`, fmtMoney(value.expectedShortfall), fmtFractionPct(value.esFraction), 'es-value'],
  ];
  return (
    <>
      <dl className="metric-cards" data-testid="value-at-risk">
        {items.map(([label, money, pct, testId]) => (
          <div key={testId}>
            <dt>
              {label} ({quote})
            </dt>
            <dd data-testid={testId}>
              {money} <span className="muted">({pct} of equity)</span>
            </dd>
          </div>
        ))}
        <div>
          <dt>Limits (VaR / ES, % of equity)</dt>
          <dd data-testid="var-limits">
            {pctOfFraction(value.maxVarFraction)} / {pctOfFraction(value.maxExpectedShortfallFraction)}
          </dd>
        </div>
      </dl>
      <p className="muted" data-testid="var-basis">
        <small>
          Loss over one {value.timeframe} candle, by historical simulation of today&apos;s positions over the last {value.scenarios} candle returns
          {value.scenarios < value.lookbackCandles ? ` (of ${value.lookbackCandles} configured: less history is stored)` : ''}, {fmtTime(value.fromOpenTimeMs)} to{' '}
          {fmtTime(value.toOpenTimeMs)} UTC. VaR is the {value.quantileRank === 1 ? 'worst' : `${ordinal(value.quantileRank)}-worst`} scenario loss; expected shortfall the
          mean of the {value.tailCount} worst.
        </small>
      </p>
    </>
  );
}
