import type { Engine } from '@/engine/engine';

/** Counting stops here per status: the gauge saturates rather than paging through a huge backlog at every scrape. */
export const QUEUE_DEPTH_CAP = 1_000;

/** Tickets `queued` and `running` (each capped at QUEUE_DEPTH_CAP), for the job queue depth gauge. */
export async function jobQueueDepth(engine: Pick<Engine, 'listTickets'>): Promise<Record<string, number>> {
  const [queued, running] = await Promise.all([
    engine.listTickets({ status: 'queued', limit: QUEUE_DEPTH_CAP }),
    engine.listTickets({ status: 'running', limit: QUEUE_DEPTH_CAP }),
  ]);
  return { queued: queued.items.length, running: running.items.length };
}
