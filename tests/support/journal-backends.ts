/** Journal repositories to run one suite against: the in-memory one (what engine tests use), PGlite and PostgreSQL. */
import { afterAll, beforeAll } from 'vitest';
import { createJournalRepository } from '../../db/repositories/journal-repository';
import type { JournalRepository } from '../../engine/ports/journal';
import { createInMemoryJournalRepository } from '../../engine/testing/in-memory-repositories';
import { TEST_DATABASE_BACKENDS } from './ml-databases';

export interface JournalBackend {
  name: string;
  open(): Promise<{ repo: JournalRepository; dispose(): Promise<void> }>;
}

export const JOURNAL_BACKENDS: JournalBackend[] = [
  { name: 'in-memory', open: async () => ({ repo: createInMemoryJournalRepository(), dispose: async () => undefined }) },
  ...TEST_DATABASE_BACKENDS.map((b) => ({
    name: b.name,
    async open() {
      const { database, dispose } = await b.open();
      return { repo: createJournalRepository(database.db), dispose };
    },
  })),
];

/**
 * Opens `backend` before the suite's tests, `seed`s it, and disposes it after them (call inside the suite's
 * `describe`); returns the suite's repository, usable from its tests on.
 */
export function useJournalBackend(backend: JournalBackend, seed?: (repo: JournalRepository) => Promise<void>): () => JournalRepository {
  let repo: JournalRepository | undefined;
  let dispose: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const opened = await backend.open();
    repo = opened.repo;
    dispose = opened.dispose;
    await seed?.(repo);
  }, 60_000);
  afterAll(async () => {
    await dispose?.();
  });
  return () => {
    if (!repo) throw new Error(`the ${backend.name} journal is not open yet: use it inside a test`);
    return repo;
  };
}
