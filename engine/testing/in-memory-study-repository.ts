/**
 * In-memory StudyRepository, for unit tests and the port contract suite. Same semantics as the
 * drizzle adapter: records are copied in and out (a JSON round trip, so non-finite numbers read back
 * as null like the database's JSON columns), trials are unique per (study, key).
 */
import type { StudyPatch, StudyRecord, StudyRepository, StudyTrialRecord } from '../ports/studies';

const SAMPLE_ORDER = { full: 0, in: 1, out: 2 } as const;

/** Trials in the port's order: sample (full, in, out), window, rung, index. */
export function compareStudyTrials(a: StudyTrialRecord, b: StudyTrialRecord): number {
  return SAMPLE_ORDER[a.sample] - SAMPLE_ORDER[b.sample] || (a.window ?? -1) - (b.window ?? -1) || (a.rung ?? -1) - (b.rung ?? -1) || a.index - b.index;
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** The in-memory store; `studies` and `trialRows` expose the rows to tests. */
export interface InMemoryStudyRepository extends StudyRepository {
  readonly studies: Map<string, StudyRecord>;
  readonly trialRows: Map<string, StudyTrialRecord>;
}

export function createInMemoryStudyRepository(): InMemoryStudyRepository {
  const studies = new Map<string, StudyRecord>();
  const trialRows = new Map<string, StudyTrialRecord>();
  return {
    studies,
    trialRows,
    async create(record) {
      if (studies.has(record.id)) throw new Error(`study "${record.id}" exists`);
      studies.set(record.id, clone(record));
    },
    get: async (id) => {
      const record = studies.get(id);
      return record ? clone(record) : null;
    },
    list: async () => [...studies.values()].sort((a, b) => b.createdAtMs - a.createdAtMs || (a.id < b.id ? 1 : -1)).map(clone),
    async update(id, patch: StudyPatch) {
      const record = studies.get(id);
      if (!record) return false;
      Object.assign(record, clone(patch));
      return true;
    },
    async delete(id) {
      if (!studies.delete(id)) return false;
      for (const key of [...trialRows.keys()]) if (key.startsWith(`${id}\u0000`)) trialRows.delete(key);
      return true;
    },
    async putTrial(trial) {
      const key = `${trial.studyId}\u0000${trial.key}`;
      if (trialRows.has(key)) return false;
      trialRows.set(key, clone(trial));
      return true;
    },
    trials: async (studyId) =>
      [...trialRows.values()]
        .filter((trial) => trial.studyId === studyId)
        .sort(compareStudyTrials)
        .map(clone),
  };
}
