/**
 * The one rule for a market symbol as Aethelred stores and trades it: upper-case `BASE/QUOTE` (`BTC/USDT`). Every
 * place a symbol enters (a candle upload, the CLI's import and download, a session, a download job) checks it here,
 * so no path stores candles under a key (`btc/usdt`, `BTCUSDT`, `BTC/USDT:USDT`) that the others refuse. A futures
 * venue's settle suffix (`:USDT`) is its adapter's business (engine/execution/ccxt-exchange.ts), never stored.
 */
import { z } from 'zod';

export const MARKET_SYMBOL = /^[A-Z0-9]+\/[A-Z0-9]+$/;

/** What a symbol must look like, for error messages. */
export const MARKET_SYMBOL_HINT = 'expected a market symbol like BTC/USDT (upper-case BASE/QUOTE)';

/** zod schema of a market symbol. */
export const marketSymbolSchema = z.string().regex(MARKET_SYMBOL, MARKET_SYMBOL_HINT);
