/**
 * Which process runs a backtest, and whether such a process may still be running it. Backtest runs
 * record their owner so that a start of another process on the same PostgreSQL (a CLI command next
 * to the server, a second host) never marks a run failed that is still being simulated.
 */
import { hostname } from 'node:os';
import type { RunOwner } from '@/db/repositories/backtest-run-repository';

/** This process. */
export function currentRunOwner(): RunOwner {
  return { host: hostname(), pid: process.pid };
}

/**
 * True when `owner` may still be alive: a process on another host cannot be checked (its own host's
 * next start fails its runs), one on this host is alive while its pid is. A run recorded under this
 * very pid belongs to an earlier process that had the same pid (a restarted container): not alive.
 */
export function isRunOwnerAlive(owner: RunOwner, self: RunOwner = currentRunOwner(), signal: (pid: number) => void = (pid) => process.kill(pid, 0)): boolean {
  if (owner.host !== self.host) return true;
  if (owner.pid === self.pid) return false;
  try {
    signal(owner.pid);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
