import { afterAll, describe, expect, it } from 'vitest';
import { syntheticCandles } from '../../tests/support/ml-candles';
import { buildIntentDataset, buildRegimeDataset, buildStopDistanceDataset, buildVolatilityDataset, type Dataset } from './dataset';
import { predictLinearModel } from './linear-model';
import { ModelKind } from '../ports/model-kind';
import { trainModel } from './model-training';
import { exportOnnx, ONNX_OPSET, readOnnxMetadata } from './onnx-export';
import { loadOnnxModel, type OnnxModel } from './onnx-model';

const candles = syntheticCandles(900, 21);
const options = { timeframe: '1h' as const, horizon: 12 };
const datasets: Record<ModelKind, Dataset> = {
  [ModelKind.IntentVeto]: buildIntentDataset(candles, options),
  [ModelKind.Regime]: buildRegimeDataset(candles, options),
  [ModelKind.Volatility]: buildVolatilityDataset(candles, options),
  [ModelKind.StopDistance]: buildStopDistanceDataset(candles, options),
};
const sessions: OnnxModel[] = [];
afterAll(async () => {
  await Promise.all(sessions.map((s) => s.release()));
});

describe.each([
  [ModelKind.IntentVeto, 'probability', 1],
  [ModelKind.Regime, 'probability', 3],
  [ModelKind.Volatility, 'prediction', 1],
  [ModelKind.StopDistance, 'prediction', 1],
] as const)('ONNX export of the %s model', (kind, outputName, outputs) => {
  it(`gives onnxruntime predictions equal to the TypeScript model's to 1e-5 (output "${outputName}" [N, ${outputs}])`, async () => {
    const dataset = datasets[kind];
    const { model } = await trainModel(kind, dataset, { folds: 2, seed: 3 });
    const bytes = exportOnnx(model, { kind });
    const onnx = await loadOnnxModel(bytes);
    sessions.push(onnx);
    expect(onnx.inputName).toBe('features');
    expect(onnx.outputName).toBe(outputName);
    expect(onnx.featureCount).toBe(dataset.featureNames.length);
    const rows = 64;
    const x = dataset.x.slice(0, rows * dataset.featureNames.length);
    const expected = predictLinearModel(model, x, rows);
    const actual = await onnx.predict(x, rows);
    expect(actual.length).toBe(rows * outputs);
    let worst = 0;
    for (let k = 0; k < expected.length; k++) worst = Math.max(worst, Math.abs(actual[k] - expected[k]));
    expect(worst).toBeLessThan(1e-5);
  });

  it('records kind, model type, feature names and opset 13 in the file', async () => {
    const { model } = await trainModel(kind, datasets[kind], { folds: 1, seed: 1 });
    const meta = readOnnxMetadata(exportOnnx(model, { kind }));
    expect(meta).toEqual({ kind, modelType: model.type, featureNames: [...datasets[kind].featureNames], opset: ONNX_OPSET });
  });
});

describe('loadOnnxModel', () => {
  it('rejects a batch whose size does not match rows x features', async () => {
    const { model } = await trainModel(ModelKind.Volatility, datasets[ModelKind.Volatility], { folds: 1, seed: 1 });
    const onnx = await loadOnnxModel(exportOnnx(model, { kind: ModelKind.Volatility }));
    sessions.push(onnx);
    await expect(onnx.predict(new Float32Array(5), 1)).rejects.toThrow('field "features" was 5: expected 1 rows x 9 features = 9 values');
  });

  it('rejects bytes that are not an ONNX model', async () => {
    await expect(loadOnnxModel(new Uint8Array([1, 2, 3]))).rejects.toThrow();
  });
});
