/**
 * Study storage port: studies (one row each) and their finished trials (one row per trial, unique
 * per study and trial key, so a resumed study never stores a trial twice).
 * engine/ports holds every interface the engine needs from outside; it imports only engine/core and other ports.
 */
import type { EquityPoint } from './backtest-runs';

/** Where a study is (the same names as `StudyStatus` in engine/research/study.ts). */
export type StudyRecordStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

/** A stored study. `request` and `result` are JSON documents owned by engine/research (`ResolvedStudyRequest`, `StudyResult`). */
export interface StudyRecord {
  id: string;
  name: string;
  status: StudyRecordStatus;
  request: Record<string, unknown>;
  /** The job ticket running it; null for the moment between storing the study and queuing its job. */
  ticketId: string | null;
  progressDone: number;
  progressTotal: number;
  progressMessage: string | null;
  createdAtMs: number;
  createdBy: string | null;
  startedAtMs: number | null;
  finishedAtMs: number | null;
  error: string | null;
  /** The computed summary (best, walk-forward, overfitting); null until completed. */
  result: Record<string, unknown> | null;
  appliedAtMs: number | null;
  appliedBy: string | null;
}

/**
 * One finished trial. `key` identifies it within the study (`<sample>:<window>:<rung>:<index>`).
 * Metric values that are not finite are stored as null. `score` is the objective used for ranking:
 * null for a trial that did not score (below the minimum trade count, undefined metric), and
 * Number.MAX_VALUE for +Infinity (a profit factor without losses), so ranking survives the JSON round trip.
 */
export interface StudyTrialRecord {
  studyId: string;
  key: string;
  index: number;
  params: Record<string, unknown>;
  window: number | null;
  sample: 'full' | 'in' | 'out';
  rung: number | null;
  fromMs: number;
  toMs: number;
  metrics: {
    netProfit: number | null;
    sharpe: number | null;
    sortino: number | null;
    calmar: number | null;
    profitFactor: number | null;
    maxDrawdownPct: number | null;
    trades: number;
    winRate: number | null;
  };
  score: number | null;
  /** Simple returns of each UTC day of the trial's range (the overfitting guards' input), in day order. */
  dailyReturns: number[];
  /** The (downsampled) equity curve, kept only for out-of-sample trials (stitched into the walk-forward curve). */
  equity: EquityPoint[] | null;
}

/** Fields a study's owner updates as it runs. */
export type StudyPatch = Partial<Pick<StudyRecord, 'status' | 'ticketId' | 'progressDone' | 'progressTotal' | 'progressMessage' | 'startedAtMs' | 'finishedAtMs' | 'error' | 'result' | 'appliedAtMs' | 'appliedBy'>>;

/** Study storage. Implementations wrap driver errors in RepositoryError. */
export interface StudyRepository {
  create(record: StudyRecord): Promise<void>;
  get(id: string): Promise<StudyRecord | null>;
  /** Every study, newest first. */
  list(): Promise<StudyRecord[]>;
  /** Applies `patch`; returns false when no study has `id`. */
  update(id: string, patch: StudyPatch): Promise<boolean>;
  /** Deletes a study and its trials; false when none had `id`. */
  delete(id: string): Promise<boolean>;
  /** Stores a finished trial; a trial whose (studyId, key) is already stored is left as it is (returns false). */
  putTrial(trial: StudyTrialRecord): Promise<boolean>;
  /** Every stored trial of a study, in key-insertion-independent order: by sample (full, in, out), window, rung, index. */
  trials(studyId: string): Promise<StudyTrialRecord[]>;
}
