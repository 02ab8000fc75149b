/** GET /api/products/: one DRF page of products, with an ETag. */
import type { ProductPage } from '../../protocol/product.js';
import { toProduct } from '../shared/wire.js';
import { type ApiDeps, type ApiHandler, answer } from './context.js';
import { pageLinks } from './links.js';
import { parseListQuery } from './list-query.js';
import { cacheable } from './responses.js';

export function listProducts(deps: ApiDeps): ApiHandler {
  return answer('listProducts', deps, async (event) => {
    const query = parseListQuery(event);

    const { count, items } = await deps.store.list(query);
    const page: ProductPage = {
      count,
      ...pageLinks(event, { ...query, count }),
      results: items.map(toProduct),
    };

    return cacheable(event, page);
  });
}
