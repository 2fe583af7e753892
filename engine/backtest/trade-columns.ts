/**
 * A backtest's closed trades kept in typed columns while the run steps, made into trade records once it is done: a
 * record kept per trade costs about 280 bytes on the candle that closes it (the object, one heap number per price,
 * amount and time field, the array's growth), a row of the columns 75 bytes written in place, with no allocation
 * until the columns are full.
 */
import type { ClosedTrade } from '../loop/trading-loop';

/** Closed trades as typed columns (see {@link createTradeColumns}). */
export interface TradeColumns {
  /** Trades kept. */
  readonly length: number;
  /**
   * Appends `trade` (its fields are copied: the loop hands one record rewritten for every trade). `initialRisk` NaN or
   * null (none known) reads back as null. Allocates only when the columns are full (they double) or for a symbol or
   * exit reason not seen before in this run.
   */
  add(trade: ClosedTrade): void;
  /** The trades as records, in the order they were added, with the fields and field order the loop journals. */
  toTrades(): ClosedTrade[];
}

/**
 * Empty trade columns with room for `capacity` trades (an integer >= 1) before they first double.
 * @throws RangeError when `capacity` is not an integer >= 1.
 */
export function createTradeColumns(capacity: number): TradeColumns {
  if (!(Number.isInteger(capacity) && capacity >= 1)) throw new RangeError(`trade columns need a capacity that is an integer >= 1, got ${capacity}`);
  /** Doubles per trade, slots `F_*`. */
  let figures = new Float64Array(capacity * FIGURES);
  /** Per trade: side (0 long, 1 short), the index of its symbol and of its exit reason in the lists below. */
  let codes = new Uint16Array(capacity * CODES);
  let room = capacity;
  let length = 0;
  /** The distinct symbols and exit reasons of the run, in order of appearance (a handful: no map needed). */
  const symbols: string[] = [];
  const reasons: string[] = [];
  const indexIn = (list: string[], value: string): number => {
    for (let k = 0; k < list.length; k++) if (list[k] === value) return k;
    if (list.length === 0xffff) throw new RangeError(`trade columns hold at most ${0xffff} distinct symbols or exit reasons`);
    list.push(value);
    return list.length - 1;
  };
  const grow = () => {
    const moreFigures = new Float64Array(room * 2 * FIGURES);
    moreFigures.set(figures);
    figures = moreFigures;
    const moreCodes = new Uint16Array(room * 2 * CODES);
    moreCodes.set(codes);
    codes = moreCodes;
    room *= 2;
  };
  return {
    get length() {
      return length;
    },
    add(trade) {
      if (length === room) grow();
      const f = length * FIGURES;
      figures[f + F_AMOUNT] = trade.amount;
      figures[f + F_ENTRY_PRICE] = trade.entryPrice;
      figures[f + F_EXIT_PRICE] = trade.exitPrice;
      figures[f + F_ENTRY_TIME_MS] = trade.entryTimeMs;
      figures[f + F_EXIT_TIME_MS] = trade.exitTimeMs;
      figures[f + F_REALIZED_PNL] = trade.realizedPnl;
      figures[f + F_FEES] = trade.fees;
      figures[f + F_FUNDING] = trade.funding;
      figures[f + F_INITIAL_RISK] = trade.initialRisk ?? NaN;
      const c = length * CODES;
      codes[c + C_SIDE] = trade.side === 'long' ? 0 : 1;
      codes[c + C_SYMBOL] = indexIn(symbols, trade.symbol);
      codes[c + C_REASON] = indexIn(reasons, trade.exitReason);
      length++;
    },
    toTrades() {
      const trades: ClosedTrade[] = new Array(length);
      for (let t = 0; t < length; t++) {
        const f = t * FIGURES;
        const c = t * CODES;
        const initialRisk = figures[f + F_INITIAL_RISK];
        trades[t] = {
          symbol: symbols[codes[c + C_SYMBOL]],
          side: codes[c + C_SIDE] === 0 ? 'long' : 'short',
          amount: figures[f + F_AMOUNT],
          entryPrice: figures[f + F_ENTRY_PRICE],
          exitPrice: figures[f + F_EXIT_PRICE],
          entryTimeMs: figures[f + F_ENTRY_TIME_MS],
          exitTimeMs: figures[f + F_EXIT_TIME_MS],
          realizedPnl: figures[f + F_REALIZED_PNL],
          fees: figures[f + F_FEES],
          funding: figures[f + F_FUNDING],
          exitReason: reasons[codes[c + C_REASON]],
          initialRisk: initialRisk === initialRisk ? initialRisk : null,
        };
      }
      return trades;
    },
  };
}

/** Slots of a trade's doubles. */
const F_AMOUNT = 0;
const F_ENTRY_PRICE = 1;
const F_EXIT_PRICE = 2;
const F_ENTRY_TIME_MS = 3;
const F_EXIT_TIME_MS = 4;
const F_REALIZED_PNL = 5;
const F_FEES = 6;
const F_FUNDING = 7;
const F_INITIAL_RISK = 8;
const FIGURES = 9;
/** Slots of a trade's codes. */
const C_SIDE = 0;
const C_SYMBOL = 1;
const C_REASON = 2;
const CODES = 3;
