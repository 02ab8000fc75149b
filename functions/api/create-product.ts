/** POST /api/products/: adds a product and announces it. */

import { toProduct } from '../shared/wire.js';
import { ProductExistsError } from '../store/errors.js';
import { readBody } from './body.js';
import { newProductCode } from './codes.js';
import { type ApiDeps, type ApiHandler, answer } from './context.js';
import { BadRequestError } from './errors.js';
import { json } from './responses.js';
import { ProductInputSchema } from './schemas.js';
import { announce, nextTimestamp, priceCents } from './write.js';

export function createProduct(deps: ApiDeps): ApiHandler {
  return answer('createProduct', deps, async (event) => {
    const input = readBody(event, ProductInputSchema);
    const stamp = nextTimestamp(deps);
    const record = {
      code: input.code ?? (deps.newCode ?? newProductCode)(),
      buyingCents: priceCents(input.buying_price),
      sellingCents: priceCents(input.selling_price),
      description: input.description,
      createdAt: stamp,
      updateAt: stamp,
    };

    try {
      await deps.store.create(record);
    } catch (error) {
      if (!(error instanceof ProductExistsError)) throw error;
      throw new BadRequestError({
        code: ['product with this code already exists.'],
      });
    }
    await announce(deps, event, record);

    return json(201, toProduct(record));
  });
}
