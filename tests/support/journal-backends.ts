/** Journal repositories to run one suite against: the in-memory one (what engine tests use), PGlite and PostgreSQL. */
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
