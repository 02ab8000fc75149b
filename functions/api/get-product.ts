/** GET /api/products/{code}/: one product, with an ETag, or a 404. */

import { toProduct } from '../shared/wire.js';
import { type ApiDeps, type ApiHandler, answer } from './context.js';
import { NotFoundError } from './errors.js';
import { cacheable } from './responses.js';
import { CODE_PATTERN } from './schemas.js';

/** The path's code, or a 404 when it cannot name a product. */
export function pathCode(event: {
  pathParameters: Record<string, string | undefined> | null;
}): string {
  const code = event.pathParameters?.code;
  if (code === undefined || !CODE_PATTERN.test(code)) {
    throw new NotFoundError();
  }

  return code;
}

export function getProduct(deps: ApiDeps): ApiHandler {
  return answer('getProduct', deps, async (event) => {
    const code = pathCode(event);

    const record = await deps.store.get(code);
    if (!record) throw new NotFoundError();

    return cacheable(event, toProduct(record));
  });
}
