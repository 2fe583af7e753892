/**
 * CSV lines for the trade journal export: one header line, then one line per trade, each ending
 * in `\r\n` (RFC 4180). `run_id` names a backtest's run, `account_id` the account whose session traded (empty on a
 * backtest's trades). Times are ISO-8601 UTC; money is the journaled number in quote currency:
 * `realized_pnl` is the gross PnL from prices, `fees` and `funding` are what the trade paid, and
 * `net_pnl` = realized_pnl − fees − funding (`tradeNetPnl`), what it changed equity by; `initial_risk` is
 * |entry − initial stop| × amount (empty when unknown) and `r_multiple` = net_pnl / initial_risk.
 */
import type { TradeRecord } from '../ports/journal';
import { tradeNetPnl } from '../insight/trade-outcome';

/** Columns of the export, in order. */
export const TRADE_CSV_COLUMNS = [
  'id',
  'run_id',
  'account_id',
  'exchange',
  'symbol',
  'strategy',
  'side',
  'amount',
  'entry_price',
  'exit_price',
  'entry_time',
  'exit_time',
  'realized_pnl',
  'fees',
  'funding',
  'net_pnl',
  'exit_reason',
  'initial_risk',
  'r_multiple',
] as const;

/** Quotes a field when it holds a comma, quote, CR or LF (quotes doubled), per RFC 4180. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV line (with its `\r\n`) for a trade, in {@link TRADE_CSV_COLUMNS} order. */
export function tradeCsvLine(t: TradeRecord): string {
  return `${[
    t.id,
    t.runId,
    t.accountId ?? null,
    t.exchange,
    t.symbol,
    t.strategy,
    t.side,
    t.amount,
    t.entryPrice,
    t.exitPrice,
    new Date(t.entryTimeMs).toISOString(),
    new Date(t.exitTimeMs).toISOString(),
    t.realizedPnl,
    t.fees,
    t.funding,
    tradeNetPnl(t),
    t.exitReason,
    t.initialRisk ?? null,
    t.initialRisk !== undefined && t.initialRisk !== null && t.initialRisk > 0 ? tradeNetPnl(t) / t.initialRisk : null,
  ]
    .map(csvField)
    .join(',')}\r\n`;
}

/**
 * The export as chunks of text: the header, then trades in batches of `linesPerChunk` lines
 * (default 500). Pulls trades lazily, so memory stays constant whatever the row count.
 */
export async function* tradesToCsv(trades: AsyncIterable<TradeRecord>, linesPerChunk = 500): AsyncGenerator<string> {
  yield `${TRADE_CSV_COLUMNS.join(',')}\r\n`;
  let chunk = '';
  let lines = 0;
  for await (const trade of trades) {
    chunk += tradeCsvLine(trade);
    if (++lines === linesPerChunk) {
      yield chunk;
      chunk = '';
      lines = 0;
    }
  }
  if (chunk !== '') yield chunk;
}
