/**
 * Port for model versions (the `models` table): every trained model is stored as a numbered
 * version per kind, with its file's sha256, feature names, training window, validation metrics and
 * the job ticket that produced it. At most one version per kind is active.
 */
import type { ModelKind } from './model-kind';

/** One stored model version. Times are epoch ms; `file` is relative to the models directory. */
export interface ModelRecord {
  id: string;
  kind: ModelKind;
  /** 1, 2, 3... per kind, assigned by the repository. */
  version: number;
  /** `<kind>/v<version>.onnx`, relative to the models directory. */
  file: string;
  /** Lower-case hex sha256 of the file's bytes; checked on every load. */
  sha256: string;
  featureNames: string[];
  /** First decision time and last label time of the training rows. */
  trainingFromMs: number;
  trainingToMs: number;
  /** Finite validation metrics (AUC, log loss, MAE, row counts...). */
  metrics: Record<string, number>;
  /** Training parameters and data description. */
  params: Record<string, unknown>;
  ticketId: string | null;
  active: boolean;
  createdAtMs: number;
  /** Last time this version was activated; null if never. */
  activatedAtMs: number | null;
}

/** What creating a version needs; the repository assigns version, file, active = false and timestamps. */
export type NewModel = Omit<ModelRecord, 'version' | 'file' | 'active' | 'createdAtMs' | 'activatedAtMs'>;

/** Storage for model versions. */
export interface ModelRepository {
  /**
   * Stores a new version numbered 1 + the kind's highest, in one transaction. `writeFile` (when
   * given) runs inside it with the assigned record: if it throws, nothing is stored and the error
   * propagates. Concurrent creates for one kind get distinct versions.
   * @throws ValidationError for an unknown kind, a bad sha256 or non-finite metrics; RepositoryError on storage failure.
   */
  create(model: NewModel, writeFile?: (record: ModelRecord) => Promise<void>): Promise<ModelRecord>;
  /** Versions of `kind` (every kind when omitted), newest version first (kinds alphabetically). */
  list(kind?: ModelKind): Promise<ModelRecord[]>;
  get(kind: ModelKind, version: number): Promise<ModelRecord | null>;
  /** The active version of `kind`, or null. */
  active(kind: ModelKind): Promise<ModelRecord | null>;
  /**
   * Makes `version` the only active version of `kind` and stamps `activatedAtMs`, deactivating the
   * others in the same transaction.
   * @throws NotFoundError when the version does not exist.
   */
  activate(kind: ModelKind, version: number): Promise<ModelRecord>;
}
