/**
 * The training command the Models page shows is one the CLI accepts: its arguments parse with the
 * `enqueue` command, and the kind and params validate against the job definitions.
 */
import { describe, expect, it } from 'vitest';
import { TRAIN_INTENT_VETO_COMMAND } from '../../app/models/_lib/train-command';
import { JOB_DEFINITIONS } from '../../engine/jobs/definitions';
import { validateJobRequest, type JobRequest, type Ticket } from '../../engine/orchestrator/job-queue';
import { runEnqueueCommand } from '../../scripts/commands/jobs';

/** Splits a POSIX shell line with single-quoted words (all the command uses). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const match of line.matchAll(/'([^']*)'|(\S+)/g)) words.push(match[1] ?? match[2]);
  return words;
}

describe('Models page training command', () => {
  it('is the intent-veto enqueue command with the definition example', () => {
    expect(TRAIN_INTENT_VETO_COMMAND).toBe(
      `npm run cli -- enqueue --kind train-intent-veto --params '{"exchange":"binance","symbol":"BTC/USDT","timeframe":"1h","from":"2024-01-01","to":"2024-07-01"}' --wait`,
    );
  });

  it('parses with the CLI enqueue command and validates against the job definition', async () => {
    const words = shellWords(TRAIN_INTENT_VETO_COMMAND);
    expect(words.slice(0, 5)).toEqual(['npm', 'run', 'cli', '--', 'enqueue']);
    const requests: JobRequest[] = [];
    const out: string[] = [];
    const ticket = { id: 'ticket-1', kind: 'train-intent-veto', status: 'succeeded', attempts: 1, progress: 1, progressMessage: null, result: null, error: null } as unknown as Ticket;
    const code = await runEnqueueCommand(words.slice(5), {
      enqueue: async (job) => {
        requests.push(job);
        validateJobRequest(job, JOB_DEFINITIONS);
        return 'ticket-1';
      },
      getTicket: async () => ticket,
      listTickets: async () => ({ items: [], nextCursor: null }),
      stdout: (s) => out.push(s),
      stderr: (s) => out.push(s),
    });
    expect(code).toBe(0);
    expect(requests).toEqual([{ kind: 'train-intent-veto', params: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', from: '2024-01-01', to: '2024-07-01' }, maxAttempts: undefined }]);
    expect(validateJobRequest(requests[0], JOB_DEFINITIONS).params).toEqual({
      exchange: 'binance',
      symbol: 'BTC/USDT',
      timeframe: '1h',
      from: '2024-01-01',
      to: '2024-07-01',
      horizon: 24,
      folds: 5,
      seed: 42,
      activate: false,
    });
    expect(out[0]).toBe('ticket-1');
  });
});
