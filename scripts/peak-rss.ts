/**
 * The peak resident memory of this process: Linux's VmHWM from /proc/self/status, else `process.resourceUsage().maxRSS`.
 *
 * Why not maxRSS alone: on Linux, getrusage's maxrss survives fork and exec, so a process started by a larger one
 * reports at least the parent's resident size at the spawn (measured: a child of a 443 MB node process reported
 * maxRSS 404 MB while its own VmHWM was 40 MB). A CLI backtest started by `npm run bench` after the bench's pipeline
 * lines reported 285 MB that way, against 113 MB started from a small parent. VmHWM belongs to the process's own
 * address space, which exec replaces, so it counts this program alone.
 */
import { readFileSync } from 'node:fs';

/** VmHWM of a /proc/<pid>/status text in bytes, or null when absent. */
export function vmHwmBytes(status: string): number | null {
  const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  return match ? Number(match[1]) * 1024 : null;
}

/** Peak resident bytes of this process since it started (see the module comment). */
export function peakRssBytes(): number {
  let status: string | null = null;
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    // Not Linux (or /proc not mounted): getrusage's figure is the one there is.
  }
  return (status === null ? null : vmHwmBytes(status)) ?? process.resourceUsage().maxRSS * 1024;
}
