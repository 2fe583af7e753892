import { requireRole } from '@/app/_server/auth/page-gate';
import { roleAtLeast } from '@/app/_server/auth/roles';
import { fmtTime } from '@/app/_components/format';
import { TIMEFRAME_MS } from '@/engine/core/types';
import { VENUE_IDS } from '@/engine/venues/registry';
import { CandleUpload } from './_components/candle-upload';
import { CandleDownloads } from './_components/candle-downloads';
import { downloadCandles } from './actions';
import { ScrollTable } from '@/app/_components/scroll-table';

export const dynamic = 'force-dynamic';

/** Largest gaps listed per market. */
const LARGEST_GAPS = 3;

const streamParam = (s: { exchange: string; symbol: string; timeframe: string }) => encodeURIComponent(`${s.exchange}|${s.symbol}|${s.timeframe}`);
const count = (n: number) => n.toLocaleString('en-US');

/**
 * Markets: every stored candle stream with its range, count and gaps (computed by the database), a
 * link to its chart; traders and admins upload CSV files and queue downloads here while the server runs.
 */
export default async function MarketsPage() {
  const { root, actor } = await requireRole('viewer', '/markets');
  const canEdit = roleAtLeast(actor.role, 'trader');
  const [markets, downloads] = await Promise.all([root.engine.listCandleCoverage(LARGEST_GAPS), root.engine.listTickets({ kind: 'download-candles', limit: 10 })]);
  const timeframes = Object.keys(TIMEFRAME_MS);
  return (
    <>
      <section className="card" aria-labelledby="markets-heading">
        <h1 id="markets-heading">Markets</h1>
        {markets.length === 0 ? (
          <p className="muted" data-testid="markets-empty">
            No candles stored yet.{' '}
            {canEdit
              ? 'Upload a CSV file or download from an exchange below; the server keeps running.'
              : 'A trader or admin can upload a CSV file or download candles from an exchange on this page.'}
          </p>
        ) : (
          <ScrollTable label="Markets" data-testid="markets">
              <caption className="muted">
                Missing: candles absent between the first and last stored one, out of those expected on the timeframe&apos;s grid; the {LARGEST_GAPS} largest gaps give the last candle before and the first after.
              </caption>
              <thead>
                <tr>
                  <th scope="col">Exchange</th>
                  <th scope="col">Symbol</th>
                  <th scope="col">Timeframe</th>
                  <th scope="col">First (UTC)</th>
                  <th scope="col">Last (UTC)</th>
                  <th scope="col">Candles</th>
                  <th scope="col">Missing</th>
                  <th scope="col">Largest gaps (UTC)</th>
                  <th scope="col">
                    <span className="muted">Chart</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {markets.map((m) => (
                  <tr key={`${m.exchange}|${m.symbol}|${m.timeframe}`} data-testid="market-row" data-market={`${m.exchange} ${m.symbol} ${m.timeframe}`}>
                    <td>{m.exchange}</td>
                    <td>{m.symbol}</td>
                    <td>{m.timeframe}</td>
                    <td data-testid="market-first">{fmtTime(m.firstOpenTimeMs)}</td>
                    <td data-testid="market-last">{fmtTime(m.lastOpenTimeMs)}</td>
                    <td data-testid="market-count">{count(m.count)}</td>
                    <td data-testid="market-missing">
                      {m.missingCount === 0 ? (
                        <span className="badge ok">none</span>
                      ) : (
                        <>
                          <span className="badge warn">{count(m.missingCount)}</span> of {count(m.expectedCount)} in {count(m.gapCount)} gap{m.gapCount === 1 ? '' : 's'}
                        </>
                      )}
                    </td>
                    <td data-testid="market-gaps">
                      {m.largestGaps.length === 0 ? (
                        '—'
                      ) : (
                        <ul style={{ margin: 0, paddingLeft: '1rem' }}>
                          {m.largestGaps.map((g) => (
                            <li key={g.afterOpenTimeMs}>
                              {fmtTime(g.afterOpenTimeMs)} → {fmtTime(g.beforeOpenTimeMs)} ({count(g.missing)} missing)
                            </li>
                          ))}
                        </ul>
                      )}
                    </td>
                    <td>
                      <a href={`/chart?stream=${streamParam(m)}`}>Chart</a>
                    </td>
                  </tr>
                ))}
              </tbody>
          </ScrollTable>
        )}
      </section>
      {canEdit ? (
        <section className="card" aria-labelledby="upload-heading">
          <h2 id="upload-heading">Upload a CSV file</h2>
          <CandleUpload exchanges={VENUE_IDS} timeframes={timeframes} />
        </section>
      ) : null}
      <section className="card" aria-labelledby="download-heading">
        <h2 id="download-heading">Download from an exchange</h2>
        <CandleDownloads
          initial={JSON.parse(JSON.stringify(downloads))}
          nowMs={Date.now()}
          canDownload={canEdit}
          exchanges={VENUE_IDS.map((id) => ({ value: id, label: id }))}
          timeframes={timeframes}
          download={downloadCandles}
        />
      </section>
    </>
  );
}
