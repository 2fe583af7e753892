/**
 * `studies`: parameter studies from the command line, through the same engine service as the page
 * and `/api/v1/studies`.
 *   studies run --exchange binance --symbol BTC/USDT --timeframe 1h --from 2024-01-01 --to 2024-07-01 --strategy ma-crossover
 *               [--space '{"fastPeriod":{"min":5,"max":30,"step":5}}' | --space space.json] [--method grid|random|halving]
 *               [--trials 100] [--seed 1] [--objective sharpe] [--min-trades 1] [--max-trials 10000]
 *               [--walk-forward rolling:90:30[:STEP]] [--account default] [--name N]
 *               [--models '{"volatility":{"targetVolatility":0.01},"stopDistance":true}' | --models models.json] [--json]
 *     (--models: the regime, volatility and stop-distance models in every trial, as a backtest's "models"; the deployed
 *     versions are pinned when the study is queued)
 *     queues the study, runs it in this process (trials on worker threads), prints progress to stderr
 *     and the report at the end; Ctrl-C leaves it to resume at the next start.
 *   studies list [--json] | show --id ID [--top 10] [--json] | cancel --id ID | apply --id ID
 * Exit codes: 0 done, 1 the study failed, 2 bad input (the message names the flag or field and value).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { NotFoundError, ValidationError } from '../../engine/core/errors';
import type { StudyService, StudySummary, StudyView } from '../../engine/research/study';
import { describeRunModels } from '../../app/_components/models/model-form';

export interface StudiesCommandServices {
  studies: StudyService;
  /** Records a CLI action in the audit log. */
  audit(action: string, target: string, after: Record<string, unknown>): Promise<void>;
  /** Waits between progress polls. */
  sleep(ms: number): Promise<void>;
  stdout(s: string): void;
  stderr(s: string): void;
  /** Where the progress line goes (a TTY gets one updating line). */
  progressStream?: { write(s: string): unknown; isTTY?: boolean };
}

const CLI_ACTOR = { userId: 'cli' };

function readJsonFlag(flag: string, value: string): unknown {
  try {
    // A file that cannot be read is bad input too (named with the flag), not a crash.
    const text = value.trim().startsWith('{') ? value : readFileSync(value, 'utf8');
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ValidationError(flag, value, `expected JSON or a JSON file: ${(error as Error).message}`);
  }
}

function walkForwardOf(value: string): Record<string, unknown> {
  const match = /^(rolling|anchored):(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)(?::(\d+(?:\.\d+)?))?$/.exec(value);
  if (!match) throw new ValidationError('--walk-forward', value, 'expected MODE:IN_DAYS:OUT_DAYS[:STEP_DAYS], e.g. rolling:90:30');
  return { mode: match[1], inSampleDays: Number(match[2]), outOfSampleDays: Number(match[3]), ...(match[4] ? { stepDays: Number(match[4]) } : {}) };
}

function integerFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new ValidationError(flag, value, 'expected a whole number');
  return n;
}

const fmt = (value: number | null | undefined, digits = 3) => (value === null || value === undefined ? '—' : Number.isFinite(value) ? value.toFixed(digits) : String(value));
const params = (p: Record<string, unknown>) => Object.entries(p).map(([k, v]) => `${k}=${String(v)}`).join(' ');

function summaryLine(study: StudySummary): string {
  const best = study.best ? `best ${fmt(study.best.objective)} (${params(study.best.params)})` : 'no best yet';
  return `${study.id}  ${study.status.padEnd(9)}  ${study.name}  ${study.progress.done}/${study.progress.total}  ${best}`;
}

/** The report of a study, as lines. */
export function studyReport(study: StudyView, top = 10): string[] {
  const lines = [summaryLine(study)];
  if (study.error) lines.push(`error: ${study.error}`);
  const models = describeRunModels(study.request.backtest.models);
  lines.push(models.length === 0 ? 'models: none (regime, volatility and stop-distance models off)' : `models: ${models.join('; ')}`);
  const ranked = study.trials.filter((t) => t.sample === 'full').sort((a, b) => (b.objective ?? -Infinity) - (a.objective ?? -Infinity) || a.index - b.index);
  if (ranked.length > 0) {
    lines.push(`top ${Math.min(top, ranked.length)} of ${ranked.length} trials by ${study.request.objective}:`);
    for (const t of ranked.slice(0, top)) {
      lines.push(`  #${t.index}${t.rung === null ? '' : ` rung ${t.rung}`}  objective ${fmt(t.objective)}  net ${fmt(t.metrics.netProfit, 2)}  sharpe ${fmt(t.metrics.sharpe)}  trades ${t.metrics.trades}  maxDD ${fmt(t.metrics.maxDrawdownPct, 1)}%  ${params(t.params)}`);
    }
  }
  if (study.walkForward) {
    const d = study.walkForward.degradation;
    lines.push(`walk-forward: ${study.walkForward.windows.length} windows, mean out-of-sample / in-sample ${fmt(d.meanRatio, 2)} (in ${fmt(d.meanInSample)}, out ${fmt(d.meanOutOfSample)})`);
  }
  const o = study.overfitting;
  if (o) {
    lines.push(o.pbo ? `PBO ${(o.pbo.value * 100).toFixed(1)}%: ${o.pbo.verdict}` : `PBO: not available (${o.pboUnavailable})`);
    lines.push(o.deflatedSharpe ? `deflated Sharpe ${(o.deflatedSharpe.probability * 100).toFixed(1)}%: ${o.deflatedSharpe.verdict}` : `deflated Sharpe: not available (${o.deflatedSharpeUnavailable})`);
  }
  if (study.appliedAtMs !== null) lines.push(`applied to the strategy settings by ${study.appliedBy} at ${new Date(study.appliedAtMs).toISOString()}`);
  return lines;
}

async function runStudy(args: string[], services: StudiesCommandServices): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      exchange: { type: 'string' },
      symbol: { type: 'string' },
      timeframe: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      strategy: { type: 'string' },
      space: { type: 'string' },
      method: { type: 'string' },
      trials: { type: 'string' },
      seed: { type: 'string' },
      objective: { type: 'string' },
      'min-trades': { type: 'string' },
      'max-trials': { type: 'string' },
      'walk-forward': { type: 'string' },
      account: { type: 'string' },
      name: { type: 'string' },
      models: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const request: Record<string, unknown> = {
    exchange: values.exchange,
    symbol: values.symbol,
    timeframe: values.timeframe,
    from: values.from,
    to: values.to,
    strategy: values.strategy,
    ...(values.space !== undefined ? { space: readJsonFlag('--space', values.space) } : {}),
    ...(values.method !== undefined ? { method: values.method } : {}),
    ...(values.trials !== undefined ? { trials: integerFlag('--trials', values.trials) } : {}),
    ...(values.seed !== undefined ? { seed: integerFlag('--seed', values.seed) } : {}),
    ...(values.objective !== undefined ? { objective: values.objective } : {}),
    ...(values['min-trades'] !== undefined ? { minTrades: integerFlag('--min-trades', values['min-trades']) } : {}),
    ...(values['max-trials'] !== undefined ? { maxTrials: integerFlag('--max-trials', values['max-trials']) } : {}),
    ...(values['walk-forward'] !== undefined ? { walkForward: walkForwardOf(values['walk-forward']) } : {}),
    ...(values.account !== undefined ? { accountId: values.account } : {}),
    ...(values.name !== undefined ? { name: values.name } : {}),
    ...(values.models !== undefined ? { models: readJsonFlag('--models', values.models) } : {}),
  };
  const { studyId } = await services.studies.enqueue(request, CLI_ACTOR);
  await services.audit('study.enqueue', studyId, { id: studyId });
  services.stderr(`study ${studyId} queued`);
  const progress = services.progressStream;
  let last = '';
  let summary = await services.studies.summary(studyId);
  while (summary.status === 'queued' || summary.status === 'running') {
    const line = summary.progress.message ?? summary.status;
    if (progress && line !== last) progress.write(progress.isTTY ? `\r${line}\u001b[K` : `${line}\n`);
    last = line;
    await services.sleep(500);
    summary = await services.studies.summary(studyId);
  }
  if (progress?.isTTY) progress.write('\n');
  const study = await services.studies.get(studyId);
  if (values.json) services.stdout(JSON.stringify(study, null, 2));
  else for (const line of studyReport(study)) services.stdout(line);
  return study.status === 'completed' ? 0 : 1;
}

/** Runs `studies <sub> ...`. */
export async function runStudiesCommand(args: string[], services: StudiesCommandServices): Promise<number> {
  const [sub, ...rest] = args;
  try {
    switch (sub) {
      case 'run':
        return await runStudy(rest, services);
      case 'list':
      case undefined: {
        const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean', default: false } }, strict: true });
        const studies = await services.studies.list();
        if (values.json) services.stdout(JSON.stringify(studies, null, 2));
        else if (studies.length === 0) services.stdout('no studies yet; start one with `npm run cli -- studies run ...`');
        else for (const study of studies) services.stdout(summaryLine(study));
        return 0;
      }
      case 'show': {
        const { values } = parseArgs({ args: rest, options: { id: { type: 'string' }, top: { type: 'string', default: '10' }, json: { type: 'boolean', default: false } }, strict: true });
        if (!values.id) throw new ValidationError('--id', values.id, 'give the study id (see `studies list`)');
        const study = await services.studies.get(values.id);
        if (values.json) services.stdout(JSON.stringify(study, null, 2));
        else for (const line of studyReport(study, integerFlag('--top', values.top))) services.stdout(line);
        return 0;
      }
      case 'cancel':
      case 'apply': {
        const { values } = parseArgs({ args: rest, options: { id: { type: 'string' } }, strict: true });
        if (!values.id) throw new ValidationError('--id', values.id, 'give the study id (see `studies list`)');
        const study = sub === 'cancel' ? await services.studies.cancel(values.id) : await services.studies.applyToSettings(values.id, CLI_ACTOR);
        await services.audit(`study.${sub}`, values.id, sub === 'cancel' ? { status: study.status } : { strategy: study.request.strategy, params: study.best?.params ?? null });
        services.stdout(sub === 'cancel' ? `study ${values.id} is ${study.status}` : `applied ${params(study.best?.params ?? {})} to ${study.request.strategy} in the strategy settings`);
        return 0;
      }
      default:
        services.stderr(`studies: unknown subcommand "${sub}"; expected run, list, show, cancel or apply`);
        return 2;
    }
  } catch (error) {
    if (error instanceof ValidationError || error instanceof NotFoundError || String((error as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS')) {
      services.stderr(`studies: ${(error as Error).message}`);
      return 2;
    }
    throw error;
  }
}
