/** `GET /api/v1/openapi.json`: the control API's OpenAPI 3.1 document (viewer). */
import { z } from 'zod';
import { defineOperation } from '@/app/_server/api-v1/operation';

export const getOpenApiDocument = defineOperation({
  operationId: 'getOpenApiDocument',
  method: 'get',
  path: '/api/v1/openapi.json',
  tag: 'meta',
  summary: 'The OpenAPI 3.1 document of this API',
  description: 'Generated from the zod schemas the handlers parse with, so it always matches what the server accepts.',
  role: 'viewer',
  response: {
    status: 200,
    description: 'The OpenAPI document.',
    schema: z.looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) }),
  },
});
