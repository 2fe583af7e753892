/**
 * The drift view of a live session: totals per cause, the per-trade table (live against replay
 * prices, differences per cause) and the trades only one side made; or the reason no replay could
 * be compared (candles missing). Server components; amounts are live minus replay, quote currency.
 */
import type { DriftReport, DriftTrade } from '@/engine/insight/live-drift';
import { tradeNetPnl } from '@/engine/insight/trade-outcome';
import { fmtAmount, fmtPrice, formatNumber, formatTime, signClass } from '@/app/_components/format';
import { driftCauses } from '../_lib/drift-causes';
import { ScrollTable } from '@/app/_components/scroll-table';

/** Net PnL of a round trip: realized minus fees and funding. */
const net = (t: DriftTrade) => tradeNetPnl(t);
/** `+1.25` / `-0.5` / `0`; amounts that round to zero (float noise, -0) show as 0. */
const signed = (value: number, digits = 4) => {
  const shown = Math.abs(value) < 0.5 * 10 ** -digits ? 0 : value;
  return (shown > 0 ? '+' : '') + formatNumber(shown, digits);
};
/** CSS class of a signed amount as shown (noise counts as zero). */
const tone = (value: number, digits = 4) => signClass(Math.abs(value) < 0.5 * 10 ** -digits ? 0 : value);
const seconds = (ms: number) => `${signed(ms / 1000, 0)} s`;

function CauseTotals({ report }: { report: DriftReport }) {
  const causes = driftCauses(report.totals);
  return (
    <ScrollTable label="Drift per cause" data-testid="drift-totals">
        <caption className="sr-only">PnL difference per cause, live minus replay, in quote currency</caption>
        <thead>
          <tr>
            <th scope="col">Cause</th>
            <th scope="col" className="num">Live − replay</th>
            <th scope="col">What it measures</th>
          </tr>
        </thead>
        <tbody>
          {causes.map((c) => (
            <tr key={c.key} data-testid={`drift-cause-${c.key}`} data-amount={c.amount}>
              <th scope="row">{c.label}</th>
              <td className={tone(c.amount)}>{signed(c.amount)}</td>
              <td className="muted">{c.meaning}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr data-testid="drift-cause-total" data-amount={report.totals.pnl}>
            <th scope="row">Net PnL difference</th>
            <td className={tone(report.totals.pnl)}>
              <strong>{signed(report.totals.pnl)}</strong>
            </td>
            <td className="muted">sum of the causes above</td>
          </tr>
        </tfoot>
    </ScrollTable>
  );
}

function MatchedTrades({ rows }: { rows: DriftReport['rows'] }) {
  return (
    <ScrollTable label="Matched trades" wide data-testid="drift-trades">
        <caption className="sr-only">Trades live and the replay both made: prices and the PnL difference per cause</caption>
        <thead>
          <tr>
            <th scope="col">Live entry time</th>
            <th scope="col">Side</th>
            <th scope="col" className="num">Amount</th>
            <th scope="col" className="num">Entry live / replay</th>
            <th scope="col" className="num">Exit live / replay</th>
            <th scope="col" className="num">Entry fill</th>
            <th scope="col" className="num">Exit fill</th>
            <th scope="col" className="num">Fees</th>
            <th scope="col" className="num">Funding</th>
            <th scope="col" className="num">Entry delay</th>
            <th scope="col" className="num">PnL difference</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={`${r.live.entryTimeMs}-${r.simulated.entryTimeMs}`} data-testid="drift-trade-row" data-pnl={r.pnl}>
              <td className="nowrap">{formatTime(r.live.entryTimeMs)}</td>
              <td>{r.live.side}</td>
              <td className="num">{fmtAmount(r.live.amount)}</td>
              <td className="num">
                {fmtPrice(r.live.entryPrice)} / {fmtPrice(r.simulated.entryPrice)}
              </td>
              <td className="num">
                {fmtPrice(r.live.exitPrice)} / {fmtPrice(r.simulated.exitPrice)}
              </td>
              <td className={tone(r.entryFill)}>{signed(r.entryFill)}</td>
              <td className={tone(r.exitFill)}>{signed(r.exitFill)}</td>
              <td className={tone(r.fees)}>{signed(r.fees)}</td>
              <td className={tone(r.funding)}>{signed(r.funding)}</td>
              <td className="num">{seconds(r.entryDelayMs)}</td>
              <td className={tone(r.pnl)}>{signed(r.pnl)}</td>
            </tr>
          ))}
        </tbody>
    </ScrollTable>
  );
}

function UnmatchedTrades({ onlyLive, onlySimulated }: { onlyLive: DriftTrade[]; onlySimulated: DriftTrade[] }) {
  const all = [...onlyLive.map((t) => ({ t, where: 'live only' as const })), ...onlySimulated.map((t) => ({ t, where: 'replay only' as const }))].sort(
    (a, b) => a.t.entryTimeMs - b.t.entryTimeMs,
  );
  return (
    <ScrollTable label="Trades only one side made" wide data-testid="drift-unmatched">
        <caption className="sr-only">Trades only live or only the replay made (timing drift)</caption>
        <thead>
          <tr>
            <th scope="col">Made by</th>
            <th scope="col">Entry time</th>
            <th scope="col">Side</th>
            <th scope="col" className="num">Amount</th>
            <th scope="col" className="num">Entry</th>
            <th scope="col" className="num">Exit</th>
            <th scope="col" className="num">Net PnL</th>
          </tr>
        </thead>
        <tbody>
          {all.map(({ t, where }) => (
            <tr key={`${where}-${t.entryTimeMs}-${t.side}`} data-testid="drift-unmatched-row" data-where={where}>
              <td>{where}</td>
              <td className="nowrap">{formatTime(t.entryTimeMs)}</td>
              <td>{t.side}</td>
              <td className="num">{fmtAmount(t.amount)}</td>
              <td className="num">{fmtPrice(t.entryPrice)}</td>
              <td className="num">{fmtPrice(t.exitPrice)}</td>
              <td className={tone(net(t))}>{signed(net(t))}</td>
            </tr>
          ))}
        </tbody>
    </ScrollTable>
  );
}

/** Totals per cause and the trades; the empty state when the session has made no trades. */
export function DriftReportView({ report }: { report: DriftReport }) {
  const liveTrades = report.rows.length + report.onlyLive.length;
  return (
    <>
      <section className="card" aria-labelledby="totals-heading">
        <h2 id="totals-heading">Drift per cause</h2>
        <p className="muted">Live minus the backtest replay, in quote currency: a negative amount is money live made less than the simulation.</p>
        <CauseTotals report={report} />
      </section>
      <section className="card" aria-labelledby="trades-heading">
        <h2 id="trades-heading">Per trade</h2>
        {liveTrades === 0 ? (
          <p data-testid="drift-empty">
            This session has made no trades yet
            {report.onlySimulated.length > 0 ? `; the replay made ${report.onlySimulated.length}, listed below as timing drift.` : ', and the replay made none either: nothing to compare.'}
          </p>
        ) : report.rows.length === 0 ? (
          <p className="muted">No live trade has a replay trade of the same side within one candle of its entry.</p>
        ) : (
          <MatchedTrades rows={report.rows} />
        )}
        {report.onlyLive.length + report.onlySimulated.length > 0 && (
          <>
            <h3>Trades only one side made</h3>
            <UnmatchedTrades onlyLive={report.onlyLive} onlySimulated={report.onlySimulated} />
          </>
        )}
      </section>
    </>
  );
}

/** Why no replay could be compared (the 4xx message), with the download command when candles are missing. */
export function DriftProblem({ message, market, startedAtMs }: { message: string; market: { exchange: string; symbol: string; timeframe: string }; startedAtMs: number | null }) {
  return (
    <section className="card" role="alert" data-testid="drift-error" aria-labelledby="drift-error-heading">
      <h2 id="drift-error-heading">Cannot compare with a replay</h2>
      <p>{message}</p>
      {message.includes('download-candles') && (
        <p className="muted">
          For example:{' '}
          <code data-testid="download-command">
            npm run cli -- download-candles --exchange {market.exchange} --symbol {market.symbol} --timeframe {market.timeframe}
            {startedAtMs === null ? '' : ` --since ${formatTime(startedAtMs).slice(0, 10)}`}
          </code>{' '}
          (start earlier for the indicators to warm up), then reload this page.
        </p>
      )}
    </section>
  );
}
