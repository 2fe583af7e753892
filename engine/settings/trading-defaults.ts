/**
 * The installation's trading defaults: what a run trades with when neither its request, nor its
 * account, nor the stored strategy settings say otherwise (see `resolveRunSpec`).
 */
import type { PaperExchangeConfig } from '../execution/paper-exchange';
import type { RiskConfig } from '../risk/risk-engine';

/**
 * The paper venue of a run without an account: a 10 000 USDT spot wallet paying Binance-like costs
 * (maker 2 bps, taker 10 bps, 2 bps spread, 2 bps slippage), trading at most 10 % of a candle's volume.
 */
export const DEFAULT_PAPER: Omit<PaperExchangeConfig, 'marketType'> & { marketType: 'spot' | 'futures' } = {
  marketType: 'spot',
  initialBalance: 10_000,
  makerFeeBps: 2,
  takerFeeBps: 10,
  spreadBps: 2,
  slippageBps: 2,
  maxVolumeShare: 0.1,
};

/**
 * Risk limits of an account without stored ones: 1 % of equity at risk per trade (at most 2 %), one
 * position, no leverage, 95 % of equity in one symbol, stops at 2 ATR, halt at a 5 % daily loss or a
 * 25 % drawdown. No costs: those come from the account's fee model (`tradingCostsOf`).
 */
export const DEFAULT_RISK: RiskConfig = {
  maxLeverage: 1,
  maxLossPctEquityPerTrade: 2,
  riskPerTradePct: 1,
  maxSymbolExposurePct: 95,
  maxOpenPositions: 1,
  atrStopMultiple: 2,
  dailyLossLimitPct: 5,
  maxDrawdownPct: 25,
};

/**
 * How the strategy group's unsaved signal TTL (`ttlMs: null`: one candle of each run's timeframe, see
 * `signalTtlMsOf` in trading-settings.ts) reads on /strategies. Here, in a module without runtime
 * imports, so the client-side settings form can show it.
 */
export const ONE_CANDLE_TTL_TEXT = "1 candle (of the run's timeframe)";
