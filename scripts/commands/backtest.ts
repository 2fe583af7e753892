/**
 * `backtest`: runs the trading loop over stored candles and prints a summary (JSON with --json).
 * Exit codes: 0 done, 1 unexpected failure, 2 bad input (the message names the field and value;
 * nothing is written).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { ValidationError } from '../../engine/core/errors';
import { runQuoteCurrency, type BacktestResult, type PortfolioMetrics } from '../../engine/backtest/run-backtest';
import { fmtFractionPct, fmtPct } from '../../app/_components/format';

export const BACKTEST_USAGE = `usage: npm run cli -- backtest --exchange binance (--symbol BTC/USDT | --symbols BTC/USDT,ETH/USDT | --symbols all) --timeframe 5m
         --from 2024-01-01 --to 2024-03-01
         [--strategies ma-crossover,rsi-mean-reversion] [--account default] [--config params.json] [--exits exits.json] [--keep-open]
         [--decisions all|signals|off] [--veto on|off] [--json] [--timings]
  Left-out settings come from the account (fee model, balance, risk limits) and the strategy settings saved on /strategies, else the defaults.
  --config: JSON with optional keys "params" (per strategy), "fusion", "risk", "paper", "exits", "closeAtEnd", "models"
           ("models": the regime, volatility and stop-distance models, e.g. {"regime": true, "volatility": {"targetVolatility": 0.01}})
  --exits: JSON exit policy, e.g. {"takeProfit": [{"r": 1, "fraction": 0.5}, {"r": 3}], "trailingStop": {"percent": 2, "activateAtR": 1},
           "timeStop": {"bars": 48}, "minimalRoi": [{"afterMinutes": 0, "profitPercent": 5}]}; default: the first strategy's own exits
  --symbols: a portfolio run over 2..50 markets sharing one account (max open positions and per-symbol exposure apply across them),
             or "all" for every market stored for the exchange and timeframe; prints a per-market breakdown and the return correlations
  --keep-open: leave a position open at the end instead of closing it at the last close (exit reason end-of-run)
  --timings: print to stderr where the time went (start-up, loading, simulation, finishing), the peak memory (the process's own peak resident size, VmHWM on Linux)
             and the CPU time (on a busy machine wall time says little)`;

const CONFIG_KEYS = ['params', 'fusion', 'risk', 'paper', 'decisionDetail', 'exits', 'closeAtEnd', 'models'] as const;

export interface BacktestCommandServices {
  runBacktest(request: unknown, onProgress?: (done: number, total: number) => void): Promise<BacktestResult>;
  stdout(s: string): void;
  stderr(s: string): void;
  progressStream?: NodeJS.WritableStream & { isTTY?: boolean };
  /**
   * For --timings: milliseconds since the process started, the peak resident set size in bytes so far, the
   * CPU time (user + system) in ms so far and, when the CLI measured it, how the start-up divides (see `StartupSplit`).
   */
  process?: { nowMs(): number; maxRssBytes(): number; cpuMs?(): number; startup?: StartupSplit };
}

/** How the start-up divides, ms: loading the code, then opening the database and building the engine (migration check, accounts, models, strategy files). */
export interface StartupSplit {
  modulesMs: number;
  engineMs: number;
}

/**
 * The --timings line. Phases, in ms: start-up = process start to the command running (module loading,
 * then database connection, migration check and the engine's accounts, models and strategy files: split
 * when `startup` is given); load = until the first candle is simulated (request checks, candle
 * and warm-up loading, the run row); simulate = first to last progress report (the loop, with the journal
 * batches written during it); finish = last report to the result (the last candles, journal flush, trades,
 * metrics, run completion). Start-up + load + simulate + finish = total. CPU (when given) is the process's
 * user + system time until the result, in ms: what the run cost on a machine busy with other work.
 */
export function timingsLine(marks: { startMs: number; firstProgressMs: number; lastProgressMs: number; doneMs: number }, maxRssBytes: number, startup?: StartupSplit, cpuMs?: number): string {
  const ms = (v: number) => `${Math.round(v)} ms`;
  const first = Number.isNaN(marks.firstProgressMs) ? marks.doneMs : marks.firstProgressMs;
  const last = Number.isNaN(marks.lastProgressMs) ? first : marks.lastProgressMs;
  const split = startup ? ` (code ${ms(startup.modulesMs)}, database and engine ${ms(startup.engineMs)})` : '';
  return `backtest timings: start-up ${ms(marks.startMs)}${split}, load ${ms(first - marks.startMs)}, simulate ${ms(last - first)}, finish ${ms(marks.doneMs - last)}, total ${ms(marks.doneMs)}; peak memory ${Math.round(maxRssBytes / 1_048_576)} MB (max RSS)${cpuMs === undefined ? '' : `; CPU ${ms(cpuMs)}`}`;
}

/** Pretty number for the summary table. */
const fmt = (v: number, digits = 4) => (Number.isFinite(v) ? Number(v.toFixed(digits)).toString() : String(v));

/** JSON of a result with NaN/Infinity as null and the trades omitted (they are in the journal). */
export function backtestSummary(result: BacktestResult): Record<string, unknown> {
  return {
    runId: result.runId,
    candles: result.candles,
    finalEquity: result.finalEquity,
    returnMetrics: result.returnMetrics,
    tradeMetrics: result.tradeMetrics,
    stats: result.stats,
    ...(result.portfolio ? { portfolio: result.portfolio } : {}),
  };
}

/** The run's market(s) as the summary names them: the symbol, or the symbols of a portfolio. */
function marketsLabel(result: BacktestResult): string {
  const symbols = result.config.symbols;
  return Array.isArray(symbols) ? `${symbols.length} markets (${symbols.join(', ')})` : String(result.config.symbol);
}

/** A portfolio run's per-market table and correlation matrix, as text. */
export function portfolioLines(portfolio: PortfolioMetrics): string[] {
  const width = Math.max(6, ...portfolio.markets.map((m) => m.symbol.length));
  const pad = (s: string) => s.padEnd(width);
  const num = (v: number | null, digits: number, w = 10) => (v === null ? '—' : fmt(v, digits)).padStart(w);
  return [
    '  per market',
    `    ${pad('market')} ${'trades'.padStart(6)} ${'win %'.padStart(10)} ${'net PnL'.padStart(10)} ${'fees'.padStart(10)} ${'max DD'.padStart(10)} ${'denied'.padStart(6)}`,
    ...portfolio.markets.map(
      (m) =>
        `    ${pad(m.symbol)} ${String(m.trades).padStart(6)} ${num(m.winRate === null ? null : m.winRate * 100, 1)} ${num(m.netPnl, 2)} ${num(m.fees, 2)} ${num(m.maxDrawdown, 2)} ${String(m.denied).padStart(6)}`,
    ),
    "  return correlation (Pearson's r of the markets' per-candle contributions to the account's return)",
    `    ${pad('')} ${portfolio.correlation.symbols.map((s) => s.padStart(10)).join(' ')}`,
    ...portfolio.correlation.matrix.map((row, i) => `    ${pad(portfolio.correlation.symbols[i])} ${row.map((r) => num(r, 3)).join(' ')}`),
  ];
}

export async function runBacktestCommand(args: string[], services: BacktestCommandServices): Promise<number> {
  const usageError = (message: string) => {
    services.stderr(`backtest: ${message}\n${BACKTEST_USAGE}`);
    return 2;
  };
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        exchange: { type: 'string' },
        symbol: { type: 'string' },
        symbols: { type: 'string' },
        timeframe: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        strategies: { type: 'string' },
        config: { type: 'string' },
        decisions: { type: 'string' },
        account: { type: 'string' },
        veto: { type: 'string' },
        exits: { type: 'string' },
        'keep-open': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        timings: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return usageError((error as Error).message);
  }
  for (const flag of ['exchange', 'timeframe', 'from', 'to'] as const) {
    if (!values[flag]) return usageError(`missing --${flag}`);
  }
  if (!values.symbol && !values.symbols) return usageError('missing --symbol (or --symbols for a portfolio)');
  if (values.symbol && values.symbols) return usageError('give --symbol or --symbols, not both');
  const symbols = values.symbols === undefined ? undefined : values.symbols.trim() === 'all' ? 'all' : values.symbols.split(',').map((s) => s.trim()).filter(Boolean);
  if (values.veto !== undefined && values.veto !== 'on' && values.veto !== 'off') return usageError(`--veto "${values.veto}" must be on or off`);
  let fileConfig: Record<string, unknown> = {};
  if (values.config) {
    try {
      fileConfig = JSON.parse(await readFile(values.config, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      return usageError(`--config "${values.config}" could not be read as JSON: ${(error as Error).message}`);
    }
    if (fileConfig === null || typeof fileConfig !== 'object' || Array.isArray(fileConfig)) {
      return usageError(`--config "${values.config}" must hold a JSON object`);
    }
    const unknown = Object.keys(fileConfig).filter((k) => !(CONFIG_KEYS as readonly string[]).includes(k));
    if (unknown.length) return usageError(`--config "${values.config}" has unknown key "${unknown[0]}"; expected ${CONFIG_KEYS.join(', ')}`);
  }
  let exits: unknown;
  if (values.exits) {
    try {
      exits = JSON.parse(await readFile(values.exits, 'utf8'));
    } catch (error) {
      return usageError(`--exits "${values.exits}" could not be read as JSON: ${(error as Error).message}`);
    }
  }
  const request = {
    ...fileConfig,
    ...(exits === undefined ? {} : { exits }),
    ...(values['keep-open'] ? { closeAtEnd: false } : {}),
    exchange: values.exchange,
    ...(symbols === undefined ? { symbol: values.symbol } : { symbols }),
    timeframe: values.timeframe,
    from: values.from,
    to: values.to,
    ...(values.strategies ? { strategies: values.strategies.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
    ...(values.account ? { accountId: values.account } : {}),
    ...(values.veto ? { veto: values.veto === 'on' } : {}),
    ...(values.decisions ? { decisionDetail: values.decisions } : {}),
  };

  const stream = services.progressStream;
  const bar = stream?.isTTY && !values.json
    ? new cliProgress.SingleBar({ stream, format: 'backtest {bar} {percentage}% | {value}/{total} candles | eta {eta}s', hideCursor: true }, cliProgress.Presets.shades_classic)
    : null;
  let started = false;
  const clock = values.timings ? services.process : undefined;
  const marks = { startMs: clock ? clock.nowMs() : NaN, firstProgressMs: NaN, lastProgressMs: NaN, doneMs: NaN };
  try {
    const result = await services.runBacktest(request, (done, total) => {
      if (clock) {
        const now = clock.nowMs();
        if (Number.isNaN(marks.firstProgressMs)) marks.firstProgressMs = now;
        marks.lastProgressMs = now;
      }
      if (!started) {
        started = true;
        // Without a terminal there is no bar: say once that the run is under way (logs, CI, tests).
        if (bar) bar.start(total, 0);
        else services.stderr(`backtest: simulating ${total} candles\n`);
      }
      bar?.update(done);
    });
    bar?.stop();
    if (clock) {
      marks.doneMs = clock.nowMs();
      services.stderr(`${timingsLine(marks, clock.maxRssBytes(), clock.startup, clock.cpuMs?.())}\n`);
    }
    if (values.json) {
      services.stdout(`${JSON.stringify(backtestSummary(result), (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
      return 0;
    }
    const r = result.returnMetrics;
    const t = result.tradeMetrics;
    // Money in the run's quote currency, as the run page shows it.
    const quoteCurrency = runQuoteCurrency(result.config);
    const quote = quoteCurrency === null ? '' : ` ${quoteCurrency}`;
    services.stdout(
      [
        `backtest ${result.runId}: ${request.exchange} ${marketsLabel(result)} ${request.timeframe}, ${result.candles} candles, strategies ${((result.config.strategies as string[] | undefined) ?? []).join(', ')}`,
        `  final equity     ${fmt(result.finalEquity, 2)}${quote}`,
        `  total return     ${fmtFractionPct(r.totalReturn)}`,
        `  CAGR             ${fmtFractionPct(r.cagr)}`,
        `  Sharpe           ${fmt(r.sharpe, 3)}`,
        `  Sortino          ${fmt(r.sortino, 3)}`,
        `  max drawdown     ${fmtFractionPct(r.maxDrawdown)} over ${r.maxDrawdownDurationPeriods} candles`,
        `  Calmar           ${fmt(r.calmar, 3)}`,
        `  trades           ${t.trades} (win rate ${fmtFractionPct(t.winRate, 1)}, profit factor ${fmt(t.profitFactor, 3)})`,
        `  expectancy       ${fmt(t.expectancy, 3)} R; average trade ${fmt(t.averageTrade, 2)}${quote}`,
        `  exposure time    ${fmtPct(t.exposureTimePct, 1)}; turnover ${fmt(t.turnover, 2)}x`,
        `  decisions        signals ${result.stats.signals}, entries ${result.stats.entries}, exits ${result.stats.exits}, denied ${result.stats.denied}, vetoed ${result.stats.vetoed}`,
        ...(result.portfolio ? portfolioLines(result.portfolio) : []),
        '',
      ].join('\n'),
    );
    return 0;
  } catch (error) {
    bar?.stop();
    if (error instanceof ValidationError) {
      services.stderr(`backtest: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
