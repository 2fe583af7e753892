/** Checks and file naming for model versions; the storage port is engine/ports/models.ts. */
import { ValidationError } from '../core/errors';
import { isModelKind, type ModelKind } from '../ports/model-kind';
import type { NewModel } from '../ports/models';

/** The models-directory-relative file of a version. */
export function modelFileOf(kind: ModelKind, version: number): string {
  return `${kind}/v${version}.onnx`;
}

/** Checks a kind and version from outside input. @throws ValidationError naming the field. */
export function checkModelRef(kind: unknown, version?: unknown): void {
  if (!isModelKind(kind)) throw new ValidationError('kind', kind, 'expected one of intent-veto, regime, volatility, stop-distance');
  if (version !== undefined && !(Number.isInteger(version) && (version as number) >= 1)) {
    throw new ValidationError('version', version, 'must be an integer >= 1');
  }
}

/** Validates a new model before storing. @throws ValidationError naming the field. */
export function checkNewModel(model: NewModel): void {
  checkModelRef(model.kind);
  if (!/^[0-9a-f]{64}$/.test(model.sha256)) throw new ValidationError('sha256', model.sha256, 'expected 64 lower-case hex digits');
  if (!Array.isArray(model.featureNames) || model.featureNames.length === 0) throw new ValidationError('featureNames', model.featureNames, 'expected a non-empty list');
  if (!(Number.isSafeInteger(model.trainingFromMs) && Number.isSafeInteger(model.trainingToMs) && model.trainingFromMs <= model.trainingToMs)) {
    throw new ValidationError('trainingToMs', model.trainingToMs, `must be an integer epoch ms at or after trainingFromMs (${model.trainingFromMs})`);
  }
  for (const [name, value] of Object.entries(model.metrics)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new ValidationError(`metrics.${name}`, value, 'metrics must be finite numbers');
  }
}
