/**
 * The risk limits a form edits, in order, with their labels and units: one list for the settings page's
 * risk form (client) and the account page's edit form (server). A plain module, so both can read it.
 */
import type { RiskLimits } from '@/engine/settings/trading-settings';

export const RISK_LIMIT_FIELDS: readonly { key: keyof RiskLimits; label: string; hint: string; step?: string }[] = [
  { key: 'riskPerTradePct', label: 'Risk per trade', hint: '% of equity lost at the stop' },
  { key: 'maxLossPctEquityPerTrade', label: 'Max loss per trade', hint: '% of equity' },
  { key: 'maxLeverage', label: 'Max leverage', hint: 'gross notional / equity' },
  { key: 'maxSymbolExposurePct', label: 'Max symbol exposure', hint: '% of equity' },
  { key: 'maxOpenPositions', label: 'Max open positions', hint: 'count', step: '1' },
  { key: 'atrStopMultiple', label: 'ATR stop multiple', hint: 'ATRs' },
  { key: 'dailyLossLimitPct', label: 'Daily loss breaker', hint: '% below day start' },
  { key: 'maxDrawdownPct', label: 'Drawdown breaker', hint: '% below peak' },
];
