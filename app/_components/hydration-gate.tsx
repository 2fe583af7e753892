'use client';
import type { ReactNode } from 'react';
import { useHydrated } from './use-hydrated';

/**
 * Wraps a client form's fields in a fieldset that is disabled until React runs the form in the browser (see
 * {@link useHydrated}); laid out as if it were not there (`display: contents`). Before hydration a controlled field
 * shows what is typed while the form's state stays empty, so a value typed then was silently lost at submit; disabled,
 * the fields take no input until they work (a browser test's fill waits for them). Marked `data-hydrated="true"` once
 * enabled.
 */
export function HydrationGate({ children }: { children: ReactNode }) {
  const hydrated = useHydrated();
  return (
    <fieldset className="hydration-gate" disabled={!hydrated} data-hydrated={hydrated ? 'true' : undefined}>
      {children}
    </fieldset>
  );
}
