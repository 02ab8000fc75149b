/** One handler per operation of ROUTES, all over the same dependencies. */
import type { Operation } from '../../config/topology.js';
import type { ApiDeps, ApiHandler } from './context.js';
import { createProduct } from './create-product.js';
import { deleteProduct } from './delete-product.js';
import { getDocs } from './get-docs.js';
import { getProduct } from './get-product.js';
import { getSchema } from './get-schema.js';
import { listProducts } from './list-products.js';
import { replaceProduct, updateProduct } from './update-product.js';

export function createApiHandlers(
  deps: ApiDeps,
): Record<Operation, ApiHandler> {
  return {
    listProducts: listProducts(deps),
    createProduct: createProduct(deps),
    getProduct: getProduct(deps),
    replaceProduct: replaceProduct(deps),
    updateProduct: updateProduct(deps),
    deleteProduct: deleteProduct(deps),
    getSchema: getSchema(deps),
    getDocs: getDocs(deps),
  };
}
