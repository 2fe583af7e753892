/**
 * In-memory {@link ModelRepository} for tests and the contract suite. Same semantics as the
 * database adapter, minus durability; timestamps come from the injected clock.
 */
import { NotFoundError, RepositoryError } from '../core/errors';
import type { Clock } from '../core/clock';
import { checkModelRef, checkNewModel, modelFileOf } from './model-repository';
import { type ModelRecord, type ModelRepository } from '../ports/models';

const copy = (r: ModelRecord): ModelRecord => structuredClone(r);

/** Creates an empty in-memory model repository. */
export function createInMemoryModelRepository(deps: { clock: Clock }): ModelRepository {
  const rows: ModelRecord[] = [];
  let lock: Promise<unknown> = Promise.resolve();
  /** Serialises writes, the way a transaction would. */
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = lock.then(fn, fn);
    lock = run.catch(() => undefined);
    return run;
  };
  const sorted = (list: ModelRecord[]) =>
    list.sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : b.version - a.version)).map(copy);

  return {
    async create(model, writeFile) {
      checkNewModel(model);
      return serial(async () => {
        const version = rows.filter((r) => r.kind === model.kind).reduce((m, r) => Math.max(m, r.version), 0) + 1;
        const record: ModelRecord = {
          ...structuredClone(model),
          version,
          file: modelFileOf(model.kind, version),
          active: false,
          createdAtMs: deps.clock.nowMs(),
          activatedAtMs: null,
        };
        if (rows.some((r) => r.id === record.id)) throw new RepositoryError(`creating model "${record.id}" failed: the id exists`);
        if (writeFile) await writeFile(copy(record));
        rows.push(record);
        return copy(record);
      });
    },
    async list(kind) {
      if (kind !== undefined) checkModelRef(kind);
      return sorted(rows.filter((r) => kind === undefined || r.kind === kind));
    },
    async get(kind, version) {
      checkModelRef(kind, version);
      const r = rows.find((m) => m.kind === kind && m.version === version);
      return r ? copy(r) : null;
    },
    async active(kind) {
      checkModelRef(kind);
      const r = rows.find((m) => m.kind === kind && m.active);
      return r ? copy(r) : null;
    },
    async activate(kind, version) {
      checkModelRef(kind, version);
      return serial(async () => {
        const target = rows.find((m) => m.kind === kind && m.version === version);
        if (!target) throw new NotFoundError(`model ${kind} v${version} does not exist`);
        for (const r of rows) if (r.kind === kind) r.active = false;
        target.active = true;
        target.activatedAtMs = deps.clock.nowMs();
        return copy(target);
      });
    },
  };
}
