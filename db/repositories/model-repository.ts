/**
 * Drizzle implementation of the engine's ModelRepository (the `models` table). Version numbers
 * are assigned inside a transaction holding a per-kind advisory lock, so concurrent creates get
 * distinct versions; activation flips the active flag in one transaction (the partial unique index
 * `models_one_active_per_kind_uq` backs the at-most-one-active invariant). Timestamps come from the
 * database clock.
 */
import { and, asc, desc, eq, ne, sql } from 'drizzle-orm';
import { NotFoundError } from '../../engine/core/errors';
import type { ModelKind } from '../../engine/ports/model-kind';
import { checkModelRef, checkNewModel, modelFileOf } from '../../engine/ml/model-repository';
import { type ModelRecord, type ModelRepository, type NewModel } from '../../engine/ports/models';
import type { Db } from '../client';
import { models } from '../schema';
import { wrapDriver } from './sql-helpers';

const dbNowMs = sql<number>`(extract(epoch from now()) * 1000)::bigint`;

type ModelRow = typeof models.$inferSelect;

/**
 * Open transactions by file name, shared with `createDbModelFileStore`: a create registers its transaction here
 * while it calls `writeFile`, so the bytes are written in the same transaction as the version row
 * (PGlite has one connection: a write outside that transaction would wait for it forever).
 */
export type ModelFileTransactions = Map<string, Db>;

function rowToRecord(r: ModelRow): ModelRecord {
  return {
    id: r.id,
    kind: r.kind as ModelKind,
    version: r.version,
    file: r.file,
    sha256: r.sha256,
    featureNames: r.featureNames,
    trainingFromMs: Number(r.trainingFromMs),
    trainingToMs: Number(r.trainingToMs),
    metrics: r.metrics,
    params: r.params,
    ticketId: r.ticketId,
    active: r.active,
    createdAtMs: Number(r.createdAtMs),
    activatedAtMs: r.activatedAtMs === null ? null : Number(r.activatedAtMs),
  };
}

/**
 * Builds the model repository over a drizzle handle (PGlite or postgres.js). With `fileTransactions`
 * (shared with `createDbModelFileStore`), a create's file write joins the create's transaction.
 */
export function createModelRepository(db: Db, options: { fileTransactions?: ModelFileTransactions } = {}): ModelRepository {
  return {
    async create(model: NewModel, writeFile?: (record: ModelRecord) => Promise<void>): Promise<ModelRecord> {
      checkNewModel(model);
      return wrapDriver(`creating a ${model.kind} model version`, () =>
        db.transaction(async (tx) => {
          await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`aethelred.models.${model.kind}`}))`);
          const [{ highest }] = await tx
            .select({ highest: sql<number | null>`max(${models.version})` })
            .from(models)
            .where(eq(models.kind, model.kind));
          const version = Number(highest ?? 0) + 1;
          const [row] = await tx
            .insert(models)
            .values({
              id: model.id,
              kind: model.kind,
              version,
              file: modelFileOf(model.kind, version),
              sha256: model.sha256,
              featureNames: model.featureNames,
              trainingFromMs: model.trainingFromMs,
              trainingToMs: model.trainingToMs,
              metrics: model.metrics,
              params: model.params,
              ticketId: model.ticketId,
              active: false,
              createdAtMs: dbNowMs,
            })
            .returning();
          const record = rowToRecord(row);
          if (writeFile) {
            options.fileTransactions?.set(record.file, tx);
            try {
              await writeFile(record);
            } finally {
              options.fileTransactions?.delete(record.file);
            }
          }
          return record;
        }),
      );
    },

    async list(kind?: ModelKind): Promise<ModelRecord[]> {
      if (kind !== undefined) checkModelRef(kind);
      const rows = await wrapDriver('listing models', () =>
        db
          .select()
          .from(models)
          .where(kind === undefined ? undefined : eq(models.kind, kind))
          .orderBy(asc(models.kind), desc(models.version)),
      );
      return rows.map(rowToRecord);
    },

    async get(kind: ModelKind, version: number): Promise<ModelRecord | null> {
      checkModelRef(kind, version);
      const rows = await wrapDriver(`loading model ${kind} v${version}`, () =>
        db.select().from(models).where(and(eq(models.kind, kind), eq(models.version, version))),
      );
      return rows[0] ? rowToRecord(rows[0]) : null;
    },

    async active(kind: ModelKind): Promise<ModelRecord | null> {
      checkModelRef(kind);
      const rows = await wrapDriver(`loading the active ${kind} model`, () =>
        db.select().from(models).where(and(eq(models.kind, kind), eq(models.active, true))),
      );
      return rows[0] ? rowToRecord(rows[0]) : null;
    },

    async activate(kind: ModelKind, version: number): Promise<ModelRecord> {
      checkModelRef(kind, version);
      return wrapDriver(`activating model ${kind} v${version}`, () =>
        db.transaction(async (tx) => {
          await tx
            .update(models)
            .set({ active: false })
            .where(and(eq(models.kind, kind), eq(models.active, true), ne(models.version, version)));
          const rows = await tx
            .update(models)
            .set({ active: true, activatedAtMs: dbNowMs })
            .where(and(eq(models.kind, kind), eq(models.version, version)))
            .returning();
          if (!rows[0]) throw new NotFoundError(`model ${kind} v${version} does not exist`);
          return rowToRecord(rows[0]);
        }),
      );
    },
  };
}
