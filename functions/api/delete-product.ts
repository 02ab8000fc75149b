/** DELETE /api/products/{code}/: removes a product; 204 or 404. */
import { type ApiDeps, type ApiHandler, answer } from './context.js';
import { NotFoundError } from './errors.js';
import { pathCode } from './get-product.js';

export function deleteProduct(deps: ApiDeps): ApiHandler {
  return answer('deleteProduct', deps, async (event) => {
    const code = pathCode(event);

    const removed = await deps.store.delete(code);
    if (!removed) throw new NotFoundError();

    return { statusCode: 204, headers: {}, body: '' };
  });
}
