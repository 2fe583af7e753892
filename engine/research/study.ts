/**
 * A study: a parameter search of one strategy on one market over a date range, optionally walked
 * forward, judged by the overfitting guards. This module is the contract: the request a user sends
 * (form, CLI, `/api/v1/studies`), the view every reader gets back, and the service the engine exposes
 * as `engine.studies`. The search itself is in `study-runner.ts`; the maths in this folder's other
 * modules (search-space, successive-halving, objectives, walk-forward, overfitting).
 *
 * What a study runs:
 * - the "full" search: every candidate of the method over the whole range (`sample: 'full'`,
 *   `window: null`); its trials fill the results table and heatmap, give `best`, and feed the
 *   probability of backtest overfitting (CSCV over the trials' daily returns) and the deflated Sharpe
 *   ratio (the best trial's Sharpe against the trial count and the trials' Sharpe variance);
 * - with `walkForward`, per window k additionally: the same search on the in-sample window
 *   (`sample: 'in'`, `window: k`), then the in-sample winner on the out-of-sample window
 *   (`sample: 'out'`, `window: k`); the out-of-sample equity curves are stitched and the in-sample
 *   against out-of-sample degradation reported.
 * A trial is one backtest (the live loop, no journal, metrics only) of one candidate on one range.
 * Trials are stored as they finish, keyed by (sample, window, rung, candidate), so a study stopped
 * midway resumes where it stopped and ends with the same results.
 */
import { z } from 'zod';
import { marketSymbolSchema } from '../core/market-symbol';
import { loopModelsRequestSchema } from '../decision/loop-models';
import { accountIdSchema } from '../account/account-config';
import { ExitPolicySchema } from '../strategies/exit-policy';
import type { EquityPoint } from '../ports/backtest-runs';
import { DEFAULT_MAX_TRIALS } from './search-space';
import { DEFAULT_MIN_TRADES, type Objective } from './objectives';
import type { DeflatedSharpeLevel, OverfittingLevel } from './overfitting';

/** How candidates are chosen: every grid point, seeded random draws, or successive halving over random draws. */
export const StudyMethod = { Grid: 'grid', Random: 'random', Halving: 'halving' } as const;
export type StudyMethod = (typeof StudyMethod)[keyof typeof StudyMethod];
export const STUDY_METHODS: readonly StudyMethod[] = Object.freeze(Object.values(StudyMethod));

/** Where a study is. `queued` and `running` are live; the other three are final. */
export const StudyStatus = { Queued: 'queued', Running: 'running', Completed: 'completed', Failed: 'failed', Cancelled: 'cancelled' } as const;
export type StudyStatus = (typeof StudyStatus)[keyof typeof StudyStatus];

/** Which range a trial ran on: the whole study range, a walk-forward in-sample window or its out-of-sample window. */
export const TrialSample = { Full: 'full', In: 'in', Out: 'out' } as const;
export type TrialSample = (typeof TrialSample)[keyof typeof TrialSample];

/** Default random draws (and halving candidates) when `trials` is left out. */
export const DEFAULT_STUDY_TRIALS = 100;
/** Default seed of random and halving draws. */
export const DEFAULT_STUDY_SEED = 1;

const dateSchema = z.union([z.number().int(), z.string().min(1)]);
const settingsRecord = z.record(z.string(), z.unknown());
const positiveDays = z.number().positive().max(36_500);

/** Walk-forward windows, in days (fractions allowed; converted to whole milliseconds). See `walk-forward.ts`. */
export const studyWalkForwardSchema = z.strictObject({
  mode: z.enum(['rolling', 'anchored']),
  /** Length of the in-sample window (the first one, when anchored); must hold more candles than the strategy's warm-up. */
  inSampleDays: positiveDays,
  /** Length of each out-of-sample window. */
  outOfSampleDays: positiveDays,
  /** How far each window moves; >= outOfSampleDays. Default: outOfSampleDays (back-to-back out-of-sample windows). */
  stepDays: positiveDays.optional(),
});
export type StudyWalkForwardRequest = z.infer<typeof studyWalkForwardSchema>;

/**
 * A study as a user asks for it. Unknown keys are refused. Market and range fields read like a
 * backtest's (`from` inclusive, `to` exclusive, ISO date or epoch ms). Trading settings left out
 * (`risk`, `paper`, `fusion`, `exits`) resolve like a backtest's: this request, else the account's
 * stored settings, else the defaults.
 */
export const studyRequestSchema = z.strictObject({
  /** A label for lists; default "<strategy> <symbol> <timeframe>". */
  name: z.string().trim().min(1).max(120).optional(),
  /** The account whose settings the trials trade with and whose strategy settings `apply` writes; default "default". */
  accountId: accountIdSchema.optional(),
  exchange: z.string().min(1),
  symbol: marketSymbolSchema,
  timeframe: z.string(),
  from: dateSchema,
  to: dateSchema,
  /** The one strategy to optimise (a catalog name); its params schema gives the space. */
  strategy: z.string().min(1),
  /** Narrowings by parameter: `{ min, max, step? }`, `{ values: [...] }` or a fixed value (see `search-space.ts`). */
  space: z.record(z.string(), z.unknown()).default({}),
  method: z.enum(['grid', 'random', 'halving']).default('grid'),
  /** Random draws / halving candidates (1..maxTrials); default {@link DEFAULT_STUDY_TRIALS}. Refused for grid. */
  trials: z.number().int().min(1).optional(),
  /** Seed of the random draws; the same request and seed draw the same candidates. */
  seed: z.number().int().default(DEFAULT_STUDY_SEED),
  objective: z.enum(['sharpe', 'sortino', 'calmar', 'profitFactor', 'netProfit']).default('sharpe') satisfies z.ZodType<Objective | undefined>,
  /** Trials with fewer closed trades score nothing (objective null) and can never win. */
  minTrades: z.number().int().min(0).default(DEFAULT_MIN_TRADES),
  walkForward: studyWalkForwardSchema.optional(),
  /** Cap on the candidates of one search; a larger grid is refused (not truncated). */
  maxTrials: z.number().int().min(1).max(100_000).default(DEFAULT_MAX_TRIALS),
  /** Risk settings (as a backtest's `risk`). */
  risk: settingsRecord.optional(),
  /** Paper venue settings (as a backtest's `paper`: fees, balance, leverage, ...). */
  paper: settingsRecord.optional(),
  /** Signal fusion settings (as a backtest's `fusion`). */
  fusion: settingsRecord.optional(),
  /** Exit policy (as a backtest's `exits`). */
  exits: ExitPolicySchema.optional(),
  /**
   * The regime, volatility and stop-distance models in every trial (as a backtest's `models`); each off unless given.
   * `deployed` versions are pinned when the study is queued, so every trial uses the same versions: two studies, one
   * with a model and one without, compare it on and off.
   */
  models: loopModelsRequestSchema.optional(),
});
/** What a caller may send. */
export type StudyRequest = z.input<typeof studyRequestSchema>;
/** A parsed request (defaults filled). */
export type ParsedStudyRequest = z.output<typeof studyRequestSchema>;

/**
 * The request as resolved when the study was queued: times in epoch ms, every trading setting
 * explicit (so the trials trade the settings of that moment), the derived space's size.
 */
export interface ResolvedStudyRequest {
  name: string;
  accountId: string;
  exchange: string;
  symbol: string;
  timeframe: string;
  fromMs: number;
  toMs: number;
  strategy: string;
  space: Record<string, unknown>;
  method: StudyMethod;
  /** Random draws / halving candidates; null for grid. */
  trials: number | null;
  seed: number;
  objective: Objective;
  minTrades: number;
  walkForward: { mode: 'rolling' | 'anchored'; inSampleMs: number; outOfSampleMs: number; stepMs: number } | null;
  maxTrials: number;
  /** The explicit backtest request every trial is derived from (strategy params replaced per candidate; from/to per range). */
  backtest: Record<string, unknown>;
  /** Candidates of one search (after the strategy's own checks), and combinations it refused. */
  candidates: number;
  skipped: number;
  /** Candles of warm-up history the largest candidate needs before a range starts. */
  warmupCandles: number;
}

/**
 * A trial's metrics. Money in quote currency; a metric that is undefined (no trades, no losses)
 * is null. `maxDrawdownPct` is a positive percent (12.5 = the equity fell 12.5 % below its peak).
 */
export interface StudyTrialMetrics {
  netProfit: number | null;
  sharpe: number | null;
  sortino: number | null;
  calmar: number | null;
  profitFactor: number | null;
  maxDrawdownPct: number | null;
  trades: number;
  /** 0..1. */
  winRate: number | null;
}

/** One finished trial. */
export interface StudyTrialView {
  /** The candidate's position in the search's candidate list (stable for a request). */
  index: number;
  /** The strategy params tried (full, defaults filled). */
  params: Record<string, unknown>;
  /** Walk-forward window index, or null for the full-range search. */
  window: number | null;
  sample: TrialSample;
  /** Successive-halving rung (0 = smallest budget), null for grid, random and out-of-sample trials. */
  rung: number | null;
  /** The range the trial ran on, epoch ms, half-open. */
  fromMs: number;
  toMs: number;
  metrics: StudyTrialMetrics;
  /** The objective's score; null when below minTrades or undefined. +Infinity is reported as null too (JSON). */
  objective: number | null;
}

/** One walk-forward window's outcome. */
export interface StudyWindowView {
  index: number;
  inSample: { fromMs: number; toMs: number };
  outOfSample: { fromMs: number; toMs: number };
  /** The in-sample winner, null when no candidate scored (every one below minTrades). */
  bestParams: Record<string, unknown> | null;
  inSampleObjective: number | null;
  outOfSampleObjective: number | null;
}

/** The overfitting guards with their plain-language verdicts. */
export interface StudyOverfittingView {
  /** Probability of backtest overfitting (CSCV); null when it cannot be computed (fewer than 2 trials, too few days), with `pboUnavailable` saying why. */
  pbo: { value: number; partitions: number; combinations: number; probabilityOfLoss: number; level: OverfittingLevel; verdict: string } | null;
  pboUnavailable: string | null;
  /** Deflated Sharpe ratio of the best trial; null when it cannot be computed, with `deflatedSharpeUnavailable` saying why. */
  deflatedSharpe: { probability: number; expectedMaxSharpe: number; sharpe: number; trials: number; level: DeflatedSharpeLevel; verdict: string } | null;
  deflatedSharpeUnavailable: string | null;
}

/** A study as every reader sees it. */
export interface StudyView {
  id: string;
  name: string;
  status: StudyStatus;
  request: ResolvedStudyRequest;
  /** The job ticket running it. */
  ticketId: string;
  /** Trials finished of all the study will run (`total` grows for halving as rungs are decided). */
  progress: { done: number; total: number; message: string | null };
  createdAtMs: number;
  finishedAtMs: number | null;
  /** Why it failed; null otherwise. */
  error: string | null;
  /** Every finished trial: full search first (by rung, then index), then walk-forward windows in order. */
  trials: StudyTrialView[];
  /** The full search's winner (on its last rung for halving), null until one scored. */
  best: { params: Record<string, unknown>; objective: number | null; trialIndex: number } | null;
  walkForward: {
    windows: StudyWindowView[];
    /** The out-of-sample equity curves stitched multiplicatively (quote currency). */
    outOfSampleEquity: EquityPoint[];
    degradation: { ratios: (number | null)[]; meanRatio: number | null; meanInSample: number | null; meanOutOfSample: number | null };
  } | null;
  /** Null until the study completes. */
  overfitting: StudyOverfittingView | null;
  /** When and by whom the best params were written into the account's strategy settings. */
  appliedAtMs: number | null;
  appliedBy: string | null;
}

/** A study in lists and for pollers: everything but the trials and the walk-forward report (the overfitting verdicts are small and kept). */
export type StudySummary = Omit<StudyView, 'trials' | 'walkForward'>;

/** Who asks (written to the study; the app's wrapper writes the audit log). */
export interface StudyActor {
  /** The user's e-mail (what the settings' `updated_by` records), or `cli`. */
  userId: string;
}

/** The engine's study service (`engine.studies`). */
export interface StudyService {
  /**
   * Validates everything, stores the study `queued` and queues its `study` job.
   * @throws ValidationError naming the field and value, nothing stored or queued: an unknown strategy
   *   (`strategy`), an empty or inverted range of a parameter (`space.<param>.min`), an inverted date
   *   range (`to`), a grid larger than `maxTrials` (`maxTrials`), `trials` above `maxTrials` or given
   *   for a grid, a walk-forward in-sample window no longer than the strategy's warm-up
   *   (`walkForward.inSampleDays`), a range holding no full window (`walkForward`), no stored candles
   *   for the market (`symbol`) or in the range (`from`).
   */
  enqueue(request: unknown, actor: StudyActor): Promise<{ studyId: string; ticketId: string }>;
  /** Every study, newest first. */
  list(): Promise<StudySummary[]>;
  /** @throws NotFoundError naming the id. */
  get(id: string): Promise<StudyView>;
  /** The study without its trials (a light read for pollers). @throws NotFoundError naming the id. */
  summary(id: string): Promise<StudySummary>;
  /** Asks a queued or running study to stop (its finished trials are kept). @throws NotFoundError; ValidationError when it already ended. */
  cancel(id: string): Promise<StudyView>;
  /**
   * Writes the best params of a completed study into the stored strategy settings: the installation's
   * strategy group (`engine.getTradingSettings().strategy`, what /strategies shows; it is not per
   * account). The study's strategy becomes enabled with those params, its weight kept.
   * @throws NotFoundError; ValidationError on `id` when the study is not completed or has no best params.
   */
  applyToSettings(id: string, actor: StudyActor): Promise<StudyView>;
}
