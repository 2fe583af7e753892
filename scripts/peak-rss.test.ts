import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { vmHwmBytes } from './peak-rss';

describe('peak RSS', () => {
  it('reads VmHWM in bytes from a status text', () => {
    expect(vmHwmBytes('Name:\tnode\nVmPeak:\t 1200 kB\nVmHWM:\t   40960 kB\nVmRSS:\t   30000 kB\n')).toBe(40960 * 1024);
    expect(vmHwmBytes('Name:\tnode\nVmRSS:\t 30000 kB\n')).toBeNull();
  });

  it.runIf(process.platform === 'linux')("counts the process alone, not the parent's memory that getrusage's maxRSS carries over a spawn", () => {
    // A parent holding 300 MB more than a child ever will starts the child, which prints both figures.
    const module = path.resolve(import.meta.dirname, 'peak-rss.ts');
    const child = `import { peakRssBytes } from ${JSON.stringify(module)}; console.log(JSON.stringify({ peak: peakRssBytes(), maxRss: process.resourceUsage().maxRSS * 1024 }));`;
    const parent = `
      const { spawnSync } = require('node:child_process');
      const held = Buffer.alloc(300 * 1048576, 1);
      const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', ${JSON.stringify(child)}], { encoding: 'utf8' });
      console.log(JSON.stringify({ parentRss: process.memoryUsage().rss, held: held.length, child: JSON.parse(out.stdout) }));`;
    const run = spawnSync(process.execPath, ['-e', parent], { encoding: 'utf8', cwd: path.resolve(import.meta.dirname, '..') });
    expect(run.status, run.stderr).toBe(0);
    const { parentRss, child: figures } = JSON.parse(run.stdout) as { parentRss: number; child: { peak: number; maxRss: number } };
    expect(parentRss).toBeGreaterThan(300 * 1048576);
    // getrusage carries the parent's size over; VmHWM is the child's own (a node process with tsx: well under 200 MB).
    expect(figures.maxRss).toBeGreaterThan(250 * 1048576);
    expect(figures.peak).toBeLessThan(200 * 1048576);
    expect(figures.peak).toBeGreaterThan(10 * 1048576);
  });
});
