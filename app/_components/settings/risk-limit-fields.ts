/**
 * The risk limits a form edits, in order, with their labels and units: one list for the settings page's
 * risk form (client) and the account page's edit form (server). A plain module, so both can read it.
 * The VaR / ES fields are typed as the engine keeps them (fractions of equity, a confidence level 0..1);
 * `optional` fields may be left blank, which turns the limit off.
 */
import type { RiskLimits } from '@/engine/settings/trading-settings';

export const RISK_LIMIT_FIELDS: readonly { key: keyof RiskLimits; label: string; hint: string; step?: string; optional?: boolean }[] = [
  { key: 'riskPerTradePct', label: 'Risk per trade', hint: '% of equity lost at the stop' },
  { key: 'maxLossPctEquityPerTrade', label: 'Max loss per trade', hint: '% of equity' },
  { key: 'maxLeverage', label: 'Max leverage', hint: 'gross notional / equity' },
  { key: 'maxSymbolExposurePct', label: 'Max symbol exposure', hint: '% of equity' },
  { key: 'maxOpenPositions', label: 'Max open positions', hint: 'count', step: '1' },
  { key: 'atrStopMultiple', label: 'ATR stop multiple', hint: 'ATRs' },
  { key: 'dailyLossLimitPct', label: 'Daily loss breaker', hint: '% below day start' },
  { key: 'maxDrawdownPct', label: 'Drawdown breaker', hint: '% below peak' },
  { key: 'maxVarFraction', label: 'Max portfolio VaR', hint: 'fraction of equity 0–1, 0.03 = 3 %; blank = off', optional: true },
  { key: 'maxExpectedShortfallFraction', label: 'Max expected shortfall', hint: 'fraction of equity 0–1; blank = off', optional: true },
  { key: 'varConfidence', label: 'VaR confidence', hint: 'between 0 and 1, 0.99 = 99 %' },
  { key: 'varLookbackCandles', label: 'VaR lookback', hint: 'candles', step: '1' },
];

/** The names of the risk limit form fields that hold numbers (`risk.maxLeverage`, …), for parsing form data. */
export const RISK_LIMIT_NUMBER_FIELDS: readonly string[] = RISK_LIMIT_FIELDS.map((f) => f.key);
