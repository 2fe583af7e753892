import { requireRole } from '@/app/_server/auth/page-gate';
import { ActionForm } from '@/app/_components/action-form';
import { STRATEGY_NAMES } from '@/engine/strategies/registry';
import { startLiveSession, stopLiveSession } from '../actions';
import { liveSessionHref } from '../_lib/session-id-param';
import '../../journal/journal.css';

export const dynamic = 'force-dynamic';

const iso = (ms: number | null) => (ms === null ? '—' : new Date(ms).toISOString().replace('.000Z', 'Z'));

/** Live sessions: the trading loop on live candles, paper dry run by default. */
export default async function LivePage() {
  const access = await requireRole('viewer', '/live');
  const [sessions, settings] = await Promise.all([access.root.engine.listLiveSessions(), access.root.engine.getTradingSettings()]);
  const canTrade = access.actor.role === 'trader' || access.actor.role === 'admin';
  return (
    <>
      <section className="card" aria-labelledby="live-heading">
        <h1 id="live-heading">Live sessions</h1>
        <p className="muted">
          Each session runs the same loop as a backtest on closed candles polled from the venue. Orders go to the paper account
          (dry run) unless an admin enables live trading for the venue.
        </p>
        {sessions.length === 0 ? (
          <p className="muted" data-testid="live-empty">No live sessions yet.</p>
        ) : (
          <div className="table-scroll">
            <table data-testid="live-sessions">
              <thead>
                <tr><th scope="col">Session</th><th scope="col">Status</th><th scope="col">Mode</th><th scope="col">Last candle</th><th scope="col">Error</th><th scope="col"><span className="sr-only">Actions</span></th></tr>
              </thead>
              <tbody>
                {sessions.map((s) => (
                  <tr key={s.id} data-testid="live-session-row">
                    <td><code>{s.id}</code></td>
                    <td>{s.state?.status ?? s.status}</td>
                    <td>{s.liveTrading ? 'LIVE' : 'paper'}</td>
                    <td>{iso(s.state?.lastCandleMs ?? s.lastCandleMs)}</td>
                    <td>{s.state?.lastError ?? s.lastError ?? ''}</td>
                    <td>
                      <a href={liveSessionHref(s.id)} data-testid="live-session-drift" aria-label={`Drift versus replay: ${s.exchange} ${s.symbol} ${s.timeframe}`}>
                        Drift versus replay
                      </a>
                      {canTrade && (s.state || s.status === 'running') ? (
                        <ActionForm action={stopLiveSession} submitLabel={`Stop ${s.symbol}`}>
                          <input type="hidden" name="id" value={s.id} />
                        </ActionForm>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {canTrade && (
        <section className="card" aria-labelledby="start-heading">
          <h2 id="start-heading">Start a session</h2>
          <ActionForm action={startLiveSession} submitLabel="Start session" testId="live-start-form" showResult>
            <label>Exchange <select name="exchange" defaultValue="binance"><option value="binance">binance (spot)</option><option value="binanceusdm">binanceusdm (USD-M futures)</option></select></label>
            <label>Symbol <input name="symbol" defaultValue="BTC/USDT" required /></label>
            <label>Timeframe <select name="timeframe" defaultValue="5m">{['1m', '5m', '15m', '1h', '4h', '1d'].map((t) => <option key={t} value={t}>{t}</option>)}</select></label>
            <fieldset>
              <legend>Strategies (checked: enabled on /strategies; parameters, weights and thresholds are the saved ones)</legend>
              {STRATEGY_NAMES.map((name) => (
                <label key={name}><input type="checkbox" name="strategies" value={name} defaultChecked={settings.strategy.adapters[name].enabled} /> {name}</label>
              ))}
            </fieldset>
            {access.actor.role === 'admin' && (
              <label><input type="checkbox" name="liveTrading" /> Trade on the real venue (needs stored keys)</label>
            )}
          </ActionForm>
        </section>
      )}
    </>
  );
}
