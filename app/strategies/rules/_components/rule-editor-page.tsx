import type { Root } from '@/app/_server/root';
import { backtestTicket } from '@/app/backtests/actions';
import { backtestRuleStrategyAction, createRuleStrategyAction, updateRuleStrategyAction } from '../actions';
import { RuleEditor } from './rule-editor';

/** The editor with its actions and the stored markets (server part shared by the new and edit pages). */
export async function RuleEditorSection({ root, initial, savedName, canEdit }: { root: Root; initial: Record<string, unknown> | null; savedName: string | null; canEdit: boolean }) {
  const streams = await root.engine.listCandleStreams();
  const markets = streams.map((s) => ({ exchange: s.exchange, symbol: s.symbol, timeframe: s.timeframe, firstOpenTimeMs: s.firstOpenTimeMs, lastOpenTimeMs: s.lastOpenTimeMs }));
  return (
    <RuleEditor
      initial={initial}
      savedName={savedName}
      canEdit={canEdit}
      markets={markets}
      create={createRuleStrategyAction}
      update={updateRuleStrategyAction}
      backtest={backtestRuleStrategyAction}
      poll={backtestTicket}
    />
  );
}
