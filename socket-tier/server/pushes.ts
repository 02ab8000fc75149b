/**
 * The bytes of a push. Every watcher of a code usually gets the same
 * state after the same one, so each push is encoded once and shared.
 */
import {
  encodeLegacyAnswer,
  encodeMessage,
  type Product,
  type ProductField,
} from '../../protocol/index.js';

const legacyPushes = new WeakMap<Product, Buffer>();
const updates = new WeakMap<Product, { before?: Product; bytes: Buffer }>();

export function encodeLegacyPush(product: Product): Buffer {
  let bytes = legacyPushes.get(product);
  if (!bytes) {
    bytes = encodeLegacyAnswer({
      type: 'JSON',
      kind: 'PRODUCT',
      data: product,
    });
    legacyPushes.set(product, bytes);
  }

  return bytes;
}

export function encodeUpdate(
  before: Product | undefined,
  product: Product,
  changed: readonly ProductField[],
): Buffer {
  const cached = updates.get(product);
  if (cached && cached.before === before) return cached.bytes;
  const bytes = encodeMessage({
    type: 'update',
    product,
    changed: [...changed],
  });
  updates.set(product, { before, bytes });

  return bytes;
}
