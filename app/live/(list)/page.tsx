import { requireRole } from '@/app/_server/auth/page-gate';
import { roleAtLeast } from '@/app/_server/auth/roles';
import { ActionForm, FieldErrorText, FormField } from '@/app/_components/action-form';
import { fmtTime } from '@/app/_components/format';
import { VENUES } from '@/engine/venues/registry';
import { TIMEFRAME_MS } from '@/engine/core/types';
import { startLiveSession, stopLiveSession } from '../actions';
import { liveSessionHref } from '../_lib/session-id-param';
import { sessionAccountOf, sessionModeOf } from '@/engine/live/session-window';
import { ScrollTable } from '@/app/_components/scroll-table';
import { ModelFields } from '@/app/_components/models/model-fields';
import { deployedLoopModelsOf } from '@/app/_components/models/model-form';
import '../../journal/journal.css';

export const dynamic = 'force-dynamic';

const ACTIVE = new Set(['starting', 'running', 'reconnecting']);
const STATUS_CLASS: Record<string, string> = { running: 'ok', starting: 'warn', reconnecting: 'warn', stopping: 'warn', completed: 'ok', failed: 'bad' };

/** Sessions: replays of stored candles, paper dry runs on live candles, and (admins) live trading; start and stop them. */
export default async function LivePage() {
  const access = await requireRole('viewer', '/live');
  const { root, actor } = access;
  const [sessions, accounts, streams, settings, models] = await Promise.all([
    root.engine.listLiveSessions(),
    root.engine.accounts.list(),
    root.engine.listCandleStreams(),
    root.engine.getTradingSettings(),
    root.engine.models.list().catch(() => []),
  ]);
  const deployedModels = deployedLoopModelsOf(models);
  const canTrade = roleAtLeast(actor.role, 'trader');
  const admin = roleAtLeast(actor.role, 'admin');
  const accountName = new Map(accounts.map((a) => [a.id, a.settings.name]));
  const firstStream = streams[0];
  return (
    <>
      <section className="card" aria-labelledby="live-heading">
        <h1 id="live-heading">Sessions</h1>
        <p className="muted">
          Each session runs the same loop as a backtest and trades an account through the account&apos;s risk engine. A <strong>replay</strong> trades
          stored candles from a start date at a chosen speed (offline paper trading); <strong>paper</strong> trades live candles with paper fills;
          <strong> live</strong> sends orders to the venue (admins, with stored keys).
        </p>
        {sessions.length === 0 ? (
          <p className="muted" data-testid="live-empty">
            No sessions yet{canTrade ? ': start one below.' : '.'}
          </p>
        ) : (
          <ScrollTable label="Live sessions" wide data-testid="live-sessions">
              <thead>
                <tr>
                  <th scope="col">Market</th>
                  <th scope="col">Mode</th>
                  <th scope="col">Account</th>
                  <th scope="col">Status</th>
                  <th scope="col">Candles</th>
                  <th scope="col">Last candle (UTC)</th>
                  <th scope="col">Error</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {sessions.map((s) => {
                  const status = s.state?.status ?? s.status;
                  const accountId = sessionAccountOf(s);
                  const mode = sessionModeOf(s);
                  return (
                    <tr key={s.id} data-testid="live-session-row" data-session-id={s.id}>
                      <td>
                        <a href={liveSessionHref(s.id)} data-testid="live-session-link">
                          {s.exchange} {s.symbol} {s.timeframe}
                        </a>
                      </td>
                      <td data-testid="session-mode">{mode === 'live' ? <strong>LIVE</strong> : mode}</td>
                      <td data-testid="session-account">
                        <a href={`/accounts/${accountId}`}>{accountName.get(accountId) ?? accountId}</a>
                      </td>
                      <td>
                        <span className={`badge ${STATUS_CLASS[status] ?? ''}`} data-testid="session-status">
                          {status}
                        </span>
                      </td>
                      <td>{s.state ? s.state.candlesProcessed : '—'}</td>
                      <td>{fmtTime(s.state?.lastCandleMs ?? s.lastCandleMs)}</td>
                      <td className={s.state?.lastError ?? s.lastError ? 'error' : undefined}>{s.state?.lastError ?? s.lastError ?? ''}</td>
                      <td>
                        <a href={liveSessionHref(s.id)} data-testid="live-session-drift" aria-label={`Drift versus replay: ${s.exchange} ${s.symbol} ${s.timeframe}`}>
                          Drift versus replay
                        </a>
                        {canTrade && (ACTIVE.has(status) || (s.state !== null && status !== 'stopped' && status !== 'completed')) ? (
                          <ActionForm action={stopLiveSession} submitLabel={`Stop ${s.symbol}`} testId="stop-session-form">
                            <input type="hidden" name="id" value={s.id} />
                          </ActionForm>
                        ) : null}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
          </ScrollTable>
        )}
      </section>
      {canTrade ? (
        <section className="card" aria-labelledby="start-heading">
          <h2 id="start-heading">Start a session</h2>
          <p className="muted">
            Replays need stored candles of the market{' '}
            {firstStream ? (
              <>
                (e.g. {firstStream.exchange} {firstStream.symbol} {firstStream.timeframe} from {fmtTime(firstStream.firstOpenTimeMs)} UTC)
              </>
            ) : (
              <>(none stored yet: import some first)</>
            )}
            . An account trades one symbol in one session at a time.
          </p>
          <ActionForm action={startLiveSession} submitLabel="Start session" testId="live-start-form" className="stack-form" showResult>
            <div className="form-grid">
              <FormField
                name="mode"
                label="Mode"
                defaultValue="replay"
                options={[
                  { value: 'replay', label: 'replay (stored candles)' },
                  { value: 'paper', label: 'paper (live candles, paper fills)' },
                  ...(admin ? [{ value: 'live', label: 'live (real venue)' }] : []),
                ]}
              />
              <FormField name="accountId" label="Account" defaultValue="default" options={accounts.map((a) => ({ value: a.id, label: `${a.settings.name} (${a.id})` }))} />
              <FormField
                name="exchange"
                label="Exchange"
                defaultValue="binance"
                options={Object.values(VENUES).map((venue) => ({ value: venue.id, label: `${venue.id} (${venue.label})` }))}
              />
              <FormField name="symbol" label="Symbol" defaultValue={firstStream?.symbol ?? 'BTC/USDT'} required />
              <FormField name="timeframe" label="Timeframe" defaultValue={firstStream?.timeframe ?? '5m'} options={Object.keys(TIMEFRAME_MS)} />
              <FormField name="veto" label="Veto model" defaultValue="on" options={[{ value: 'on', label: 'on (follow the deployed model)' }, { value: 'off', label: 'off' }]} />
              <FormField name="from" label="Replay from" hint="UTC date, replay only" type="date" />
              <FormField name="speed" label="Replay speed" hint="candles/s or max" placeholder="50" />
              <FormField
                name="reconcile"
                label="Foreign orders at start"
                hint="live only: open orders on the symbol not placed by this session"
                defaultValue="adopt"
                options={[
                  { value: 'adopt', label: 'leave on the venue (warn)' },
                  { value: 'cancel', label: 'cancel them' },
                ]}
              />
            </div>
            <fieldset>
              <legend>Strategies (checked: enabled on /strategies; parameters, weights and thresholds are the saved ones)</legend>
              {root.engine.strategies.list().filter((entry) => !entry.loadError).map((entry) => (
                <label key={entry.name}>
                  <input type="checkbox" name="strategies" value={entry.name} defaultChecked={settings.strategy.adapters[entry.name]?.enabled ?? false} /> {entry.name}{' '}
                  <span className="muted">
                    ({entry.source} {entry.version})
                  </span>
                </label>
              ))}
              <FieldErrorText name="strategies" />
            </fieldset>
            <ModelFields idPrefix="live" deployed={deployedModels} renderError={(name) => <FieldErrorText name={name} />} />
          </ActionForm>
        </section>
      ) : null}
    </>
  );
}
