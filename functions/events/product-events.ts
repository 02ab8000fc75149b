/**
 * Where a change to a product is announced: `product.updated.<code>` on
 * the `products.events` topic exchange, one event per change.
 */
import type { ProductEvent } from '../../protocol/product.js';

export interface ProductEvents {
  publish(event: ProductEvent): Promise<void>;
  close(): Promise<void>;
}

/** Announces nothing: for processes that run without a broker. */
export const silentEvents: ProductEvents = {
  publish: async () => {},
  close: async () => {},
};
