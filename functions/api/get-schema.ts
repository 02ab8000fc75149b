/** GET /api/schema/: the OpenAPI 3 document, with this API as server. */
import { type ApiDeps, type ApiHandler, answer } from './context.js';
import { apiRoot } from './links.js';
import { openApiDocument } from './openapi.js';
import { cacheable } from './responses.js';

export function getSchema(deps: ApiDeps): ApiHandler {
  return answer('getSchema', deps, async (event) =>
    cacheable(event, openApiDocument(apiRoot(event))),
  );
}
