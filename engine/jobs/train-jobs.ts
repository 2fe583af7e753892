/**
 * The `train-*` jobs: train, export, store and (with `activate`) deploy one model kind each.
 * The body is `runTrainingJob` (engine/ml/train-handlers.ts); see README "Models".
 */
import { ModelKind } from '../ports/model-kind';
import { resolveTrainParams, runTrainingJob, trainParamsSchema, type TrainParams, type TrainResult } from '../ml/train-handlers';
import { defineJob } from './job-definition';

/** What a `train-*` ticket stores: the new version, its file, hash, metrics and walk-forward folds. */
export type TrainJobResult = TrainResult;

const example: TrainParams = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', from: '2024-01-01', to: '2024-07-01' };

function trainJob<Kind extends string>(kind: Kind, modelKind: ModelKind, summary: string) {
  return defineJob({
    kind,
    summary,
    // `params.activate` (deploying the model) is refused to a webhook by the receiver: deploying is admin-only.
    webhookStartable: true,
    paramsSchema: trainParamsSchema,
    /** Known timeframe, a non-empty date range, `runId` only for intent veto. */
    check: (params) => void resolveTrainParams(params, modelKind),
    example,
    run: (params, ctx, services): Promise<TrainJobResult> => runTrainingJob(modelKind, params, ctx, services.training),
  });
}

export const trainIntentVetoJob = trainJob('train-intent-veto', ModelKind.IntentVeto, 'Trains the intent-veto model (probability that an entry loses).');
export const trainRegimeJob = trainJob('train-regime', ModelKind.Regime, 'Trains the regime model (trend-up / trend-down / range).');
export const trainVolatilityJob = trainJob('train-volatility', ModelKind.Volatility, 'Trains the volatility model (realised forward volatility).');
export const trainStopDistanceJob = trainJob('train-stop-distance', ModelKind.StopDistance, 'Trains the stop-distance model (adverse excursion in ATRs).');
