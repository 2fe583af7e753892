import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig, ProcessRole } from '@/app/_server/config';

/** deploy/compose.yaml, parsed as Docker Compose reads it (YAML merge keys resolved). Docker is not needed. */
const deployDir = path.join(__dirname, '..', '..', 'deploy');
const compose = parse(readFileSync(path.join(deployDir, 'compose.yaml'), 'utf8'), { merge: true }) as {
  services: Record<string, { image?: string; build?: { context: string; dockerfile: string }; command?: string[]; env_file?: string; environment?: Record<string, string>; depends_on?: Record<string, { condition: string }>; healthcheck?: { test: string[] }; ports?: string[] }>;
};
const services = compose.services;
const appServices = Object.entries(services).filter(([, s]) => s.environment?.AETHELRED_ROLE !== undefined);
const roleOf = (name: string) => services[name]!.environment!.AETHELRED_ROLE;

describe('deploy/compose.yaml', () => {
  it('runs exactly two web servers, one trader and one worker, all from the one app image', () => {
    expect(appServices.map(([name]) => name).sort()).toEqual(['trader', 'web1', 'web2', 'worker']);
    expect(appServices.map(([name]) => roleOf(name)).sort()).toEqual(['trader', 'web', 'web', 'worker']);
    for (const [, service] of appServices) {
      expect(Object.values(ProcessRole)).toContain(service.environment!.AETHELRED_ROLE);
      expect(service.image).toBe('aethelred:local');
      expect(service.build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' });
    }
  });

  it('gives every app service the same env file (shared secrets), DATABASE_URL and Inngest URL', () => {
    const firstEnv = appServices[0]![1].environment!;
    expect(firstEnv.DATABASE_URL).toBe('postgres://aethelred:${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in deploy/.env}@postgres:5432/aethelred');
    for (const [, service] of appServices) {
      expect(service.env_file).toBe('.env');
      expect(service.environment!.DATABASE_URL).toBe(firstEnv.DATABASE_URL);
      expect(service.environment!.INNGEST_BASE_URL).toBe('http://inngest:8288');
    }
    // The env file template names both secrets every server must share, and the Inngest keys.
    const example = readFileSync(path.join(deployDir, 'env.example'), 'utf8');
    for (const name of ['AETHELRED_AUTH_SECRET', 'AETHELRED_ENCRYPTION_KEY', 'INNGEST_EVENT_KEY', 'INNGEST_SIGNING_KEY', 'POSTGRES_PASSWORD']) expect(example).toMatch(new RegExp(`^${name}=`, 'm'));
  });

  it('requires the shared secrets when interpolating, and gives each app service an environment the server accepts for its role', () => {
    for (const [, service] of appServices) {
      expect(service.environment!.AETHELRED_AUTH_SECRET).toMatch(/^\$\{AETHELRED_AUTH_SECRET:\?set AETHELRED_AUTH_SECRET in deploy\/\.env/);
      expect(service.environment!.AETHELRED_ENCRYPTION_KEY).toMatch(/^\$\{AETHELRED_ENCRYPTION_KEY:\?set AETHELRED_ENCRYPTION_KEY in deploy\/\.env/);
    }
    // deploy/.env filled as env.example's comments say (openssl rand -base64 48 / -base64 32 / -hex 32).
    const filled: Record<string, string> = {
      POSTGRES_PASSWORD: 'change-me',
      AETHELRED_AUTH_SECRET: Buffer.alloc(48, 7).toString('base64'),
      AETHELRED_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
      INNGEST_EVENT_KEY: 'ab'.repeat(32),
      INNGEST_SIGNING_KEY: 'cd'.repeat(32),
      AETHELRED_PUBLIC_URL: 'http://localhost:8080',
    };
    const interpolate = (value: string) => value.replace(/\$\{(\w+):\?[^}]*\}/g, (_, name: string) => filled[name]!);
    for (const [name, service] of appServices) {
      const environment = Object.fromEntries(Object.entries(service.environment!).map(([k, v]) => [k, interpolate(String(v))]));
      const config = loadConfig({ ...filled, ...environment }, '/app');
      expect(config.role, name).toBe(roleOf(name));
      expect(config.databaseUrl, name).toBe('postgres://aethelred:change-me@postgres:5432/aethelred');
      // Only the worker serves /api/inngest: its syncs register the address the Inngest container reaches it at.
      expect(config.inngest, name).toEqual({ eventKey: 'ab'.repeat(32), signingKey: 'cd'.repeat(32), baseUrl: 'http://inngest:8288', isDev: false, serveOrigin: roleOf(name) === 'worker' ? 'http://worker:3000' : undefined });
      expect(config.trustedProxies, name).toEqual(roleOf(name) === 'web' ? ['172.16.0.0/12', '10.0.0.0/8', '192.168.0.0/16'] : []);
    }
  });

  it('starts app services after a healthy PostgreSQL and probes each one on its readiness route', () => {
    expect(services.postgres!.healthcheck!.test).toEqual(['CMD-SHELL', 'pg_isready -U aethelred -d aethelred']);
    for (const [, service] of appServices) {
      expect(service.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, inngest: { condition: 'service_started' } });
      expect(service.healthcheck!.test.join(' ')).toContain('http://127.0.0.1:3000/api/health/ready');
    }
  });

  it('points the self-hosted Inngest server at the worker, the one role that answers /api/inngest', () => {
    const inngest = services.inngest!;
    expect(inngest.image).toBe('inngest/inngest');
    expect(inngest.command).toEqual(['inngest', 'start', '--sdk-url', 'http://worker:3000/api/inngest']);
    expect(Object.keys(inngest.environment!).sort()).toEqual(['INNGEST_EVENT_KEY', 'INNGEST_SIGNING_KEY']);
    expect(roleOf('worker')).toBe('worker');
  });

  it('load-balances both web servers (and only them) behind the proxy, once they are healthy', () => {
    const proxy = services.proxy!;
    expect(proxy.depends_on).toEqual({ web1: { condition: 'service_healthy' }, web2: { condition: 'service_healthy' } });
    const caddyfile = readFileSync(path.join(deployDir, 'Caddyfile'), 'utf8');
    expect(caddyfile).toMatch(/reverse_proxy web1:3000 web2:3000 \{/);
    expect(caddyfile).toContain('health_uri /api/health/ready');
    // Only the proxy (and the loopback-bound Inngest dashboard) publish a port.
    expect(Object.entries(services).filter(([, s]) => s.ports).map(([name, s]) => [name, s.ports])).toEqual([['inngest', ['127.0.0.1:8288:8288']], ['proxy', ['8080:80']]]);
  });

  it('builds the app image on node 20 with the ONNX runtime download skipped and runs server.mjs', () => {
    const dockerfile = readFileSync(path.join(deployDir, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim$/m);
    expect(dockerfile).toMatch(/^ENV ONNXRUNTIME_NODE_INSTALL=skip$/m);
    expect(dockerfile.indexOf('RUN npm ci')).toBeLessThan(dockerfile.indexOf('RUN npx next build'));
    expect(dockerfile).toContain('CMD ["node", "server.mjs", "--port", "3000"]');
  });
});

describe('scripts/start-roles.sh', () => {
  it('refuses to start without DATABASE_URL, naming the variable, before building or starting anything', () => {
    const env = { ...process.env };
    delete env.DATABASE_URL;
    const result = spawnSync('bash', [path.join(deployDir, '..', 'scripts', 'start-roles.sh')], { env, encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('start-roles: DATABASE_URL is not set: several processes need one PostgreSQL database (the embedded one serves a single process)\n');
  });
});
