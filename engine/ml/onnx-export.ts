/**
 * Exports a {@link LinearModel} to an ONNX model (IR version 8, default-domain opset 13) with the
 * standardisation folded into the weights (see `foldStandardization`):
 *
 *   features [N, F] float32 -> MatMul(W [F, K]) -> Add(B [K]) -> Sigmoid | Softmax(axis -1) | identity
 *
 * Input `features` is float32 [N, F] (N symbolic). Output `probability` [N, K] for classifiers
 * (K = 1 for logistic: P(positive); K = classes for softmax) or `prediction` [N, 1] for regressors.
 * The feature names, model type and kind ride along in `metadata_props`.
 *
 * Encoding is deterministic: the same model gives byte-identical files (no timestamps, fixed order).
 */
import onnxProto from 'onnx-proto';
import { LinearModelType, foldStandardization, type LinearModel } from './linear-model';

const { onnx } = onnxProto;

/** Input tensor name of every exported model. */
export const ONNX_INPUT_NAME = 'features';
/** Output tensor name of classifiers (probabilities). */
export const ONNX_PROBABILITY_OUTPUT = 'probability';
/** Output tensor name of regressors. */
export const ONNX_PREDICTION_OUTPUT = 'prediction';
/** Default-domain operator set the graph uses (Softmax with axis = -1 semantics needs 13+). */
export const ONNX_OPSET = 13;
/** ONNX IR version written (IR 8 pairs with opset 13..15). */
export const ONNX_IR_VERSION = 8;

const FLOAT = 1; // onnx.TensorProto.DataType.FLOAT

/** What the export records besides the weights. */
export interface OnnxExportInfo {
  /** Model kind (e.g. "intent-veto"), stored in metadata. */
  kind: string;
  /** Graph name; defaults to the kind. */
  graphName?: string;
}

/** Name of the output tensor for a model type. */
export function onnxOutputName(type: LinearModelType): string {
  return type === LinearModelType.Linear ? ONNX_PREDICTION_OUTPUT : ONNX_PROBABILITY_OUTPUT;
}

function tensorValueInfo(name: string, dims: (number | string)[]) {
  return {
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/**
 * Serialises `model` as an ONNX ModelProto.
 * @returns the protobuf bytes, ready for `InferenceSession.create(bytes)` or a `.onnx` file.
 */
export function exportOnnx(model: LinearModel, info: OnnxExportInfo): Uint8Array {
  const features = model.featureNames.length;
  const k = model.outputs;
  const folded = foldStandardization(model);
  const output = onnxOutputName(model.type);
  const nodes: onnxProto.onnx.INodeProto[] = [
    { opType: 'MatMul', input: [ONNX_INPUT_NAME, 'weights'], output: ['linear'], name: 'matmul' },
  ];
  if (model.type === LinearModelType.Linear) {
    nodes.push({ opType: 'Add', input: ['linear', 'bias'], output: [output], name: 'add' });
  } else {
    nodes.push({ opType: 'Add', input: ['linear', 'bias'], output: ['logits'], name: 'add' });
    if (model.type === LinearModelType.Logistic) {
      nodes.push({ opType: 'Sigmoid', input: ['logits'], output: [output], name: 'sigmoid' });
    } else {
      nodes.push({
        opType: 'Softmax',
        input: ['logits'],
        output: [output],
        name: 'softmax',
        attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: -1 }],
      });
    }
  }
  const message = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    producerName: 'aethelred',
    producerVersion: '1',
    domain: 'aethelred.ml',
    modelVersion: 1,
    docString: `${info.kind}: ${model.type} regression over ${features} features`,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    metadataProps: [
      { key: 'kind', value: info.kind },
      { key: 'model_type', value: model.type },
      { key: 'feature_names', value: JSON.stringify(model.featureNames) },
    ],
    graph: {
      name: info.graphName ?? info.kind,
      node: nodes,
      initializer: [
        { name: 'weights', dims: [features, k], dataType: FLOAT, floatData: Array.from(folded.weights) },
        { name: 'bias', dims: [k], dataType: FLOAT, floatData: Array.from(folded.bias) },
      ],
      input: [tensorValueInfo(ONNX_INPUT_NAME, ['N', features])],
      output: [tensorValueInfo(output, ['N', k])],
    },
  });
  return onnx.ModelProto.encode(message).finish();
}

/** Metadata read back from an exported model (the inverse of what {@link exportOnnx} writes). */
export interface OnnxModelMetadata {
  kind: string;
  modelType: string;
  featureNames: string[];
  opset: number;
}

/**
 * Reads the metadata of an ONNX file written by {@link exportOnnx}.
 * @throws Error when the bytes are not an ONNX ModelProto with that metadata.
 */
export function readOnnxMetadata(bytes: Uint8Array): OnnxModelMetadata {
  const decoded = onnx.ModelProto.decode(bytes);
  const props = new Map((decoded.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
  const names = JSON.parse(props.get('feature_names') ?? 'null') as unknown;
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw new Error('the ONNX model carries no feature_names metadata');
  const opset = decoded.opsetImport?.find((o) => !o.domain)?.version;
  return { kind: props.get('kind') ?? '', modelType: props.get('model_type') ?? '', featureNames: names, opset: Number(opset ?? 0) };
}
