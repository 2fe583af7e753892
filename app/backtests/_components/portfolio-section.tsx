/**
 * A portfolio run's markets: the per-market breakdown (trades, win rate, net PnL, fees, contribution,
 * drawdown of the contribution, entries denied by the shared caps) and the correlation matrix of the
 * markets' returns. Server component; both tables scroll inside their own region at 390 px.
 */
import { DASH, fmtMoney, fmtNumber, fmtPct, fmtTime } from '@/app/_components/format';
import { ScrollTable } from '@/app/_components/scroll-table';
import { chartQuery } from '@/app/_components/chart/chart-params';
import type { StoredBacktestRunMetrics } from '@/engine/backtest/run-backtest';

type Portfolio = NonNullable<StoredBacktestRunMetrics['portfolio']>;

/** A correlation as a trader reads it: two decimals with its sign, an em dash when undefined. */
function fmtCorrelation(r: number | null): string {
  if (r === null) return DASH;
  return `${r > 0 ? '+' : ''}${fmtNumber(r, 2)}`;
}

export function PortfolioSection({
  portfolio,
  run,
  quote,
}: {
  portfolio: Portfolio;
  run: { id: string; exchange: string; timeframe: string; fromMs: number; toMs: number };
  quote: string;
}) {
  const { markets, correlation } = portfolio;
  return (
    <section className="card" aria-labelledby="portfolio-heading" data-testid="portfolio-section">
      <h2 id="portfolio-heading">Markets ({markets.length}, one account)</h2>
      <p className="muted">
        Money in {quote}. Contribution: what the market added to the shared account&apos;s equity; its drawdown is the largest fall of that contribution from
        its peak. Denied: entries the risk gate refused, the caps shared across the markets (max open positions, exposure) included.
      </p>
      <ScrollTable label="Per-market breakdown" data-testid="portfolio-markets">
        <caption className="sr-only">Per-market breakdown of run {run.id}</caption>
        <thead>
          <tr>
            <th scope="col">Market</th>
            <th scope="col" className="num">Trades</th>
            <th scope="col" className="num">Win rate</th>
            <th scope="col" className="num">Net PnL</th>
            <th scope="col" className="num">Fees</th>
            <th scope="col" className="num">Contribution</th>
            <th scope="col" className="num">Drawdown</th>
            <th scope="col" className="num">Denied</th>
            <th scope="col">Joined</th>
          </tr>
        </thead>
        <tbody>
          {markets.map((m) => (
            <tr key={m.symbol} data-testid="portfolio-market-row" data-symbol={m.symbol} data-trades={m.trades}>
              <th scope="row">
                <a href={`/chart?${chartQuery({ exchange: run.exchange, symbol: m.symbol, timeframe: run.timeframe, runId: run.id })}`} data-testid="market-chart-link">
                  {m.symbol}
                </a>
              </th>
              <td className="num" data-testid="market-trades">{m.trades}</td>
              <td className="num" data-testid="market-win-rate">{m.winRate === null ? DASH : fmtPct(m.winRate * 100, 1)}</td>
              <td className="num" data-testid="market-net-pnl">{fmtMoney(m.netPnl)}</td>
              <td className="num">{fmtMoney(m.fees)}</td>
              <td className="num">{fmtMoney(m.contribution)}</td>
              <td className="num">{fmtMoney(m.maxDrawdown)}</td>
              <td className="num" data-testid="market-denied">{m.denied}</td>
              <td>{fmtTime(m.firstOpenTimeMs)}</td>
            </tr>
          ))}
        </tbody>
      </ScrollTable>
      <h3>Correlation of the markets&apos; returns</h3>
      <p className="muted">
        Pearson&apos;s r of each pair&apos;s per-candle contributions to the account&apos;s return, over the candles both markets have: +1 they gained and lost together,
        −1 one gained when the other lost, near 0 unrelated. {DASH} when a market never moved the account (no trades).
      </p>
      <ScrollTable label="Return correlation matrix" data-testid="portfolio-correlation">
        <caption className="sr-only">Correlation of the markets&apos; returns in run {run.id}</caption>
        <thead>
          <tr>
            <td />
            {correlation.symbols.map((s) => (
              <th scope="col" key={s} className="num">
                {s}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {correlation.matrix.map((row, i) => (
            <tr key={correlation.symbols[i]}>
              <th scope="row">{correlation.symbols[i]}</th>
              {row.map((r, j) => (
                <td key={correlation.symbols[j]} className="num" data-testid={`correlation-${i}-${j}`}>
                  {fmtCorrelation(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </ScrollTable>
    </section>
  );
}
