/**
 * A real composition root for auth tests: embedded PGlite in a temp data dir, built with
 * `buildRoot(config)`, plus helpers that create users and sign them in through the real
 * `/api/auth` handler (so sessions are real rows and cookies are real Set-Cookie headers).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildRoot, type Root } from '../../app/_server/root';
import { loadConfig } from '../../app/_server/config';
import { runOnConnection } from '../../app/_server/http/forwarding';
import type { Role } from '../../app/_server/auth/roles';
import postgres from 'postgres';
import { afterEach } from 'vitest';
import { POSTGRES_URL } from './ml-databases';
import { TicketStatus } from '../../engine/ports/tickets';

export const TEST_ORIGIN = 'http://localhost:3000';
export const TEST_PASSWORD = 'correct-horse-battery';

export interface AuthTestRoot {
  root: Root;
  dataDir: string;
  /** Creates a user with `role` and returns a Cookie header value for a fresh session. */
  signedInAs(role: Role, email?: string): Promise<{ cookie: string; userId: string; email: string }>;
  signIn(email: string, password: string, origin?: string): Promise<Response>;
  close(): Promise<void>;
}

/** Where an auth test root keeps its data: embedded PGlite, or a fresh schema of the real PostgreSQL. */
export interface AuthTestBackend {
  name: string;
  /** Extra environment for `createAuthTestRoot` so the root uses `schema`. */
  env(schema: string): Record<string, string>;
  dropSchema(schema: string): Promise<void>;
}

export const AUTH_TEST_BACKENDS: AuthTestBackend[] = [
  { name: 'PGlite', env: () => ({}), dropSchema: async () => undefined },
  {
    name: 'PostgreSQL',
    env: (schema) => ({ DATABASE_URL: POSTGRES_URL, DATABASE_SCHEMA: schema }),
    async dropSchema(schema) {
      const sql = postgres(POSTGRES_URL, { max: 1, onnotice: () => undefined });
      try {
        await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await sql.end();
      }
    },
  },
];

/**
 * For a `describe` block: `open(env?)` builds a root on `backend` in a fresh schema (with extra
 * environment, e.g. `AETHELRED_STRATEGIES_DIR`); every root opened in a test is closed and its schema
 * dropped after that test.
 */
export function useAuthTestRoots(backend: AuthTestBackend): { open(env?: Record<string, string>): Promise<AuthTestRoot> } {
  const opened: { app: AuthTestRoot; schema: string }[] = [];
  afterEach(async () => {
    for (const { app, schema } of opened.splice(0)) {
      await app.close();
      await backend.dropSchema(schema);
    }
  });
  return {
    async open(env = {}) {
      const schema = `test_${randomBytes(6).toString('hex')}`;
      const app = await createAuthTestRoot({ ...backend.env(schema), ...env });
      opened.push({ app, schema });
      return app;
    },
  };
}

/** Switches off every default job schedule (see README "Background jobs"). */
export const NO_SCHEDULES = JSON.stringify({ 'daily-snapshot': 'off', rollover: 'off' });

export async function createAuthTestRoot(env: Record<string, string> = {}): Promise<AuthTestRoot> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'aethelred-auth-'));
  // Schedules off: a suite run just after midnight UTC must not find scheduled tickets it did not ask for.
  const root = await buildRoot(loadConfig({ AETHELRED_DATA_DIR: dataDir, LOG_LEVEL: 'silent', AETHELRED_JOB_SCHEDULES: NO_SCHEDULES, ...env }, process.cwd()));
  await root.start();
  let client = 0;
  // Each sign-in comes from its own client address (a connection as server.mjs records it), so
  // better-auth's per-address rate limit (20 a minute) never interferes; the per-account lockout is what the tests exercise.
  const signIn = (email: string, password: string, origin = TEST_ORIGIN) =>
    runOnConnection({ remoteAddress: `10.0.${Math.floor(++client / 250)}.${client % 250}`, encrypted: origin.startsWith('https:') }, () =>
      root.auth.handleAuthRequest(
        new Request(`${origin}/api/auth/sign-in/email`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin, host: new URL(origin).host },
          body: JSON.stringify({ email, password }),
        }),
      ),
    );
  let counter = 0;
  return {
    root,
    dataDir,
    signIn,
    async signedInAs(role, email = `${role}-${++counter}@example.test`) {
      const user = await root.auth.createUser({ email, password: TEST_PASSWORD, role });
      const response = await signIn(email, TEST_PASSWORD);
      if (!response.ok) throw new Error(`sign-in of "${email}" failed with ${response.status}: ${await response.text()}`);
      const cookie = response.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      return { cookie, userId: user.id, email };
    },
    async close() {
      await root.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls a ticket of `app`'s engine every 100 ms until it succeeded. @throws when it fails, is cancelled, or takes over 120 s. */
export async function waitForTicket(app: AuthTestRoot, id: string): Promise<void> {
  for (let i = 0; i < 1_200; i++) {
    const ticket = await app.root.engine.getTicket(id);
    if (ticket?.status === TicketStatus.Succeeded) return;
    if (ticket?.status === TicketStatus.Failed || ticket?.status === TicketStatus.Cancelled) throw new Error(`ticket ${id} ended ${ticket.status}: ${JSON.stringify(ticket)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`ticket ${id} did not finish in 120 s`);
}
