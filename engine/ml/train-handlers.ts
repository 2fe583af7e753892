/**
 * Job handlers that train, export, store and (optionally) deploy one model kind each:
 * `train-intent-veto`, `train-regime`, `train-volatility`, `train-stop-distance`. Both job runners
 * (in-process and Inngest) call these same functions.
 *
 * A handler validates its params (zod), loads candles through the CandleRepository, builds the
 * kind's dataset (engine/ml/dataset.ts), trains with walk-forward validation
 * (engine/ml/model-training.ts), exports ONNX, stores the file and the version row (with metrics and
 * the ticket id) in one step, and deploys the new version when `activate` is true. The same params,
 * seed and candles give a byte-identical ONNX file.
 */
import { parseTimeInput } from '../core/time-input';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { marketSymbolSchema } from '../core/market-symbol';
import { ValidationError } from '../core/errors';
import { NonRetryableJobError } from '../jobs/job-context';
import { parseOrThrow } from '../core/validation';
import type { CandleRepository } from '../ports/candles';
import type { DecisionRecord, JournalRepository, TradeRecord } from '../ports/journal';
import type { Logger } from '../core/logger';
import { TIMEFRAME_MS, type Timeframe } from '../core/types';
import {
  buildIntentDataset,
  buildIntentDatasetFromJournal,
  buildRegimeDataset,
  buildStopDistanceDataset,
  buildVolatilityDataset,
  DEFAULT_INTENT_LABELS,
  DEFAULT_REGIME_THRESHOLD,
  REGIME_CLASS_NAMES,
  type Dataset,
  type JournalDatasetReport,
} from './dataset';
import { ModelKind } from '../ports/model-kind';
import type { ModelFileStore } from '../ports/model-file-store';
import type { ModelRecord, ModelRepository } from '../ports/models';
import type { ModelAdmin } from './model-registry';
import { trainModel, type FoldReport } from './model-training';

/** Job kinds handled here, by model kind. */
export const TrainJobKind = {
  IntentVeto: 'train-intent-veto',
  Regime: 'train-regime',
  Volatility: 'train-volatility',
  StopDistance: 'train-stop-distance',
} as const;
export type TrainJobKind = (typeof TrainJobKind)[keyof typeof TrainJobKind];

const JOB_TO_MODEL: Record<TrainJobKind, ModelKind> = {
  [TrainJobKind.IntentVeto]: ModelKind.IntentVeto,
  [TrainJobKind.Regime]: ModelKind.Regime,
  [TrainJobKind.Volatility]: ModelKind.Volatility,
  [TrainJobKind.StopDistance]: ModelKind.StopDistance,
};

const dateSchema = z.union([z.number().int(), z.string().min(1)]);

/** Params of every training job. `from` inclusive, `to` exclusive (ISO date/time or epoch ms). */
export const trainParamsSchema = z
  .object({
    exchange: z.string().min(1),
    symbol: marketSymbolSchema,
    timeframe: z.string(),
    from: dateSchema,
    to: dateSchema,
    /** Label horizon in candles. */
    horizon: z.number().int().min(2).max(1000).default(24),
    /** Walk-forward folds. */
    folds: z.number().int().min(1).max(20).default(5),
    /** PRNG seed (unsigned 32-bit). */
    seed: z.number().int().min(0).max(0xffffffff).default(42),
    /** Deploy the new version when training succeeds. */
    activate: z.boolean().default(false),
    /** Intent veto only: learn from the entries this backtest run executed instead of every candle. */
    runId: z.string().min(1).optional(),
  })
  .strict();
export type TrainParams = z.input<typeof trainParamsSchema>;

/** What a job runner passes to a handler. `reportProgress` takes a fraction 0..1. */
export interface TrainJobContext {
  ticketId: string;
  reportProgress(p: number, message: string): Promise<void>;
  signal: AbortSignal;
  logger: Logger;
}

/** A job handler: validated params in, a JSON-safe summary out. */
export type TrainHandler = (params: unknown, ctx: TrainJobContext) => Promise<TrainResult>;

/** What a training job returns (stored as the ticket's result). */
export interface TrainResult {
  kind: ModelKind;
  version: number;
  file: string;
  sha256: string;
  rows: number;
  metrics: Record<string, number>;
  folds: FoldReport[];
  activated: boolean;
  journal?: JournalDatasetReport;
}

export interface TrainHandlerDeps {
  candles: CandleRepository;
  /** Needed only for intent-veto jobs with a `runId`. */
  journal?: JournalRepository;
  repository: ModelRepository;
  store: ModelFileStore;
  /** Deploys a version when `activate` is true. */
  registry: Pick<ModelAdmin, 'deploy'>;
  newId: () => string;
}

/** A request's time (see engine/core/time-input.ts: dates and zone-less times are UTC). */
const parseTime = parseTimeInput;

/** Validated, resolved training params. @throws ValidationError naming the field and value. */
export function resolveTrainParams(input: unknown, kind: ModelKind) {
  const p = parseOrThrow(trainParamsSchema, input, { root: 'params' });
  if (!Object.prototype.hasOwnProperty.call(TIMEFRAME_MS, p.timeframe)) {
    throw new ValidationError('timeframe', p.timeframe, `expected one of ${Object.keys(TIMEFRAME_MS).join(', ')}`);
  }
  const fromMs = parseTime('from', p.from);
  const toMs = parseTime('to', p.to);
  if (toMs <= fromMs) throw new ValidationError('to', p.to, `the date range is empty: "to" must be after "from" (${new Date(fromMs).toISOString()})`);
  if (p.runId !== undefined && kind !== ModelKind.IntentVeto) throw new ValidationError('runId', p.runId, `only intent-veto training reads journal entries, not ${kind}`);
  return { ...p, timeframe: p.timeframe as Timeframe, fromMs, toMs };
}

async function loadJournal(journal: JournalRepository, runId: string, symbol: string): Promise<{ decisions: DecisionRecord[]; trades: TradeRecord[] }> {
  const decisions: DecisionRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await journal.listDecisions({ runId, symbol, limit: 1000, cursor });
    decisions.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  const trades: TradeRecord[] = [];
  for await (const t of journal.iterTrades({ runId, symbol })) trades.push(t);
  return { decisions, trades };
}

/**
 * Trains one model kind from validated params (`resolveTrainParams` runs again here, so a direct
 * call is checked too), stores it and deploys it when `activate` is true.
 * Throws ValidationError for bad params or too little data (nothing stored), and the abort
 * reason when `ctx.signal` aborts (nothing stored).
 */
export async function runTrainingJob(kind: ModelKind, input: unknown, ctx: TrainJobContext, deps: TrainHandlerDeps): Promise<TrainResult> {
  const p = resolveTrainParams(input, kind);
  const market = { exchange: p.exchange, symbol: p.symbol, timeframe: p.timeframe };
  await ctx.reportProgress(0, `loading ${p.exchange} ${p.symbol} ${p.timeframe} candles`);
  const candles = await deps.candles.loadCandles(market, p.fromMs, p.toMs);
  ctx.signal.throwIfAborted();
  if (candles.length === 0) {
    throw new ValidationError('from', p.from, `no ${p.exchange} ${p.symbol} ${p.timeframe} candles between ${new Date(p.fromMs).toISOString()} and ${new Date(p.toMs).toISOString()}; import them first`);
  }
  const options = { timeframe: p.timeframe, horizon: p.horizon };
  let dataset: Dataset;
  let journalReport: JournalDatasetReport | undefined;
  if (kind === ModelKind.IntentVeto && p.runId !== undefined) {
    if (!deps.journal) throw new ValidationError('runId', p.runId, 'this job runner has no journal to read entries from');
    const { decisions, trades } = await loadJournal(deps.journal, p.runId, p.symbol);
    ({ dataset, report: journalReport } = buildIntentDatasetFromJournal(candles, decisions, trades, options));
  } else if (kind === ModelKind.IntentVeto) dataset = buildIntentDataset(candles, options);
  else if (kind === ModelKind.Regime) dataset = buildRegimeDataset(candles, options);
  else if (kind === ModelKind.Volatility) dataset = buildVolatilityDataset(candles, options);
  else dataset = buildStopDistanceDataset(candles, options);
  await ctx.reportProgress(0.1, `${dataset.rows} labelled rows from ${candles.length} candles; walk-forward over ${p.folds} folds`);

  const trained = await trainModel(kind, dataset, {
    folds: p.folds,
    seed: p.seed,
    signal: ctx.signal,
    onFold: (done, total) => ctx.reportProgress(0.1 + (0.7 * done) / total, `fold ${done}/${total} validated`),
  });
  ctx.signal.throwIfAborted();
  await ctx.reportProgress(0.85, 'exporting ONNX');
  // The ONNX writer (onnx-proto) loads here, not in every process that lists the job kinds.
  const { exportOnnx, onnxOutputName } = await import('./onnx-export');
  const bytes = exportOnnx(trained.model, { kind });
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  let trainingToMs = dataset.timeMs[0];
  for (const end of dataset.labelEndMs) if (end > trainingToMs) trainingToMs = end;
  const metrics = Object.fromEntries(Object.entries(trained.metrics).filter(([, v]) => Number.isFinite(v)));
  // The last point where a cancel stops the job (it throws here): once the version is being stored the job runs
  // to its end, so a cancelled ticket never leaves a stored or deployed version behind, and a stored or deployed
  // version always has a ticket whose result names it. Progress after this point never throws (see `finalProgress`).
  ctx.signal.throwIfAborted();
  await ctx.reportProgress(0.9, `storing the ${kind} model`);
  const finalProgress = (progress: number, message: string) => reportWithoutCancel(ctx, progress, message);
  const record: ModelRecord = await deps.repository.create(
    {
      id: deps.newId(),
      kind,
      sha256,
      featureNames: [...trained.model.featureNames],
      trainingFromMs: dataset.timeMs[0],
      trainingToMs,
      metrics,
      params: {
        exchange: p.exchange,
        symbol: p.symbol,
        timeframe: p.timeframe,
        fromMs: p.fromMs,
        toMs: p.toMs,
        horizon: p.horizon,
        folds: p.folds,
        seed: p.seed,
        source: p.runId === undefined ? 'candles' : 'journal',
        ...(p.runId === undefined ? {} : { runId: p.runId, journal: journalReport }),
        modelType: trained.model.type,
        output: onnxOutputName(trained.model.type),
        ...(kind === ModelKind.IntentVeto ? { labels: DEFAULT_INTENT_LABELS } : {}),
        ...(kind === ModelKind.Regime ? { classes: REGIME_CLASS_NAMES, regimeThreshold: DEFAULT_REGIME_THRESHOLD } : {}),
        walkForward: trained.folds,
      },
      ticketId: ctx.ticketId,
    },
    (assigned) => deps.store.write(assigned.file, bytes),
  );
  await finalProgress(0.95, `stored ${kind} v${record.version}`);
  ctx.logger.info({ model: `${kind}@v${record.version}`, metrics, ticketId: ctx.ticketId }, 'model trained');
  let activated = false;
  if (p.activate) {
    try {
      await deps.registry.deploy(kind, record.version);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new NonRetryableJobError(`${kind} version ${record.version} was stored but not deployed: ${reason}; deploy it from the Models page once that is fixed`, { cause: error });
    }
    activated = true;
  }
  await finalProgress(1, activated ? `deployed ${kind} v${record.version}` : `trained ${kind} v${record.version}`);
  return {
    kind,
    version: record.version,
    file: record.file,
    sha256,
    rows: dataset.rows,
    metrics,
    folds: trained.folds,
    activated,
    ...(journalReport ? { journal: journalReport } : {}),
  };
}

/**
 * A progress report after the version is stored: a cancel requested now (or the runner's abort) is logged and
 * ignored, as is a failed write, so the job ends with the version in its result.
 */
async function reportWithoutCancel(ctx: TrainJobContext, progress: number, message: string): Promise<void> {
  try {
    await ctx.reportProgress(progress, message);
  } catch (error) {
    ctx.logger.warn({ err: error, ticketId: ctx.ticketId, progress }, 'progress after the model was stored not recorded (a cancel now is too late: the job finishes)');
  }
}

/**
 * Builds the four training handlers, keyed by job kind (see `runTrainingJob`).
 */
export function createTrainHandlers(deps: TrainHandlerDeps): Record<TrainJobKind, TrainHandler> {
  const handler =
    (kind: ModelKind): TrainHandler =>
    (input, ctx) =>
      runTrainingJob(kind, input, ctx, deps);
  return {
    [TrainJobKind.IntentVeto]: handler(ModelKind.IntentVeto),
    [TrainJobKind.Regime]: handler(ModelKind.Regime),
    [TrainJobKind.Volatility]: handler(ModelKind.Volatility),
    [TrainJobKind.StopDistance]: handler(ModelKind.StopDistance),
  };
}

/** The model kind a training job kind produces. */
export function modelKindOfJob(kind: TrainJobKind): ModelKind {
  return JOB_TO_MODEL[kind];
}
