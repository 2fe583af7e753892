import { PageLoading } from '@/app/_components/page-states';

/** Shown while the session is replayed as a backtest (it reads the period's candles). */
export default function Loading() {
  return <PageLoading what="the live session and its replay" />;
}
