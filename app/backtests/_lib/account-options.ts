import type { Root } from '@/app/_server/root';
import type { AccountOption } from '../_components/backtest-form';

/** Every account with its stored settings and risk limits, as the backtest and study forms prefill them. */
export async function accountOptions(root: Root): Promise<AccountOption[]> {
  const records = await root.engine.accounts.list();
  return Promise.all(
    records.map(async (a) => {
      const limits = await root.engine.accounts.riskLimits(a.id);
      const { marketType, initialBalance, leverage, marginMode, makerFeeBps, takerFeeBps, spreadBps, slippageBps } = a.settings;
      return {
        id: a.id,
        name: a.settings.name,
        paper: { marketType, initialBalance, leverage, marginMode, makerFeeBps, takerFeeBps, spreadBps, slippageBps },
        risk: {
          riskPerTradePct: limits.riskPerTradePct,
          maxLossPctEquityPerTrade: limits.maxLossPctEquityPerTrade,
          maxLeverage: limits.maxLeverage,
          maxSymbolExposurePct: limits.maxSymbolExposurePct,
          maxOpenPositions: limits.maxOpenPositions,
          dailyLossLimitPct: limits.dailyLossLimitPct,
          maxDrawdownPct: limits.maxDrawdownPct,
          maxVarFraction: limits.maxVarFraction,
          maxExpectedShortfallFraction: limits.maxExpectedShortfallFraction,
          varConfidence: limits.varConfidence,
          varLookbackCandles: limits.varLookbackCandles,
        },
      };
    }),
  );
}
