/**
 * PUT and PATCH /api/products/{code}/: a full or partial change, made
 * only if the product did not change since it was read, so a price tick
 * landing in between is never lost.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { z } from 'zod';
import { toProduct } from '../shared/wire.js';
import { ConflictError, ProductMissingError } from '../store/errors.js';
import { readBody } from './body.js';
import { type ApiDeps, type ApiHandler, answer } from './context.js';
import { ApiError, NotFoundError } from './errors.js';
import { pathCode } from './get-product.js';
import { json } from './responses.js';
import { ProductInputSchema, ProductPatchSchema } from './schemas.js';
import {
  announce,
  applyPatch,
  assertSameCode,
  nextTimestamp,
} from './write.js';

const ATTEMPTS = 3;

async function change(
  deps: ApiDeps,
  event: APIGatewayProxyEvent,
  schema: z.ZodType<z.infer<typeof ProductPatchSchema>>,
) {
  const code = pathCode(event);
  const patch = readBody(event, schema);
  assertSameCode(patch, code);

  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const current = await deps.store.get(code);
    if (!current) throw new NotFoundError();
    const next = applyPatch(
      current,
      patch,
      nextTimestamp(deps, current.updateAt),
    );
    try {
      await deps.store.replace(next, current.updateAt);
    } catch (error) {
      if (error instanceof ProductMissingError) throw new NotFoundError();
      if (error instanceof ConflictError) continue;
      throw error;
    }
    await announce(deps, event, next);
    return json(200, toProduct(next));
  }

  throw new ApiError(409, {
    detail: 'The product kept changing; try again.',
  });
}

export function replaceProduct(deps: ApiDeps): ApiHandler {
  return answer('replaceProduct', deps, (event) =>
    change(deps, event, ProductInputSchema),
  );
}

export function updateProduct(deps: ApiDeps): ApiHandler {
  return answer('updateProduct', deps, (event) =>
    change(deps, event, ProductPatchSchema),
  );
}
