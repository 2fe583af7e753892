/** What a stored session's config says about its mode and account (sessions stored before accounts: paper/live on `default`). */
import { DEFAULT_ACCOUNT_ID } from '@/engine/account/account-config';

interface StoredSession {
  config: Record<string, unknown>;
  liveTrading: boolean;
}

export function sessionAccountOf(session: StoredSession): string {
  const id = session.config.accountId;
  return typeof id === 'string' && id !== '' ? id : DEFAULT_ACCOUNT_ID;
}

export function sessionModeOf(session: StoredSession): 'replay' | 'paper' | 'live' {
  const mode = session.config.mode;
  if (mode === 'replay' || mode === 'paper' || mode === 'live') return mode;
  return session.liveTrading ? 'live' : 'paper';
}
