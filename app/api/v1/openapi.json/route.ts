import { apiRoute } from '@/app/_server/api-v1/operation';
import { buildOpenApiDocument } from '@/app/_server/api-v1/openapi-document';
import { API_V1_OPERATIONS, API_V1_VERSION } from '../operations';
import { getOpenApiDocument } from './operation';

export const dynamic = 'force-dynamic';

export const GET = apiRoute(getOpenApiDocument, async () => buildOpenApiDocument(API_V1_OPERATIONS, API_V1_VERSION));
