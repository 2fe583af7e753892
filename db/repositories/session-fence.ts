/**
 * The fencing check every write of a live session runs inside its own transaction (checkpoints, the
 * paper account's state, journal rows): see `SessionFence` in engine/ports/live-sessions.ts.
 */
import { eq } from 'drizzle-orm';
import { StaleLeaseError } from '../../engine/core/errors';
import type { SessionFence } from '../../engine/ports/live-sessions';
import type { Db } from '../client';
import { liveSessions } from '../schema';

/** A transaction handle (what `db.transaction` passes its callback). */
export type Transaction = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * Inside a write's transaction: refuses the write unless `fence` is still the session's current token.
 * The row is read `for share`, so a claim (an update of that row) waits until the write commits: a write
 * that passed the check cannot land after its session changed hands.
 * @throws StaleLeaseError naming the session, the write's token and the current one.
 */
export async function checkSessionFence(tx: Db | Transaction, fence: SessionFence | undefined): Promise<void> {
  if (!fence) return;
  const rows = await tx.select({ token: liveSessions.fencingToken }).from(liveSessions).where(eq(liveSessions.id, fence.sessionId)).for('share');
  const current = rows[0] ? Number(rows[0].token) : null;
  if (current !== fence.token) throw new StaleLeaseError(fence.sessionId, fence.token, current);
}
