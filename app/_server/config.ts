import path from 'node:path';
import { z } from 'zod';

/**
 * Every environment variable the product reads, with its default and meaning.
 * Only the composition root calls `loadConfig`; nothing else reads `process.env`.
 * Keep README "Configuration" in step with this table.
 */
const envSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL')
    .optional()
    .describe('PostgreSQL URL; unset = embedded PGlite under AETHELRED_DATA_DIR'),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'expected a lower-case SQL identifier')
    .optional()
    .describe('Postgres schema (search_path) to use; default public'),
  AETHELRED_DATA_DIR: z.string().min(1).default('.data').describe('Directory for the embedded database and models'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  AETHELRED_INITIAL_BALANCE: z.coerce.number().positive('expected a positive number').default(10_000),
  AETHELRED_MARKET_TYPE: z.enum(['spot', 'futures']).default('spot'),
  AETHELRED_JOURNAL_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
});

export type AppConfig = {
  databaseUrl: string | undefined;
  databaseSchema: string | undefined;
  dataDir: string;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  initialBalance: number;
  marketType: 'spot' | 'futures';
  journalBatchSize: number;
};

/** Thrown when the environment is invalid; the message names each bad variable and what it expects. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Validates the environment. Empty strings count as unset. */
export function loadConfig(env: Record<string, string | undefined>, cwd: string): AppConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      return `${name}=${JSON.stringify(cleaned[name])}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  return {
    databaseUrl: e.DATABASE_URL,
    databaseSchema: e.DATABASE_SCHEMA,
    dataDir: path.resolve(cwd, e.AETHELRED_DATA_DIR),
    logLevel: e.LOG_LEVEL,
    initialBalance: e.AETHELRED_INITIAL_BALANCE,
    marketType: e.AETHELRED_MARKET_TYPE,
    journalBatchSize: e.AETHELRED_JOURNAL_BATCH_SIZE,
  };
}
