'use client';
import { PageError } from '@/app/_components/page-states';

export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return <PageError error={error} reset={reset} what="strategy checks" />;
}
