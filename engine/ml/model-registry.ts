/**
 * The model registry: which version of each kind is live in this process, and hot reload.
 *
 * - `deploy(kind, version)` reads the version's file, checks its sha256 against the stored one,
 *   opens an onnxruntime session, swaps it in (one assignment: predictions that already started
 *   finish on the old session, new ones use the new session), then persists the active flag. If
 *   persisting fails the swap is undone. Deploys of one kind run one at a time.
 * - `rollback(kind)` deploys the previously active version: among the kind's other versions that
 *   were ever activated, the one activated last (ties: the higher version). Rolling back twice
 *   returns to where you started, like an undo.
 * - `activeVetoModel()` is a snapshot of the active intent-veto version (version string
 *   `intent-veto@v3`): a backtest takes one per run so every decision of the run names one model.
 *   `liveVetoModel()` follows deploys for a long-lived loop.
 *
 * Retired sessions stay open (a run may still hold a snapshot) until more than
 * {@link RETIRED_SESSIONS_KEPT} are retired; then the oldest idle ones are released, and a snapshot
 * of a released version rejects with a message saying so.
 */
import { createHash } from 'node:crypto';
import { EngineError, NotFoundError, ValidationError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { VetoModel } from '../decision/veto-model';
import type { ModelFileStore } from '../ports/model-file-store';
import { ModelKind, MODEL_KINDS } from '../ports/model-kind';
import { checkModelRef } from './model-repository';
import { type ModelRecord, type ModelRepository } from '../ports/models';
import { loadOnnxModel, type OnnxModel } from './onnx-model';
import { ControlKind, type ControlPublisher } from '../ports/control-bus';

/** Retired sessions kept open for snapshots still in use. */
export const RETIRED_SESSIONS_KEPT = 4;

/** A model file whose bytes do not match the stored sha256, or whose shape does not match its record. */
export class ModelIntegrityError extends EngineError {
  constructor(message: string) {
    super('model_integrity', message);
  }
}

/** The model operations the engine facade exposes (list, deploy, rollback). */
export interface ModelAdmin {
  /** Versions of a kind (all kinds when omitted), newest first. */
  list(kind?: ModelKind): Promise<ModelRecord[]>;
  /** Loads, verifies and activates a version. @throws NotFoundError, ModelIntegrityError, ValidationError. */
  deploy(kind: ModelKind, version: number): Promise<ModelRecord>;
  /** Re-activates the previously active version. @throws NotFoundError when there is none. */
  rollback(kind: ModelKind): Promise<ModelRecord>;
}

/** A loaded, verified version of any kind, for batch predictions. */
export interface LoadedModel {
  readonly record: ModelRecord;
  /** `kind@v<version>`. */
  readonly label: string;
  /**
   * Runs `rows` rows of `record.featureNames.length` float32 features. Output row-major: probability
   * of a loss (intent veto, 1 per row), class probabilities trend-up/trend-down/range (regime, 3 per
   * row), or the prediction (volatility, stop distance; 1 per row).
   */
  predict(x: Float32Array, rows: number): Promise<Float32Array>;
}

export interface ModelRegistry extends ModelAdmin {
  /** Snapshot of the active intent-veto model, or null when none is deployed in this process. */
  activeVetoModel(): VetoModel | null;
  /** A veto model that always uses the version active at call time (null when none is active now). */
  liveVetoModel(): VetoModel;
  /** The loaded active version of a kind, or null. */
  active(kind: ModelKind): LoadedModel | null;
  /**
   * A veto model pinned to one intent-veto version, active or not (loaded once, kept until close): a
   * session that pins a version keeps it across deploys.
   * @throws ValidationError naming `vetoVersion` when no such version exists; ModelIntegrityError for a bad file.
   */
  pinnedVetoModel(version: number): Promise<VetoModel>;
  /**
   * One version of `kind`, active or not (loaded once, kept until close): a run that names a version uses it.
   * @throws ValidationError naming `field` (default `version`) when no such version exists; ModelIntegrityError for a bad file.
   */
  pinnedModel(kind: ModelKind, version: number, field?: string): Promise<LoadedModel>;
  /**
   * The record and the verified bytes (sha256 checked) of one version of `kind`, for a process or thread that opens
   * its own session (a study's trial threads).
   * @throws ValidationError naming `field` (default `version`) when no such version exists; ModelIntegrityError for a changed file.
   */
  modelFile(kind: ModelKind, version: number, field?: string): Promise<{ record: ModelRecord; bytes: Uint8Array }>;
  /**
   * A view of `kind` that always predicts with the version active at call time (a live session follows
   * deploys); its `label` is the version that answered its last prediction (else the active one, or
   * `<kind>@none`). Predictions reject while none is deployed.
   */
  liveModel(kind: ModelKind): LoadedModel;
  /**
   * Loads every kind's active version from the repository. A version that fails to load (missing
   * file, sha256 mismatch) is logged and left unloaded; it never stops start-up.
   */
  loadActiveOnStart(): Promise<{ loaded: string[]; failed: { kind: ModelKind; error: string }[] }>;
  /**
   * Loads the active version of every kind whose active version changed in storage (another process
   * deployed); returns the `kind@vN` labels loaded. Failures are logged like `loadActiveOnStart`.
   */
  syncActive(): Promise<string[]>;
  /** Releases every session; later predictions reject. Idempotent. */
  close(): Promise<void>;
}

export interface ModelRegistryDeps {
  repository: ModelRepository;
  store: ModelFileStore;
  logger: Logger;
  /** The control bus: after a deploy or rollback, other processes load the new active version at once. */
  control?: ControlPublisher;
}

interface Slot {
  record: ModelRecord;
  onnx: OnnxModel;
  label: string;
  inFlight: number;
  released: boolean;
}

const labelOf = (r: Pick<ModelRecord, 'kind' | 'version'>) => `${r.kind}@v${r.version}`;

/** Builds a registry; nothing is loaded until `deploy` or `loadActiveOnStart`. */
export function createModelRegistry(deps: ModelRegistryDeps): ModelRegistry {
  const current = new Map<ModelKind, Slot>();
  const retired: Slot[] = [];
  /** Pinned versions by `kind@vN`. */
  const pinned = new Map<string, Promise<Slot>>();
  const queues = new Map<ModelKind, Promise<unknown>>();
  let closed = false;

  /** Runs deploys of one kind one after another. */
  const serial = <T>(kind: ModelKind, fn: () => Promise<T>): Promise<T> => {
    const previous = queues.get(kind) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    queues.set(kind, run.catch(() => undefined));
    return run;
  };

  async function release(slot: Slot): Promise<void> {
    if (slot.released) return;
    slot.released = true;
    await slot.onnx.release().catch((error: unknown) => deps.logger.warn({ err: error, model: slot.label }, 'releasing a model session failed'));
  }

  function retire(slot: Slot): void {
    retired.push(slot);
    while (retired.length > RETIRED_SESSIONS_KEPT) {
      const index = retired.findIndex((s) => s.inFlight === 0);
      if (index < 0) break;
      const [oldest] = retired.splice(index, 1);
      void release(oldest);
    }
  }

  async function predictOn(slot: Slot, x: Float32Array, rows: number): Promise<Float32Array> {
    if (slot.released) throw new EngineError('model_released', `model ${slot.label} was retired and released; start a new run to use the active version`);
    slot.inFlight++;
    try {
      return await slot.onnx.predict(x, rows);
    } finally {
      slot.inFlight--;
    }
  }

  /** A version's file, its sha256 checked against the record. @throws ModelIntegrityError. */
  async function verifiedBytes(record: ModelRecord): Promise<Uint8Array> {
    const bytes = await deps.store.read(record.file);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== record.sha256) {
      throw new ModelIntegrityError(`model file "${record.file}" of ${labelOf(record)} has sha256 ${sha256}, expected ${record.sha256}; the file was changed or corrupted`);
    }
    return bytes;
  }

  /** A version's record, or the error naming `field`. */
  async function recordOf(kind: ModelKind, version: number, field: string): Promise<ModelRecord> {
    const record = await deps.repository.get(kind, version);
    if (!record) throw new ValidationError(field, version, `no ${kind} model has this version; see the Models page`);
    return record;
  }

  async function load(record: ModelRecord): Promise<Slot> {
    const bytes = await verifiedBytes(record);
    const onnx = await loadOnnxModel(bytes);
    if (onnx.featureCount !== record.featureNames.length) {
      await onnx.release();
      throw new ModelIntegrityError(`model ${labelOf(record)} takes ${onnx.featureCount} features but its record names ${record.featureNames.length}`);
    }
    return { record, onnx, label: labelOf(record), inFlight: 0, released: false };
  }

  async function deploy(kind: ModelKind, version: number): Promise<ModelRecord> {
    checkModelRef(kind, version);
    if (closed) throw new EngineError('registry_closed', 'the model registry is closed');
    return serial(kind, async () => {
      const record = await deps.repository.get(kind, version);
      if (!record) throw new NotFoundError(`model ${kind} v${version} does not exist`);
      const slot = await load(record);
      const previous = current.get(kind);
      current.set(kind, slot);
      let activated: ModelRecord;
      try {
        activated = await deps.repository.activate(kind, version);
      } catch (error) {
        if (previous) current.set(kind, previous);
        else current.delete(kind);
        await release(slot);
        throw error;
      }
      slot.record = activated;
      if (previous) retire(previous);
      deps.logger.info({ model: slot.label, sha256: record.sha256 }, 'model deployed');
      return activated;
    });
  }

  /** Tells other processes about the new active version (logged when the send fails: they load it on their next reconnect or start). */
  async function announced(record: ModelRecord): Promise<ModelRecord> {
    await deps.control?.publish({ kind: ControlKind.ModelDeployed, modelKind: record.kind, version: record.version }).catch((error: unknown) =>
      deps.logger.warn({ err: error, model: labelOf(record) }, 'control bus: announcing the deploy failed'),
    );
    return record;
  }

  async function rollback(kind: ModelKind): Promise<ModelRecord> {
    checkModelRef(kind);
    const versions = await deps.repository.list(kind);
    const active = versions.find((v) => v.active);
    const candidates = versions
      .filter((v) => !v.active && v.activatedAtMs !== null)
      .sort((a, b) => (b.activatedAtMs ?? 0) - (a.activatedAtMs ?? 0) || b.version - a.version);
    if (!candidates[0]) {
      throw new NotFoundError(`no previously active ${kind} version to roll back to${active ? ` from v${active.version}` : ''}`);
    }
    deps.logger.info({ kind, from: active?.version ?? null, to: candidates[0].version }, 'rolling back model');
    return deploy(kind, candidates[0].version);
  }

  /** A version of `kind` loaded once and kept until close. @throws ValidationError naming `field` when it does not exist. */
  function pinnedSlot(kind: ModelKind, version: number, field: string): Promise<Slot> {
    const key = `${kind}@v${version}`;
    let slot = pinned.get(key);
    if (!slot) {
      slot = recordOf(kind, version, field).then(load);
      pinned.set(key, slot);
      slot.catch(() => pinned.delete(key));
    }
    return slot;
  }

  function vetoFrom(slot: Slot): VetoModel {
    return {
      version: slot.label,
      featureNames: slot.record.featureNames,
      predictLossProbability: (features) => vetoPredict(slot, features),
    };
  }

  async function vetoPredict(slot: Slot, features: Float32Array): Promise<number> {
    if (features.length !== slot.record.featureNames.length) {
      throw new ValidationError('features', features.length, `veto model ${slot.label} takes ${slot.record.featureNames.length} features`);
    }
    const [p] = await predictOn(slot, features, 1);
    if (!(p >= 0 && p <= 1)) throw new EngineError('model_output', `veto model ${slot.label} returned ${p}, not a probability`);
    return p;
  }

  const registry: ModelRegistry = {
    list: async (kind) => {
      if (kind !== undefined) checkModelRef(kind);
      return deps.repository.list(kind);
    },
    async deploy(kind, version) {
      return announced(await deploy(kind, version));
    },
    async rollback(kind) {
      return announced(await rollback(kind));
    },
    async syncActive() {
      return (await registry.loadActiveOnStart()).loaded;
    },
    activeVetoModel() {
      const slot = current.get(ModelKind.IntentVeto);
      return slot ? vetoFrom(slot) : null;
    },
    liveVetoModel() {
      let lastLabel: string | null = null;
      const slot = () => {
        const s = current.get(ModelKind.IntentVeto);
        if (!s) throw new NotFoundError('no intent-veto model is deployed');
        return s;
      };
      return {
        /** The version that answered this view's last prediction (else the active one, or "none"). */
        get version() {
          return lastLabel ?? current.get(ModelKind.IntentVeto)?.label ?? 'none';
        },
        get featureNames() {
          return current.get(ModelKind.IntentVeto)?.record.featureNames ?? [];
        },
        async predictLossProbability(features) {
          const s = slot();
          const p = await vetoPredict(s, features);
          lastLabel = s.label;
          return p;
        },
      };
    },
    active(kind) {
      const slot = current.get(kind);
      if (!slot) return null;
      return { record: slot.record, label: slot.label, predict: (x, rows) => predictOn(slot, x, rows) };
    },
    async loadActiveOnStart() {
      const loaded: string[] = [];
      const failed: { kind: ModelKind; error: string }[] = [];
      for (const kind of MODEL_KINDS) {
        try {
          const record = await deps.repository.active(kind);
          if (!record) continue;
          if (current.get(kind)?.record.version === record.version) continue;
          await serial(kind, async () => {
            const slot = await load(record);
            const previous = current.get(kind);
            current.set(kind, slot);
            if (previous) retire(previous);
          });
          loaded.push(labelOf(record));
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          failed.push({ kind, error: message });
          deps.logger.error({ err: error, kind }, 'the active model could not be loaded; the kind stays without a model');
        }
      }
      if (loaded.length) deps.logger.info({ models: loaded }, 'active models loaded');
      return { loaded, failed };
    },
    pinnedVetoModel(version) {
      if (!Number.isInteger(version) || version < 1) return Promise.reject(new ValidationError('vetoVersion', version, 'expected a model version number >= 1'));
      return pinnedSlot(ModelKind.IntentVeto, version, 'vetoVersion').then(vetoFrom);
    },
    async pinnedModel(kind, version, field = 'version') {
      if (!Number.isInteger(version) || version < 1) throw new ValidationError(field, version, 'expected a model version number >= 1');
      const slot = await pinnedSlot(kind, version, field);
      return { record: slot.record, label: slot.label, predict: (x, rows) => predictOn(slot, x, rows) };
    },
    async modelFile(kind, version, field = 'version') {
      if (!Number.isInteger(version) || version < 1) throw new ValidationError(field, version, 'expected a model version number >= 1');
      const record = await recordOf(kind, version, field);
      return { record, bytes: await verifiedBytes(record) };
    },
    liveModel(kind) {
      let lastLabel: string | null = null;
      const currentRecord = () => current.get(kind)?.record;
      return {
        get record() {
          const record = currentRecord();
          if (!record) throw new NotFoundError(`no ${kind} model is deployed`);
          return record;
        },
        get label() {
          return lastLabel ?? current.get(kind)?.label ?? `${kind}@none`;
        },
        async predict(x, rows) {
          const s = current.get(kind);
          if (!s) throw new NotFoundError(`no ${kind} model is deployed`);
          const out = await predictOn(s, x, rows);
          lastLabel = s.label;
          return out;
        },
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      const pins = await Promise.all([...pinned.values()].map((p) => p.catch(() => null)));
      pinned.clear();
      const slots = [...current.values(), ...retired.splice(0), ...pins.filter((p): p is Slot => p !== null)];
      current.clear();
      await Promise.all(slots.map(release));
    },
  };
  return registry;
}

/** A {@link ModelAdmin} for an engine built without models: every call rejects with a clear error. */
export function createUnavailableModelAdmin(): ModelAdmin {
  const fail = () => Promise.reject(new EngineError('models_unavailable', 'this engine was built without a model registry'));
  return { list: fail, deploy: fail, rollback: fail };
}
