'use client';
import { useSyncExternalStore } from 'react';

const subscribe = () => () => undefined;

/**
 * False while the server's HTML is shown and during hydration, true once React runs the component in the browser.
 * A form's fields and submit button are disabled until then (`HydrationGate`, `SubmitButton`): typed before,
 * a controlled field keeps the text on screen while its state stays empty (seen in the rule editor's e2e test).
 */
export function useHydrated(): boolean {
  return useSyncExternalStore(
    subscribe,
    () => true,
    () => false,
  );
}
