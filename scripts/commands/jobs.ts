/**
 * `enqueue` and `jobs`: queue a background job and list tickets.
 *   npm run cli -- enqueue --kind daily-snapshot [--params '{"dayStartMs":0}'] [--max-attempts 3] [--wait]
 *   npm run cli -- jobs [--status queued] [--kind backtest] [--limit 20] [--json]
 * Exit codes: 0 done (with --wait: the job succeeded), 1 the job failed or was cancelled, 2 bad input.
 */
import { parseArgs } from 'node:util';
import { ValidationError } from '../../engine/core/errors';
import type { Page } from '../../engine/ports/journal';
import { JOB_DEFINITIONS, JOB_KINDS, type JobKind } from '../../engine/jobs/definitions';
import { TICKET_STATUSES, type JobRequest, type Ticket, type TicketQuery, type TicketStatus } from '../../engine/orchestrator/job-queue';

const kindWidth = Math.max(...JOB_KINDS.map((kind) => kind.length));
/** Usage, with each kind's summary and example params from its job definition. */
export const ENQUEUE_USAGE = [
  `usage: npm run cli -- enqueue --kind <kind> [--params '{...}'] [--max-attempts N] [--wait]`,
  'kinds:',
  ...JOB_DEFINITIONS.map((d) => `  ${d.kind.padEnd(kindWidth)}  ${d.summary}\n  ${' '.repeat(kindWidth)}  e.g. --params '${JSON.stringify(d.example)}'`),
].join('\n');
export const JOBS_USAGE = `usage: npm run cli -- jobs [--status <${TICKET_STATUSES.join('|')}>] [--kind <kind>] [--limit 20] [--json]`;

export interface JobCommandServices {
  enqueue(job: JobRequest): Promise<string>;
  getTicket(id: string): Promise<Ticket | null>;
  listTickets(query: TicketQuery): Promise<Page<Ticket>>;
  stdout(s: string): void;
  stderr(s: string): void;
  /** Waits between polls while `--wait`ing (default 250 ms). */
  sleep?: (ms: number) => Promise<void>;
}

const FINISHED: readonly TicketStatus[] = ['succeeded', 'failed', 'cancelled'];

export async function runEnqueueCommand(args: string[], services: JobCommandServices): Promise<number> {
  const usageError = (message: string) => {
    services.stderr(`enqueue: ${message}\n${ENQUEUE_USAGE}`);
    return 2;
  };
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { kind: { type: 'string' }, params: { type: 'string' }, 'max-attempts': { type: 'string' }, wait: { type: 'boolean', default: false } },
    }));
  } catch (error) {
    return usageError((error as Error).message);
  }
  if (values.kind === undefined) return usageError('--kind is required');
  let params: unknown = {};
  if (values.params !== undefined) {
    try {
      params = JSON.parse(values.params);
    } catch (error) {
      return usageError(`--params was ${JSON.stringify(values.params)}: not JSON (${(error as Error).message})`);
    }
  }
  const maxAttempts = values['max-attempts'] === undefined ? undefined : Number(values['max-attempts']);
  let ticketId: string;
  try {
    ticketId = await services.enqueue({ kind: values.kind, params, maxAttempts });
  } catch (error) {
    if (error instanceof ValidationError) return usageError(error.message);
    throw error;
  }
  services.stdout(ticketId);
  if (!values.wait) return 0;
  const sleep = services.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let lastProgress = '';
  for (;;) {
    const ticket = await services.getTicket(ticketId);
    if (!ticket) throw new Error(`ticket "${ticketId}" disappeared`);
    const progress = `${Math.round(ticket.progress * 100)}%${ticket.progressMessage ? ` ${ticket.progressMessage}` : ''}`;
    if (ticket.status === 'running' && progress !== lastProgress) {
      services.stderr(`${ticket.kind} ${ticketId}: ${progress}`);
      lastProgress = progress;
    }
    if (FINISHED.includes(ticket.status)) {
      services.stdout(JSON.stringify({ status: ticket.status, attempts: ticket.attempts, result: ticket.result, error: ticket.error }, null, 2));
      return ticket.status === 'succeeded' ? 0 : 1;
    }
    await sleep(250);
  }
}

export async function runJobsCommand(args: string[], services: JobCommandServices): Promise<number> {
  const usageError = (message: string) => {
    services.stderr(`jobs: ${message}\n${JOBS_USAGE}`);
    return 2;
  };
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { status: { type: 'string' }, kind: { type: 'string' }, limit: { type: 'string', default: '20' }, json: { type: 'boolean', default: false } },
    }));
  } catch (error) {
    return usageError((error as Error).message);
  }
  if (values.status !== undefined && !(TICKET_STATUSES as readonly string[]).includes(values.status)) {
    return usageError(`--status was ${JSON.stringify(values.status)}: expected one of ${TICKET_STATUSES.join(', ')}`);
  }
  if (values.kind !== undefined && !(JOB_KINDS as readonly string[]).includes(values.kind)) {
    return usageError(`--kind was ${JSON.stringify(values.kind)}: expected one of ${JOB_KINDS.join(', ')}`);
  }
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return usageError(`--limit was ${JSON.stringify(values.limit)}: expected an integer from 1 to 1000`);
  const page = await services.listTickets({ status: values.status as TicketStatus | undefined, kind: values.kind as JobKind | undefined, limit });
  if (values.json) {
    services.stdout(JSON.stringify(page.items, null, 2));
    return 0;
  }
  if (page.items.length === 0) {
    services.stdout('no tickets');
    return 0;
  }
  const rows = page.items.map((t) => [
    t.id,
    t.kind,
    t.status,
    `${t.attempts}/${t.maxAttempts}`,
    `${Math.round(t.progress * 100)}%`,
    new Date(t.createdAtMs).toISOString(),
    t.error ?? '',
  ]);
  const header = ['id', 'kind', 'status', 'attempts', 'progress', 'created', 'error'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  services.stdout([line(header), ...rows.map(line)].join('\n'));
  return 0;
}
