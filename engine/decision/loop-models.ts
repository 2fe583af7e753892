/**
 * Ports for the models the trading loop may consult on an entry besides the veto (issue 17): the regime
 * classifier (regime-dependent risk), the volatility predictor (volatility-targeted sizing) and the
 * stop-distance model (the stop hint). Each is optional and off by default; the run spec's `models`
 * option turns one on and carries its parameters ({@link LoopModelsSpec}).
 *
 * Inputs are the training features (engine/ml/market-features.ts): the regime and volatility models read
 * the market vector of the entry candle, the stop-distance model the intent vector (side first). An
 * ONNX-backed implementation comes from the model registry (engine/ml/loop-model-source.ts); tests
 * plug in stubs.
 */
import { z } from 'zod';
import { ValidationError } from '../core/errors';
import { parseOrThrow } from '../core/validation';
import { ModelKind } from '../ports/model-kind';

/** Regime classes in the classifier's output order (engine/ml/dataset.ts `RegimeClass`). */
export const LOOP_REGIMES = ['trendUp', 'trendDown', 'range'] as const;
export type LoopRegime = (typeof LOOP_REGIMES)[number];

/** A 3-class regime classifier. */
export interface RegimeModel {
  /** Identity journaled with every decision it took part in, e.g. `regime@v3`. */
  readonly version: string;
  readonly featureNames: readonly string[];
  /**
   * Class probabilities trend-up, trend-down, range (3 values) for the market vector `features`
   * (`features.length === featureNames.length`). Rejects on a length mismatch or a non-finite output.
   */
  predictRegimeProbabilities(features: Float32Array): Promise<ArrayLike<number>>;
}

/** A forward-volatility predictor: the standard deviation of the next candles' log returns, per candle (0.01 = 1 %). */
export interface VolatilityModel {
  readonly version: string;
  readonly featureNames: readonly string[];
  /** Predicted per-candle volatility for the market vector `features`; rejects on a non-finite output. */
  predictVolatility(features: Float32Array): Promise<number>;
}

/** A stop-distance model: the adverse excursion an entry should survive, in ATR(14)s. */
export interface StopDistanceModel {
  readonly version: string;
  readonly featureNames: readonly string[];
  /** Predicted maximum adverse excursion in ATRs for the intent vector `features`; rejects on a non-finite output. */
  predictStopDistanceAtr(features: Float32Array): Promise<number>;
}

/** The models a loop consults on an entry (null = off). */
export interface LoopModels {
  regime: RegimeModel | null;
  volatility: VolatilityModel | null;
  stopDistance: StopDistanceModel | null;
}

/** No model: today's loop. */
export const NO_LOOP_MODELS: LoopModels = Object.freeze({ regime: null, volatility: null, stopDistance: null });

/** Which version of a kind: the one deployed (at run start; a session follows deploys) or a version number. */
export const modelVersionSchema = z.union([z.literal('deployed'), z.number({ error: 'expected "deployed" or a version number' }).int().positive()], {
  error: 'expected "deployed" or a version number >= 1',
});
export type ModelVersionRef = z.infer<typeof modelVersionSchema>;

const multiplier = z.number({ error: 'expected a number' }).min(0, 'expected a multiplier in 0..1').max(1, 'expected a multiplier in 0..1');

/**
 * Regime-dependent risk: `riskPerTradePct` is multiplied by the entry candle's regime multiplier (0..1;
 * 0 = no entries in that regime, each denied with the regime named). Defaults: trend 1, range 0.5.
 */
export const regimeOptionSchema = z.strictObject({
  version: modelVersionSchema.default('deployed'),
  riskMultiplier: z
    .strictObject({ trendUp: multiplier.default(1), trendDown: multiplier.default(1), range: multiplier.default(0.5) })
    .default({ trendUp: 1, trendDown: 1, range: 0.5 }),
});

/**
 * Volatility targeting: the risk budget is scaled by clamp(targetVolatility / predicted, minScale, maxScale).
 * `targetVolatility` is per candle of the run's timeframe (0.005 = 0.5 %), > 0 and below 1.
 */
export const volatilityOptionSchema = z
  .strictObject({
    version: modelVersionSchema.default('deployed'),
    targetVolatility: z.number({ error: 'expected a per-candle volatility such as 0.005' }).gt(0, 'expected a volatility above 0').lt(1, 'expected a per-candle volatility below 1'),
    minScale: z.number({ error: 'expected a number' }).gt(0, 'expected a scale above 0').max(10, 'expected a scale of at most 10').default(0.25),
    maxScale: z.number({ error: 'expected a number' }).gt(0, 'expected a scale above 0').max(10, 'expected a scale of at most 10').default(1),
  })
  .superRefine((v, ctx) => {
    if (v.maxScale < v.minScale) ctx.addIssue({ code: 'custom', path: ['maxScale'], input: v.maxScale, message: `must be at least minScale (${v.minScale})` });
  });

/**
 * Model stop: the stop sits `multiple` x max(predicted, minAtr) ATR(14)s from the entry price, replacing the
 * strategies' stop hint. Defaults: multiple 1, minAtr 0.5 (a floor so a near-zero prediction cannot put the
 * stop at the entry).
 */
export const stopDistanceOptionSchema = z.strictObject({
  version: modelVersionSchema.default('deployed'),
  multiple: z.number({ error: 'expected a number' }).gt(0, 'expected a multiple above 0').max(10, 'expected a multiple of at most 10').default(1),
  minAtr: z.number({ error: 'expected a number' }).min(0, 'expected a distance of at least 0 ATRs').max(20, 'expected a distance of at most 20 ATRs').default(0.5),
});

/** A kind's option: absent, false or null = off; true = on with the deployed version and the defaults; else its settings. */
const toggle = <S extends z.ZodType>(schema: S) => z.preprocess((v) => (v === false || v === null ? undefined : v === true ? {} : v), schema.optional());

/** The run spec's `models` option as a request gives it (see {@link toggle}). */
export const loopModelsRequestSchema = z.strictObject({
  regime: toggle(regimeOptionSchema),
  volatility: toggle(volatilityOptionSchema),
  stopDistance: toggle(stopDistanceOptionSchema),
});
/** The `models` option as a request may give it. */
export interface LoopModelsRequest {
  regime?: boolean | null | z.input<typeof regimeOptionSchema>;
  volatility?: boolean | null | z.input<typeof volatilityOptionSchema>;
  stopDistance?: boolean | null | z.input<typeof stopDistanceOptionSchema>;
}

export type RegimeOption = z.output<typeof regimeOptionSchema>;
export type VolatilityOption = z.output<typeof volatilityOptionSchema>;
export type StopDistanceOption = z.output<typeof stopDistanceOptionSchema>;

/** The resolved `models` of a run spec: each kind null (off) or its version and parameters, defaults filled. */
export interface LoopModelsSpec {
  regime: RegimeOption | null;
  volatility: VolatilityOption | null;
  stopDistance: StopDistanceOption | null;
}

/**
 * Resolves a request's `models` option (absent = every model off).
 * @throws ValidationError naming `models.<kind>.<field>` and the value (a multiplier outside 0..1, a
 *   version that is not "deployed" or a number >= 1, maxScale below minScale, an unknown field).
 */
export function resolveLoopModels(request: unknown): LoopModelsSpec {
  const parsed = parseOrThrow(loopModelsRequestSchema, request ?? {}, { prefix: 'models' });
  return { regime: parsed.regime ?? null, volatility: parsed.volatility ?? null, stopDistance: parsed.stopDistance ?? null };
}

/** Every model off. */
export const NO_MODELS_SPEC: LoopModelsSpec = Object.freeze({ regime: null, volatility: null, stopDistance: null });

/** The model kinds of the `models` option, with the registry's kind name. */
export const LOOP_MODEL_KINDS = [
  { key: 'regime', kind: ModelKind.Regime },
  { key: 'volatility', kind: ModelKind.Volatility },
  { key: 'stopDistance', kind: ModelKind.StopDistance },
] as const;

/** Whether any model of the spec is on. */
export function anyLoopModel(spec: LoopModelsSpec | undefined): boolean {
  return Boolean(spec && (spec.regime || spec.volatility || spec.stopDistance));
}

/** Index of the most probable class (the first on a tie). */
export function regimeOf(probabilities: ArrayLike<number>): LoopRegime {
  let best = 0;
  for (let k = 1; k < LOOP_REGIMES.length; k++) if (probabilities[k] > probabilities[best]) best = k;
  return LOOP_REGIMES[best];
}

/**
 * The volatility sizing scale: targetVolatility / predicted, clamped to [minScale, maxScale]; a prediction
 * of 0 or less gives maxScale (the market is as calm as the model can say).
 * @throws ValidationError naming `predictedVolatility` when the prediction is not a finite number.
 */
export function volatilityScale(option: Pick<VolatilityOption, 'targetVolatility' | 'minScale' | 'maxScale'>, predicted: number): number {
  if (!Number.isFinite(predicted)) throw new ValidationError('predictedVolatility', predicted, 'the volatility model returned a non-finite prediction');
  const raw = predicted > 0 ? option.targetVolatility / predicted : option.maxScale;
  return Math.min(option.maxScale, Math.max(option.minScale, raw));
}

/**
 * The model stop for an entry at `price` of `side` (+1 long, -1 short): price - side x multiple x
 * max(predictedAtr, minAtr) x atr. NaN when `atr` is not a positive number (the risk gate then falls back
 * to the strategies' hint or its ATR stop).
 * @throws ValidationError naming `predictedStopDistance` when the prediction is not a finite number.
 */
export function modelStopPrice(option: Pick<StopDistanceOption, 'multiple' | 'minAtr'>, side: number, price: number, atr: number, predictedAtr: number): number {
  if (!Number.isFinite(predictedAtr)) throw new ValidationError('predictedStopDistance', predictedAtr, 'the stop-distance model returned a non-finite prediction');
  if (!(atr > 0)) return NaN;
  return price - side * option.multiple * Math.max(predictedAtr, option.minAtr) * atr;
}

/** The loop's source of models: resolves a version reference of each kind to a loaded model. */
export interface LoopModelSource {
  /**
   * Loads the models a spec turns on. `follow`: a `deployed` reference follows later deploys (a live
   * session); otherwise it is a snapshot of the version deployed now (a backtest).
   * @throws ValidationError naming `models.<kind>` and the value when no version of that kind is deployed
   *   or the named version does not exist.
   */
  load(spec: LoopModelsSpec, options?: { follow?: boolean }): Promise<LoopModels>;
  /**
   * The verified file of each model a spec turns on, for a thread that opens its own sessions (a study's trials):
   * `deployed` is the version deployed now.
   * @throws ValidationError as {@link LoopModelSource.load}.
   */
  files(spec: LoopModelsSpec): Promise<LoopModelFile[]>;
  /** The version number `deployed` means now, per kind; null when none is deployed. */
  deployedVersion(kind: (typeof LOOP_MODEL_KINDS)[number]['kind']): number | null;
}

/** One model of a run as bytes (see {@link LoopModelSource.files}): plain data, so it crosses to a worker thread. */
export interface LoopModelFile {
  /** The kind's key in the `models` option. */
  readonly key: (typeof LOOP_MODEL_KINDS)[number]['key'];
  /** `kind@v<version>`, journaled with each decision the model takes part in. */
  readonly label: string;
  readonly featureNames: readonly string[];
  /** The ONNX file, its sha256 checked against the model's record. */
  readonly bytes: Uint8Array;
}

/** Replaces each `deployed` reference of a spec by the deployed version number, as `source` reports it. @throws ValidationError as {@link LoopModelSource.load}. */
export function pinDeployedVersions(spec: LoopModelsSpec, source: Pick<LoopModelSource, 'deployedVersion'> | null | undefined): LoopModelsSpec {
  const out: LoopModelsSpec = { ...spec };
  for (const { key, kind } of LOOP_MODEL_KINDS) {
    const option = spec[key];
    if (!option || option.version !== 'deployed') continue;
    const version = source?.deployedVersion(kind) ?? null;
    if (version === null) throw notDeployed(key, kind);
    (out as unknown as Record<string, unknown>)[key] = { ...option, version };
  }
  return out;
}

/**
 * The files of the models a spec turns on (none when every kind is off), for a study's trial session.
 * @throws ValidationError as {@link LoopModelSource.files}, or {@link noModelSource} when there is no source.
 */
export async function loopModelFilesOf(spec: LoopModelsSpec, source: LoopModelSource | null | undefined): Promise<LoopModelFile[]> {
  if (!anyLoopModel(spec)) return [];
  if (!source) throw noModelSource(spec);
  return source.files(spec);
}

/**
 * The error for a spec that turns a model on where there is no model source at all (an engine built
 * without a registry): as if no model of its first kind that is on were deployed.
 */
export function noModelSource(spec: LoopModelsSpec): ValidationError {
  const first = LOOP_MODEL_KINDS.find(({ key }) => spec[key] !== null) ?? LOOP_MODEL_KINDS[0];
  return notDeployed(first.key, first.kind);
}

/** The error for a `deployed` reference when no version of the kind is deployed. */
export function notDeployed(key: string, kind: string): ValidationError {
  return new ValidationError(`models.${key}`, 'deployed', `no ${kind} model is deployed; train and deploy one on the Models page or run without it`);
}
