/**
 * The database implementation of the `ModelFileStore` port (the `model_files` table, migration
 * 0019): every server on one database reads the same bytes, so a version deployed by one server
 * loads in all of them. File names stay `<kind>/v<version>.onnx` and map to the row's kind and
 * version. The sha256 stored with the bytes is computed here on write; the registry checks the bytes
 * it reads against the version's `models.sha256`, so a changed row is refused there.
 */
import { createHash } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { NotFoundError, ValidationError } from '../../engine/core/errors';
import type { ModelFileStore } from '../../engine/ports/model-file-store';
import type { ModelRepository } from '../../engine/ports/models';
import type { Db } from '../client';
import { modelFiles } from '../schema';
import { createModelRepository, type ModelFileTransactions } from './model-repository';
import { wrapDriver } from './sql-helpers';

const FILE = /^([a-z0-9][a-z0-9-]*)\/v([0-9]+)\.onnx$/;
const dbNowMs = sql<number>`(extract(epoch from now()) * 1000)::bigint`;

/** The kind and version a file name stands for. @throws ValidationError for a name other than `<kind>/v<n>.onnx`. */
function keyOf(file: string): { kind: string; version: number } {
  const match = FILE.exec(file);
  const version = match ? Number(match[2]) : NaN;
  if (!match || !Number.isSafeInteger(version) || version < 1) throw new ValidationError('file', file, 'expected "<kind>/v<version>.onnx"');
  return { kind: match[1], version };
}

/**
 * A model file store over a drizzle handle. `transactions` is shared with the model repository that
 * creates versions (see `ModelFileTransactions` in ./model-repository); a store used alone may omit it.
 */
export function createDbModelFileStore(db: Db, transactions: ModelFileTransactions = new Map()): ModelFileStore {
  return {
    async write(file, bytes) {
      const { kind, version } = keyOf(file);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const handle = transactions.get(file) ?? db;
      const row = { kind, version, sha256, sizeBytes: bytes.byteLength, bytes, createdAtMs: dbNowMs };
      await wrapDriver(`storing model file "${file}"`, () =>
        handle
          .insert(modelFiles)
          .values(row)
          .onConflictDoUpdate({ target: [modelFiles.kind, modelFiles.version], set: { sha256, sizeBytes: bytes.byteLength, bytes, createdAtMs: dbNowMs } }),
      );
    },
    async read(file) {
      const { kind, version } = keyOf(file);
      const rows = await wrapDriver(`reading model file "${file}"`, () =>
        db.select({ bytes: modelFiles.bytes }).from(modelFiles).where(and(eq(modelFiles.kind, kind), eq(modelFiles.version, version))),
      );
      if (!rows[0]) throw new NotFoundError(`model file "${file}" is not stored in the database`);
      const bytes = rows[0].bytes;
      // postgres.js hands back a Buffer over a shared pool: copy into a Uint8Array of its own.
      return new Uint8Array(bytes);
    },
    async has(file) {
      const { kind, version } = keyOf(file);
      const rows = await wrapDriver(`checking model file "${file}"`, () =>
        db.select({ version: modelFiles.version }).from(modelFiles).where(and(eq(modelFiles.kind, kind), eq(modelFiles.version, version))),
      );
      return rows.length > 0;
    },
  };
}

/**
 * The model repository and the database file store wired together, so a training job's file write
 * joins the transaction that numbers the version (a failed write leaves no version behind).
 */
export function createDbModelStorage(db: Db): { repository: ModelRepository; files: ModelFileStore } {
  const fileTransactions: ModelFileTransactions = new Map();
  return { repository: createModelRepository(db, { fileTransactions }), files: createDbModelFileStore(db, fileTransactions) };
}
