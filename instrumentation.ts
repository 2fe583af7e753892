/**
 * Next.js calls `register()` once per server runtime (possibly more than once in dev);
 * the composition root memoises itself, so this builds and starts the engine exactly once.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { getRoot } = await import('./app/_server/root');
    await getRoot();
  }
}
