/**
 * Repeatable catalogues for tests and benchmarks: the seeder's products
 * drawn from a seeded generator, so a failing case can be replayed.
 */
import { randomProduct } from '../functions/seed/seed-products.js';
import type { ProductRecord } from '../functions/store/product-store.js';

export const CATALOGUE_STAMP = '2026-12-01T09:00:00.000000+00:00';

/** A linear congruential generator of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** `size` products with distinct codes, the same for the same seed. */
export function seededCatalogue(size: number, seed = size): ProductRecord[] {
  const random = seededRandom(seed);
  const byCode = new Map<string, ProductRecord>();
  while (byCode.size < size) {
    const record = randomProduct(random, CATALOGUE_STAMP);
    if (!byCode.has(record.code)) byCode.set(record.code, record);
  }

  return [...byCode.values()];
}
