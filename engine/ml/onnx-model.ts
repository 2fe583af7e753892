/**
 * Runs an exported model with onnxruntime-node: load from bytes (`InferenceSession.create`), batch
 * inference over float32 rows, explicit release of the native session. onnxruntime loads with the first
 * model, so a process that never runs one (a CLI backtest without models) does not pay for it.
 */
import { ValidationError } from '../core/errors';

/** A loaded ONNX model with one float32 [N, F] input and one float32 [N, K] output. */
export interface OnnxModel {
  readonly inputName: string;
  readonly outputName: string;
  /** F, from the input's declared shape. */
  readonly featureCount: number;
  /**
   * Runs `rows` rows (row-major, `rows x featureCount` values) and returns the output, row-major `rows x K`.
   * @throws ValidationError on a size mismatch; rejects when the session was released or inference fails.
   */
  predict(x: Float32Array, rows: number): Promise<Float32Array>;
  /** Frees the native session; later `predict` calls reject. Idempotent. */
  release(): Promise<void>;
}

/**
 * Loads an ONNX model from its bytes.
 * @throws Error from onnxruntime when the bytes are not a valid model; ValidationError when the
 *   model does not have exactly one input of shape [N, F] with a fixed F.
 */
export async function loadOnnxModel(bytes: Uint8Array): Promise<OnnxModel> {
  const { InferenceSession, Tensor } = await import('onnxruntime-node');
  const session = await InferenceSession.create(bytes);
  const input = session.inputMetadata[0];
  const featureCount = input && input.isTensor ? input.shape[1] : undefined;
  if (session.inputNames.length !== 1 || session.outputNames.length < 1 || typeof featureCount !== 'number' || !(featureCount > 0)) {
    await session.release();
    throw new ValidationError('model', session.inputNames, 'expected one float32 input of shape [N, F] with a fixed feature count F');
  }
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  let released: Promise<void> | null = null;
  return {
    inputName,
    outputName,
    featureCount,
    async predict(x, rows) {
      if (!Number.isInteger(rows) || rows < 1 || x.length !== rows * featureCount) {
        throw new ValidationError('features', x.length, `expected ${rows} rows x ${featureCount} features = ${rows * featureCount} values`);
      }
      if (released) throw new Error('the ONNX session was released');
      const result = await session.run({ [inputName]: new Tensor('float32', x, [rows, featureCount]) });
      const data = result[outputName].data;
      if (!(data instanceof Float32Array)) throw new Error(`output "${outputName}" is not float32`);
      return data;
    },
    release() {
      released ??= session.release();
      return released;
    },
  };
}
