/**
 * The decision chain of a trade: the decisions the loop journaled for the trade's symbol and run
 * from the entry decision up to the exit, each with its adapter signals, fused signal, veto
 * verdict, risk checks and order ids (the decision's `inputs`).
 */
import type { DecisionRecord, JournalRepository, TradeRecord } from '../ports/journal';

/** Most decisions a chain returns; a longer chain is cut and flagged `truncated`. */
export const MAX_CHAIN_DECISIONS = 1000;

/** A trade with the decisions that led to it and closed it, oldest first. */
export interface DecisionChain {
  trade: TradeRecord;
  /**
   * Decisions of the same symbol and run (live trades: live decisions only) with
   * `entryDecisionTimeMs <= timeMs <= exitTimeMs`, oldest first.
   */
  decisions: DecisionRecord[];
  /**
   * Time of the entry decision: the latest `executed` decision on the trade's side at or before
   * the entry fill. Equals the trade's entry time when no such decision was journaled
   * (journal detail `off`, or an entry recorded before the decision log existed).
   */
  entryDecisionTimeMs: number;
  /** True when more than {@link MAX_CHAIN_DECISIONS} decisions matched and the newest were cut. */
  truncated: boolean;
}

/**
 * Builds the decision chain of trade `tradeId`.
 * @returns null when no trade has this id.
 */
export async function loadDecisionChain(journal: JournalRepository, tradeId: string): Promise<DecisionChain | null> {
  const trade = await journal.getTrade(tradeId);
  if (!trade) return null;
  // A live trade's chain is its account's decisions: two accounts may trade the symbol at once.
  const scope = { symbol: trade.symbol, runId: trade.runId, ...(trade.accountId ? { accountId: trade.accountId } : {}) };
  const entry = await journal.listDecisions({ ...scope, outcome: 'executed', side: trade.side, toMs: trade.entryTimeMs + 1, limit: 1 });
  const entryDecisionTimeMs = entry.items[0]?.timeMs ?? trade.entryTimeMs;
  const page = await journal.listDecisions({
    ...scope,
    fromMs: entryDecisionTimeMs,
    toMs: trade.exitTimeMs + 1,
    sort: 'time',
    direction: 'asc',
    limit: MAX_CHAIN_DECISIONS,
  });
  return { trade, decisions: page.items, entryDecisionTimeMs, truncated: page.nextCursor !== null };
}
