/** Drizzle implementation of the engine's StudyRepository (the `studies` and `study_trials` tables). */
import { asc, desc, eq, sql } from 'drizzle-orm';
import type { StudyPatch, StudyRecord, StudyRepository, StudyTrialRecord } from '../../engine/ports/studies';
import type { Db } from '../client';
import { studies, studyTrials } from '../schema';
import { wrapDriver } from './sql-helpers';

type StudyRow = typeof studies.$inferSelect;
type TrialRow = typeof studyTrials.$inferSelect;

const numberOrNull = (value: number | string | null): number | null => (value === null ? null : Number(value));

function recordOf(r: StudyRow): StudyRecord {
  return {
    id: r.id,
    name: r.name,
    status: r.status as StudyRecord['status'],
    request: r.request,
    ticketId: r.ticketId,
    progressDone: r.progressDone,
    progressTotal: r.progressTotal,
    progressMessage: r.progressMessage,
    createdAtMs: Number(r.createdAtMs),
    createdBy: r.createdBy,
    startedAtMs: numberOrNull(r.startedAtMs),
    finishedAtMs: numberOrNull(r.finishedAtMs),
    error: r.error,
    result: r.result,
    appliedAtMs: numberOrNull(r.appliedAtMs),
    appliedBy: r.appliedBy,
  };
}

function trialOf(r: TrialRow): StudyTrialRecord {
  return {
    studyId: r.studyId,
    key: r.trialKey,
    index: r.candidateIndex,
    params: r.params,
    window: r.windowIndex,
    sample: r.sample as StudyTrialRecord['sample'],
    rung: r.rung,
    fromMs: Number(r.fromMs),
    toMs: Number(r.toMs),
    metrics: r.metrics as StudyTrialRecord['metrics'],
    score: numberOrNull(r.score),
    dailyReturns: r.dailyReturns,
    equity: r.equity,
  };
}

/** JSON as the database keeps it: non-finite numbers become null (as JSON.stringify writes them). */
const json = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Builds the study repository over a drizzle handle (PGlite or postgres.js). */
export function createStudyRepository(db: Db): StudyRepository {
  return {
    async create(record) {
      await wrapDriver(`saving study "${record.id}"`, () =>
        db.insert(studies).values({
          ...record,
          request: json(record.request),
          result: record.result === null ? null : json(record.result),
        }),
      );
    },

    async get(id) {
      const rows = await wrapDriver(`loading study "${id}"`, () => db.select().from(studies).where(eq(studies.id, id)));
      return rows[0] ? recordOf(rows[0]) : null;
    },

    async list() {
      const rows = await wrapDriver('listing studies', () => db.select().from(studies).orderBy(desc(studies.createdAtMs), desc(studies.id)));
      return rows.map(recordOf);
    },

    async update(id, patch: StudyPatch) {
      const values = { ...patch, ...(patch.result !== undefined ? { result: patch.result === null ? null : json(patch.result) } : {}) };
      if (Object.keys(values).length === 0) return (await this.get(id)) !== null;
      const rows = await wrapDriver(`updating study "${id}"`, () => db.update(studies).set(values).where(eq(studies.id, id)).returning({ id: studies.id }));
      return rows.length === 1;
    },

    async delete(id) {
      const rows = await wrapDriver(`deleting study "${id}"`, () => db.delete(studies).where(eq(studies.id, id)).returning({ id: studies.id }));
      return rows.length === 1;
    },

    async putTrial(trial) {
      const rows = await wrapDriver(`saving trial "${trial.key}" of study "${trial.studyId}"`, () =>
        db
          .insert(studyTrials)
          .values({
            studyId: trial.studyId,
            trialKey: trial.key,
            candidateIndex: trial.index,
            sample: trial.sample,
            windowIndex: trial.window,
            rung: trial.rung,
            fromMs: trial.fromMs,
            toMs: trial.toMs,
            params: json(trial.params),
            metrics: json(trial.metrics) as Record<string, unknown>,
            score: trial.score,
            dailyReturns: json(trial.dailyReturns),
            equity: trial.equity === null ? null : json(trial.equity),
          })
          .onConflictDoNothing()
          .returning({ key: studyTrials.trialKey }),
      );
      return rows.length === 1;
    },

    async trials(studyId) {
      const rows = await wrapDriver(`loading the trials of study "${studyId}"`, () =>
        db
          .select()
          .from(studyTrials)
          .where(eq(studyTrials.studyId, studyId))
          .orderBy(
            sql`case ${studyTrials.sample} when 'full' then 0 when 'in' then 1 else 2 end`,
            sql`coalesce(${studyTrials.windowIndex}, -1)`,
            sql`coalesce(${studyTrials.rung}, -1)`,
            asc(studyTrials.candidateIndex),
          ),
      );
      return rows.map(trialOf);
    },
  };
}
