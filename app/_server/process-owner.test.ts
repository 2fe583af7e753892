import { describe, expect, it } from 'vitest';
import { currentRunOwner, isRunOwnerAlive } from './process-owner';

const self = { host: 'box', pid: 4242 };
const errno = (code: string) => () => {
  throw Object.assign(new Error(code), { code });
};

describe('backtest run owners', () => {
  it('treat another host as alive, this pid as an earlier process, and ask the OS about other local pids', () => {
    expect(isRunOwnerAlive({ host: 'other', pid: 1 }, self, errno('ESRCH'))).toBe(true);
    expect(isRunOwnerAlive({ host: 'box', pid: 4242 }, self, () => undefined)).toBe(false);
    expect(isRunOwnerAlive({ host: 'box', pid: 7 }, self, () => undefined)).toBe(true);
    expect(isRunOwnerAlive({ host: 'box', pid: 7 }, self, errno('ESRCH'))).toBe(false);
    expect(isRunOwnerAlive({ host: 'box', pid: 7 }, self, errno('EPERM'))).toBe(true);
  });

  it('find this process alive under its own signal check and a finished child gone', async () => {
    const me = currentRunOwner();
    expect(me.pid).toBe(process.pid);
    const { spawnSync } = await import('node:child_process');
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const exitedPid = Number(child.stdout);
    expect(isRunOwnerAlive({ host: me.host, pid: exitedPid }, { host: me.host, pid: -1 })).toBe(false);
    expect(isRunOwnerAlive({ host: me.host, pid: process.pid }, { host: me.host, pid: -1 })).toBe(true);
  });
});
