/**
 * The checks every journal repository applies to the filters of its queries, in one place so the database's
 * and the in-memory one refuse the same input with the same message.
 */
import { ValidationError } from '../core/errors';
import { parseAccountId } from '../account/account-config';
import type { JournalRepository } from '../ports/journal';

/**
 * A trade summary's scope, checked: a run id, or null for live trades, optionally of one account (an
 * account's trades are live trades). @throws ValidationError naming `runId` or `accountId`.
 */
export function parseTradeSummaryFilter(filter: Parameters<JournalRepository['summarizeTrades']>[0]): { runId: string | null; accountId: string | undefined } {
  const { runId, accountId } = filter;
  if (runId !== null && (typeof runId !== 'string' || runId === '')) throw new ValidationError('runId', runId, 'expected a run id or null for live trades');
  if (accountId !== undefined && runId !== null) throw new ValidationError('accountId', accountId, `an account's trades are live trades: give runId null with it, not "${runId}"`);
  return { runId, accountId: accountId === undefined ? undefined : parseAccountId(accountId, 'accountId') };
}

/** A list filter's account id, checked (undefined when the query has none). @throws ValidationError naming `accountId`. */
export function journalAccountOf(query: { accountId?: string }): string | undefined {
  return query.accountId === undefined ? undefined : parseAccountId(query.accountId, 'accountId');
}
