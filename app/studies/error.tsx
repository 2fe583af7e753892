'use client';
import { PageError } from '@/app/_components/page-states';

/** Shown when a studies page fails: the reference for the server log and a retry; details stay in the log. */
export default function StudiesError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return <PageError error={error} reset={reset} what="the studies" />;
}
