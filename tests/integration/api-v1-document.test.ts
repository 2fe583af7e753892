/**
 * The control API's OpenAPI document: served at GET /api/v1/openapi.json (viewer and up), valid
 * against the OpenAPI 3.1 schema, listing exactly the operations the route files under
 * app/api/v1 export (each made by `apiRoute` from its registered definition), and every
 * operation called by at least one test through the api-v1 client.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationOf } from '../../app/_server/api-v1/operation';
import type { OpenApiDocument } from '../../app/_server/api-v1/openapi-document';
import { API_V1_OPERATIONS } from '../../app/api/v1/operations';
import { apiV1Client, openApiPathOf, type ApiV1Client } from '../support/api-v1-client';
import { createAuthTestRoot, type AuthTestRoot } from '../support/auth-test-root';

const PROJECT = path.resolve(import.meta.dirname, '../..');
const ROUTE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const DOCUMENT_METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'trace'];

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? walk(full) : [full];
  });
}
const relative = (file: string) => path.relative(PROJECT, file).split(path.sep).join('/');

let app: AuthTestRoot;
let viewer: ApiV1Client;
let document: OpenApiDocument;

beforeAll(async () => {
  app = await createAuthTestRoot();
  viewer = apiV1Client(app.root, { cookie: (await app.signedInAs('viewer')).cookie });
  const answer = await viewer.call<OpenApiDocument>('getOpenApiDocument');
  expect(answer.status).toBe(200);
  document = answer.body;
}, 60_000);

afterAll(async () => {
  await app?.close();
});

/** `GET /api/v1/strategies`-style names of what the document lists. */
function documentedOperations(): string[] {
  return Object.entries(document.paths)
    .flatMap(([p, item]) => Object.keys(item).filter((m) => DOCUMENT_METHODS.includes(m)).map((m) => `${m.toUpperCase()} ${p}`))
    .sort();
}

describe('the /api/v1 OpenAPI document', () => {
  it('validates against the OpenAPI 3.1 schema and every $ref resolves', async () => {
    const validator = new Validator();
    // The validator resolves $refs in place: give it a copy.
    const result = await validator.validate(structuredClone(document) as never);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(() => validator.resolveRefs()).not.toThrow();
    // The validator does refuse a broken document (here: info without title, a response without description).
    const broken = await new Validator().validate({ openapi: '3.1.0', info: { version: '1' }, paths: { '/x': { get: { responses: { '200': {} } } } } } as never);
    expect(broken.valid).toBe(false);
    expect(document.openapi).toBe('3.1.0');
    expect(document.info).toMatchObject({ title: 'Aethelred control API', version: '1.0.0' });
  });

  it('offers a bearer API token and the session cookie as security schemes, required on every operation', () => {
    expect(document.security).toEqual([{ bearerToken: [] }, { sessionCookie: [] }]);
    const schemes = (document.components as { securitySchemes: Record<string, Record<string, string>> }).securitySchemes;
    expect(Object.fromEntries(Object.entries(schemes).map(([k, v]) => [k, { type: v.type, scheme: v.scheme, in: v.in, name: v.name }]))).toEqual({
      bearerToken: { type: 'http', scheme: 'bearer', in: undefined, name: undefined },
      sessionCookie: { type: 'apiKey', scheme: undefined, in: 'cookie', name: 'aethelred.session_token' },
    });
  });

  it('documents the gate\'s error body and the standard error answers on every operation', () => {
    const schemas = (document.components as { schemas: Record<string, unknown> }).schemas;
    expect(schemas.Error).toMatchObject({
      type: 'object',
      required: ['error'],
      properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string', enum: expect.arrayContaining(['bad_request:input', 'not_found', 'payload_too_large:input']) } } } },
    });
    for (const [p, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item as Record<string, { responses: Record<string, { content: Record<string, { schema: unknown }> }> }>)) {
        for (const status of ['400', '401', '403', '500', '503']) {
          expect(operation.responses[status]?.content['application/json'].schema, `${method} ${p} ${status}`).toEqual({ $ref: '#/components/schemas/Error' });
        }
      }
    }
  });

  it('documents the role each operation needs', () => {
    const roles = Object.fromEntries(
      Object.values(document.paths).flatMap((item) => Object.values(item as Record<string, { operationId: string; 'x-aethelred-role': string }>).map((o) => [o.operationId, o['x-aethelred-role']])),
    );
    expect(roles).toEqual(Object.fromEntries(API_V1_OPERATIONS.map((op) => [op.operationId, op.role])));
    expect(roles.getOpenApiDocument).toBe('viewer');
  });

  it('lists exactly the operations the route files under app/api/v1 export, each made by apiRoute from its registered definition', async () => {
    const routeFiles = walk(path.join(PROJECT, 'app/api/v1')).map(relative).filter((f) => /\/route\.(ts|tsx|js)$/.test(f));
    const exported: string[] = [];
    const problems: string[] = [];
    for (const file of routeFiles) {
      const mod = (await import(path.join(PROJECT, file))) as Record<string, unknown>;
      for (const method of ROUTE_METHODS.filter((m) => m in mod)) {
        const op = operationOf(mod[method]);
        const name = `${method} ${openApiPathOf(file)}`;
        exported.push(name);
        if (!op) problems.push(`${file} ${method}: not made by apiRoute(definition)`);
        else if (!API_V1_OPERATIONS.includes(op)) problems.push(`${file} ${method}: ${op.operationId} is not listed in app/api/v1/operations.ts`);
        else if (`${op.method.toUpperCase()} ${op.path}` !== name) problems.push(`${file} ${method}: its definition says ${op.method.toUpperCase()} ${op.path}`);
      }
    }
    expect(problems).toEqual([]);
    expect(exported.sort()).toEqual(documentedOperations());
    expect(exported).toContain('GET /api/v1/openapi.json');
  });

  it('has every documented operation called by at least one test through the api-v1 client', () => {
    const testFiles = walk(path.join(PROJECT, 'tests')).filter((f) => /\.test\.ts$/.test(f));
    const called = new Set<string>();
    for (const file of testFiles) {
      for (const match of readFileSync(file, 'utf8').matchAll(/\.call(?:<[^>]*>)?\(\s*['"](\w+)['"]/g)) called.add(match[1]);
    }
    const documentedIds = Object.values(document.paths).flatMap((item) => Object.values(item as Record<string, { operationId: string }>).map((o) => o.operationId));
    expect(documentedIds.filter((id) => !called.has(id))).toEqual([]);
    expect(documentedIds.length).toBe(API_V1_OPERATIONS.length);
  });
});
