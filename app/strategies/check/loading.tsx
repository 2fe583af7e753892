import { PageLoading } from '@/app/_components/page-states';

export default function Loading() {
  return <PageLoading what="strategy checks" />;
}
