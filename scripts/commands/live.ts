/**
 * `live`: live sessions from the command line.
 *   live run  --exchange binance --symbol BTC/USDT --timeframe 5m [--strategies ma-crossover[,..]] [--live-trading]
 *             runs a session in this process until Ctrl-C (paper dry run unless --live-trading)
 *   live list [--json]
 * Exit codes: 0 done, 1 failure, 2 bad input.
 */
import { parseArgs } from 'node:util';
import { ValidationError } from '../../engine/core/errors';
import type { Engine } from '../../engine/engine';
import { sessionAccountOf, sessionModeOf } from '../../engine/live/session-window';

export const LIVE_USAGE = `usage: npm run cli -- live run --exchange binance --symbol BTC/USDT --timeframe 5m [--strategies ma-crossover] [--account ID]
                                [--mode replay --from 2024-01-01 [--speed 50|max]] [--veto on|off] [--live-trading]
       npm run cli -- live list [--json]
       npm run cli -- live drift --id <session id> [--json]   (live vs a backtest replay of the same period)`;

export interface LiveCommandServices {
  engine: Pick<Engine, 'startLiveSession' | 'stopLiveSession' | 'listLiveSessions' | 'liveDrift'>;
  stdout(s: string): void;
  stderr(s: string): void;
  /** Resolves when the operator asks to stop (Ctrl-C). */
  untilInterrupted(): Promise<void>;
}

export async function runLiveCommand(args: string[], services: LiveCommandServices): Promise<number> {
  const [sub, ...rest] = args;
  const usage = (message: string) => {
    services.stderr(`live: ${message}\n${LIVE_USAGE}`);
    return 2;
  };
  if (sub === 'list') {
    const sessions = await services.engine.listLiveSessions();
    if (rest.includes('--json')) services.stdout(JSON.stringify(sessions, null, 2));
    else if (sessions.length === 0) services.stdout('no live sessions yet; start one with `npm run cli -- live run ...`');
    else
      for (const s of sessions) {
        const last = s.lastCandleMs === null ? 'no candle yet' : `last candle ${new Date(s.lastCandleMs).toISOString()}`;
        const mode = sessionModeOf(s);
        services.stdout(`${s.id}  ${s.status.padEnd(12)} ${(mode === 'live' ? 'LIVE' : mode).padEnd(6)} ${sessionAccountOf(s)}  ${last}${s.lastError ? `  error: ${s.lastError}` : ''}`);
      }
    return 0;
  }
  if (sub === 'drift') {
    const at = rest.indexOf('--id');
    const id = at >= 0 ? rest[at + 1] : undefined;
    if (!id) return usage('missing --id');
    try {
      const report = await services.engine.liveDrift(id);
      if (rest.includes('--json')) {
        services.stdout(JSON.stringify(report, null, 2));
        return 0;
      }
      const money = (v: number) => (v >= 0 ? '+' : '') + v.toFixed(2);
      services.stdout(`drift of ${report.sessionId} (${new Date(report.fromMs).toISOString()} to ${new Date(report.toMs).toISOString()}), live minus backtest replay:`);
      for (const r of report.rows) {
        services.stdout(`  ${new Date(r.live.entryTimeMs).toISOString()} ${r.live.side.padEnd(5)} entry ${money(r.entryFill)} exit ${money(r.exitFill)} fees ${money(r.fees)} funding ${money(r.funding)} delay ${r.entryDelayMs / 1000}s  pnl ${money(r.pnl)}`);
      }
      services.stdout(`  only live: ${report.onlyLive.length} trades; only in the replay: ${report.onlySimulated.length} trades`);
      const t = report.totals;
      services.stdout(`totals: entry ${money(t.entryFill)}  exit ${money(t.exitFill)}  fees ${money(t.fees)}  funding ${money(t.funding)}  timing ${money(t.timing)}  = pnl ${money(t.pnl)}`);
      return 0;
    } catch (error) {
      if (error instanceof ValidationError) {
        services.stderr(`live: ${error.message}`);
        return 2;
      }
      throw error;
    }
  }
  if (sub !== 'run') return usage(`unknown subcommand "${sub ?? ''}"`);
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        exchange: { type: 'string' },
        symbol: { type: 'string' },
        timeframe: { type: 'string' },
        strategies: { type: 'string' },
        'live-trading': { type: 'boolean', default: false },
        account: { type: 'string' },
        mode: { type: 'string' },
        from: { type: 'string' },
        speed: { type: 'string' },
        veto: { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    return usage((error as Error).message);
  }
  for (const flag of ['exchange', 'symbol', 'timeframe'] as const) if (!values[flag]) return usage(`missing --${flag}`);
  try {
    const state = await services.engine.startLiveSession({
      exchange: values.exchange,
      symbol: values.symbol,
      timeframe: values.timeframe,
      // Without --strategies: the enabled adapters of the saved strategy settings.
      ...(values.strategies ? { strategies: values.strategies.split(',').map((s) => s.trim()) } : {}),
      liveTrading: values['live-trading'],
      ...(values.account !== undefined ? { accountId: values.account } : {}),
      ...(values.mode !== undefined ? { mode: values.mode } : {}),
      ...(values.from !== undefined ? { from: /^\d+$/.test(values.from) ? Number(values.from) : values.from } : {}),
      ...(values.speed !== undefined ? { speed: values.speed === 'max' ? 'max' : Number(values.speed) } : {}),
      ...(values.veto !== undefined ? { veto: values.veto } : {}),
    });
    const kind = values['live-trading'] ? 'LIVE trading' : values.mode === 'replay' ? 'replay of stored candles' : 'paper dry run';
    services.stdout(`session ${state.id} ${state.status} (${kind}); Ctrl-C stops it`);
    // A replay ends by itself at the last stored candle; any session ends on Ctrl-C.
    let finished = false;
    const ended = (async () => {
      while (!finished) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        const current = (await services.engine.listLiveSessions()).find((s) => s.id === state.id);
        if (current && ['completed', 'halted', 'stopped'].includes(current.status)) return;
      }
    })();
    await Promise.race([services.untilInterrupted(), ended]);
    finished = true;
    const end = await services.engine.stopLiveSession(state.id);
    services.stdout(`live session ${end.id} ${end.status === 'completed' ? 'completed' : 'stopped'} after ${end.candlesProcessed} candles${end.lastCandleMs !== null ? ` (last candle ${new Date(end.lastCandleMs).toISOString()})` : ''}`);
    return 0;
  } catch (error) {
    if (error instanceof ValidationError) {
      services.stderr(`live: ${error.message}`);
      return 2;
    }
    throw error;
  }
}
