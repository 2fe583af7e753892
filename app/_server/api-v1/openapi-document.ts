/**
 * Renders the control API's operation definitions into an OpenAPI 3.1 document with zod-openapi,
 * from the same zod schemas the handlers parse with. Nothing here is written by hand but the
 * document's title, the security schemes and the tag descriptions.
 */
import { createDocument, type ZodOpenApiPathsObject } from 'zod-openapi';
import { openApiOperationOf, type AnyOperation } from './operation';

/** The session cookie's name (better-auth with the `aethelred` prefix; `__Secure-` is added over https). */
export const SESSION_COOKIE_NAME = 'aethelred.session_token';

/** The rendered document (an OpenAPI 3.1 object), typed as far as callers read it. */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; [key: string]: unknown };
  paths: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

/**
 * The OpenAPI document of `operations`.
 * @throws Error when two operations share an operationId or a method and path (a wiring bug).
 */
export function buildOpenApiDocument(operations: readonly AnyOperation[], version: string): OpenApiDocument {
  const paths: ZodOpenApiPathsObject = {};
  const ids = new Set<string>();
  for (const op of operations) {
    if (ids.has(op.operationId)) throw new Error(`operationId "${op.operationId}" is used twice`);
    ids.add(op.operationId);
    const item = (paths[op.path] ??= {});
    if (item[op.method]) throw new Error(`${op.method.toUpperCase()} ${op.path} is defined twice`);
    item[op.method] = openApiOperationOf(op);
  }
  const document = createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Aethelred control API',
      version,
      description:
        'Read and operate the Aethelred engine: strategies, stored markets, candle import and backtests. ' +
        'Authenticate with an API token (`Authorization: Bearer aeth_…`, created on the API tokens page or with ' +
        '`npm run cli -- create-token`) or a session cookie. Roles, lowest to highest: viewer (reads) < trader ' +
        '(operates the engine) < admin (manages users and settings); a token never has more than its owner\'s role.',
    },
    security: [{ bearerToken: [] }, { sessionCookie: [] }],
    tags: [...new Set(operations.map((op) => op.tag))].sort().map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        bearerToken: { type: 'http', scheme: 'bearer', description: 'An API token (`aeth_…`); its role is at most its owner\'s.' },
        sessionCookie: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE_NAME, description: 'The browser session from signing in at /login.' },
      },
    },
  });
  return document as unknown as OpenApiDocument;
}
