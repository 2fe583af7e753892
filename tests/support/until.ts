/**
 * Polls `check` every `everyMs` until it is true, or fails after `timeoutMs` naming `what` (the integration
 * tests' one wait for something another process or timer does).
 */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
