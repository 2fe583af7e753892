/**
 * kill -9 while a replay session trades the paper account (embedded PGlite, a real child process):
 * after a restart the account's balance, positions and open orders are exactly what was stored
 * before the kill, the session resumes from its checkpoint, and no client order id appears twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildRoot } from '../../app/_server/root';
import { loadConfig } from '../../app/_server/config';
import { createDatabase } from '../../db/client';
import { createAccountRepository } from '../../db/repositories/account-repository';
import { createLiveSessionRepository } from '../../db/repositories/live-session-repository';

const repo = path.resolve(import.meta.dirname, '../..');
const dataDir = mkdtempSync(path.join(tmpdir(), 'aethelred-kill-'));
const env = { ...process.env, AETHELRED_DATA_DIR: dataDir, AETHELRED_MARKET_TYPE: 'futures', LOG_LEVEL: 'warn' } as NodeJS.ProcessEnv;
delete env.DATABASE_URL;

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

interface Progress {
  id: string;
  status: string;
  lastCandleMs: number | null;
  processed: number;
}

/** Runs the child until `enough` says so, then kills it with SIGKILL; returns its last progress line. */
async function runUntil(mode: 'start' | 'resume', enough: (p: Progress) => boolean): Promise<Progress> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'tests/support/replay-child.ts', mode], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let last: Progress | null = null;
  let buffer = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the child did not get far enough in 120 s; last ${JSON.stringify(last)}; stderr: ${stderr.slice(-2000)}`)), 120_000);
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        last = JSON.parse(line) as Progress;
        if (enough(last)) {
          clearTimeout(timer);
          child.kill('SIGKILL');
          resolve();
        }
      }
    });
    child.once('exit', (code, signal) => {
      if (signal !== 'SIGKILL') {
        clearTimeout(timer);
        reject(new Error(`the child exited on its own (${code}): ${stderr.slice(-2000)}`));
      }
    });
  });
  await exited;
  return last!;
}

/** What was stored when the process died, read straight from the database. */
async function stored() {
  const database = await createDatabase({ dataDir });
  try {
    const state = await createAccountRepository(database.db).loadState('default');
    const session = (await createLiveSessionRepository(database.db).list())[0];
    return { state: state!, session };
  } finally {
    await database.close();
  }
}

describe('a paper account and its replay session across kill -9', () => {
  it('restores balance, positions and open orders exactly, resumes after the checkpoint, and never repeats a client order id', async () => {
    const first = await runUntil('start', (p) => p.processed >= 300);
    const before = await stored();
    expect(before.session.status).toBe('running');
    const checkpoint = before.session.lastCandleMs!;
    expect(checkpoint).toBeGreaterThanOrEqual(first.lastCandleMs! - 300_000);
    expect(before.state.orders.length).toBeGreaterThan(0);

    // Restart without resuming the session: the account is exactly what was stored.
    const root = await buildRoot(loadConfig({ AETHELRED_DATA_DIR: dataDir, AETHELRED_MARKET_TYPE: 'futures', LOG_LEVEL: 'silent' }, repo));
    await root.start({ workers: false });
    const view = await root.engine.accounts.view('default');
    const runtime = await root.engine.accounts.runtime('default');
    expect(JSON.parse(JSON.stringify(runtime.exchange().exportState()))).toEqual(before.state);
    expect(view.walletBalance).toBe(before.state.wallet);
    expect(view.openOrders.map((o) => o.clientOrderId)).toEqual(before.state.orders.filter((o) => o.status === 'new' || o.status === 'partially_filled').map((o) => o.clientOrderId));
    const held = before.state.symbols.find((s) => s.symbol === 'BTC/USDT')!.amountSigned;
    expect(view.positions.reduce((sum, p) => sum + (p.side === 'long' ? p.amount : -p.amount), 0)).toBe(held);
    await root.stop();

    // A real restart resumes the session after its checkpoint; kill it again further on.
    const second = await runUntil('resume', (p) => p.status === 'running' && p.lastCandleMs !== null && p.lastCandleMs >= checkpoint + 100 * 300_000);
    expect(second.id).toBe(first.id);
    const after = await stored();
    expect(after.session.lastCandleMs!).toBeGreaterThan(checkpoint);
    const ids = after.state.orders.map((o) => o.clientOrderId);
    expect(new Set(ids).size).toBe(ids.length);
    // Orders from before the first kill are still known, so a replayed candle reuses, not repeats, its ids.
    const firstIds = new Set(before.state.orders.map((o) => o.clientOrderId));
    const kept = ids.filter((id) => firstIds.has(id));
    expect(kept.length).toBeGreaterThan(0);
  }, 300_000);
});
