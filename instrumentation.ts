/**
 * Next.js calls `register()` once per server runtime (possibly more than once in dev);
 * the composition root memoises itself, so this builds and starts the engine exactly once.
 * A failed start exits the process (see `startServerOrExit`): Next.js would otherwise cache the
 * rejected `register()` and answer 500 to every request.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { startServerOrExit } = await import('./app/_server/root');
    await startServerOrExit();
  }
}
