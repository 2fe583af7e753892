/**
 * The loop's regime, volatility and stop-distance models from the model registry: a run's `models` option
 * names `deployed` (a snapshot of the active version at run start; with `follow`, a view that follows
 * deploys, as a live session's veto does) or a version number (loaded and kept, active or not). Each model's
 * record must take exactly the features the loop feeds it (engine/ml/market-features.ts), so training and
 * serving cannot drift.
 */
import { EngineError, ValidationError } from '../core/errors';
import {
  LOOP_MODEL_KINDS,
  notDeployed,
  pinDeployedVersions,
  type LoopModelFile,
  type LoopModels,
  type LoopModelSource,
  type LoopModelsSpec,
  type ModelVersionRef,
  type RegimeModel,
  type StopDistanceModel,
  type VolatilityModel,
} from '../decision/loop-models';
import type { ModelKind } from '../ports/model-kind';
import type { LoadedModel, ModelRegistry } from './model-registry';
import type { OnnxModel } from './onnx-model';
import { INTENT_FEATURE_NAMES, MARKET_FEATURE_NAMES } from './market-features';

type LoopKey = (typeof LOOP_MODEL_KINDS)[number]['key'];

/** What the loop's wrappers use of a model: its label (read at each decision: a live view's changes) and its predictions. */
type ServingModel = Pick<LoadedModel, 'label' | 'predict'>;

const FEATURES: Record<LoopKey, readonly string[]> = {
  regime: MARKET_FEATURE_NAMES,
  volatility: MARKET_FEATURE_NAMES,
  stopDistance: INTENT_FEATURE_NAMES,
};

/** The first value of a model's output, checked finite. */
async function single(model: ServingModel, x: Float32Array): Promise<number> {
  const [value] = await model.predict(x, 1);
  if (!Number.isFinite(value)) throw new EngineError('model_output', `model ${model.label} returned ${value}, not a finite number`);
  return value;
}

function regimeFrom(model: ServingModel): RegimeModel {
  return {
    get version() {
      return model.label;
    },
    featureNames: MARKET_FEATURE_NAMES,
    async predictRegimeProbabilities(x) {
      const p = await model.predict(x, 1);
      if (p.length !== 3 || !(Number.isFinite(p[0]) && Number.isFinite(p[1]) && Number.isFinite(p[2]))) {
        throw new EngineError('model_output', `regime model ${model.label} returned ${p.length} values, expected 3 class probabilities`);
      }
      return p;
    },
  };
}

function volatilityFrom(model: ServingModel): VolatilityModel {
  return {
    get version() {
      return model.label;
    },
    featureNames: MARKET_FEATURE_NAMES,
    predictVolatility: (x) => single(model, x),
  };
}

function stopDistanceFrom(model: ServingModel): StopDistanceModel {
  return {
    get version() {
      return model.label;
    },
    featureNames: INTENT_FEATURE_NAMES,
    predictStopDistanceAtr: (x) => single(model, x),
  };
}

/**
 * Builds the loop's model source over a registry.
 * @throws (from `load`) ValidationError naming `models.<kind>` and the value: no deployed version for
 *   `deployed`, no such version for a number, or a model whose features are not the loop's.
 */
export function createLoopModelSource(registry: Pick<ModelRegistry, 'active' | 'pinnedModel' | 'liveModel' | 'modelFile'>): LoopModelSource {
  async function loadOne(key: LoopKey, kind: ModelKind, version: ModelVersionRef, follow: boolean): Promise<LoadedModel> {
    let model: LoadedModel;
    if (version === 'deployed') {
      const active = registry.active(kind);
      if (!active) throw notDeployed(key, kind);
      model = follow ? registry.liveModel(kind) : active;
    } else {
      // The deployed version already has a session open: a run pinned to it (a queued backtest) shares it.
      const active = registry.active(kind);
      model = active && active.record.version === version && !follow ? active : await registry.pinnedModel(kind, version, `models.${key}`);
    }
    checkFeatures(key, version, model.label, model.record.featureNames);
    return model;
  }

  const deployedVersion: LoopModelSource['deployedVersion'] = (kind) => registry.active(kind)?.record.version ?? null;

  return {
    async load(spec: LoopModelsSpec, options = {}): Promise<LoopModels> {
      const follow = options.follow ?? false;
      return {
        regime: spec.regime ? regimeFrom(await loadOne('regime', 'regime', spec.regime.version, follow)) : null,
        volatility: spec.volatility ? volatilityFrom(await loadOne('volatility', 'volatility', spec.volatility.version, follow)) : null,
        stopDistance: spec.stopDistance ? stopDistanceFrom(await loadOne('stopDistance', 'stop-distance', spec.stopDistance.version, follow)) : null,
      };
    },
    async files(spec: LoopModelsSpec): Promise<LoopModelFile[]> {
      const pinned = pinDeployedVersions(spec, { deployedVersion });
      const out: LoopModelFile[] = [];
      for (const { key, kind } of LOOP_MODEL_KINDS) {
        const option = pinned[key];
        if (!option) continue;
        const { record, bytes } = await registry.modelFile(kind, option.version as number, `models.${key}`);
        const label = `${record.kind}@v${record.version}`;
        checkFeatures(key, spec[key]!.version, label, record.featureNames);
        out.push({ key, label, featureNames: record.featureNames, bytes });
      }
      return out;
    },
    deployedVersion,
  };
}

/** Refuses a model whose features are not the ones the loop feeds its kind. @throws ValidationError naming `models.<key>`. */
function checkFeatures(key: LoopKey, version: ModelVersionRef | string, label: string, names: readonly string[]): void {
  const expected = FEATURES[key];
  if (names.length !== expected.length || names.some((name, k) => name !== expected[k])) {
    throw new ValidationError(`models.${key}`, version, `model ${label} takes the features ${names.join(', ')}; the loop feeds ${expected.join(', ')}: retrain it`);
  }
}

/** Models opened from their files (see {@link openLoopModelFiles}), with the release of their sessions. */
export interface OpenedLoopModels {
  readonly models: LoopModels;
  /** Frees every session; later predictions reject. */
  release(): Promise<void>;
}

/**
 * Opens the loop's models from their files (a study's trial session, in the server's thread or a trial thread), with
 * the same wrappers as the registry's: same features checked, same outputs checked, same labels journaled.
 * @param open the ONNX loader (`loadOnnxModel`, which loads onnxruntime on first use).
 * @throws ValidationError naming `models.<key>` for a model whose features or feature count are not the loop's.
 */
export async function openLoopModelFiles(files: readonly LoopModelFile[], open: (bytes: Uint8Array) => Promise<OnnxModel>): Promise<OpenedLoopModels> {
  const sessions: OnnxModel[] = [];
  const release = async () => {
    await Promise.all(sessions.map((session) => session.release()));
  };
  const models: LoopModels = { regime: null, volatility: null, stopDistance: null };
  try {
    for (const file of files) {
      checkFeatures(file.key, file.label, file.label, file.featureNames);
      const onnx = await open(file.bytes);
      sessions.push(onnx);
      if (onnx.featureCount !== file.featureNames.length) {
        throw new ValidationError(`models.${file.key}`, file.label, `model ${file.label} takes ${onnx.featureCount} features but its record names ${file.featureNames.length}`);
      }
      const loaded: ServingModel = { label: file.label, predict: (x, rows) => onnx.predict(x, rows) };
      if (file.key === 'regime') models.regime = regimeFrom(loaded);
      else if (file.key === 'volatility') models.volatility = volatilityFrom(loaded);
      else models.stopDistance = stopDistanceFrom(loaded);
    }
  } catch (error) {
    await release();
    throw error;
  }
  return { models, release };
}
