'use client';
import { PageError } from '@/app/_components/page-states';

/** Shown when the session's drift view fails: the reference for the server log and a retry; details stay in the log. */
export default function LiveSessionError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return <PageError error={error} reset={reset} what="this live session" />;
}
