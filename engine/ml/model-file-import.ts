/**
 * Copies model files from one store to another for every version the repository lists: at start the
 * composition root imports the `.onnx` files an older version kept under the data dir into the
 * database, so every server can load them. Idempotent: a version already in the target is skipped,
 * and a file whose bytes do not match its version's sha256 is not copied (it is reported, and the
 * registry would refuse it anyway).
 */
import { createHash } from 'node:crypto';
import { NotFoundError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { ModelFileStore } from '../ports/model-file-store';
import type { ModelRepository } from '../ports/models';

/** What an import did, by file name (`<kind>/v<n>.onnx`). */
export interface ModelFileImportReport {
  /** Copied into the target. */
  imported: string[];
  /** Neither in the target nor in the source: the version cannot be loaded until retrained. */
  missing: string[];
  /** In the source with bytes whose sha256 differs from the version's: not copied. */
  corrupt: string[];
}

/**
 * Copies each listed version's file from `from` to `to` unless `to` has it already.
 * @throws RepositoryError when a store or the repository fails (files copied before stay copied).
 */
export async function importModelFiles(deps: { repository: ModelRepository; from: ModelFileStore; to: ModelFileStore; logger: Logger }): Promise<ModelFileImportReport> {
  const report: ModelFileImportReport = { imported: [], missing: [], corrupt: [] };
  for (const record of await deps.repository.list()) {
    if (await deps.to.has(record.file)) continue;
    let bytes: Uint8Array;
    try {
      bytes = await deps.from.read(record.file);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      report.missing.push(record.file);
      continue;
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== record.sha256) {
      report.corrupt.push(record.file);
      continue;
    }
    await deps.to.write(record.file, bytes);
    report.imported.push(record.file);
  }
  if (report.imported.length) deps.logger.info({ files: report.imported }, 'model files imported into the shared store');
  if (report.missing.length || report.corrupt.length) {
    deps.logger.warn({ missing: report.missing, corrupt: report.corrupt }, 'some model versions have no usable file; retrain them to use them');
  }
  return report;
}
