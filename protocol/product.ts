/**
 * A product as every outside party sees it: the HTTP API, the TCP
 * protocols and the events on RabbitMQ. `update_at` keeps the older
 * service's spelling on purpose.
 */

export interface Product {
  code: string;
  buying_price: string;
  selling_price: string;
  description: string;
  created_at: string;
  update_at: string;
}

/** A page as the DRF-compatible list endpoint answers it. */
export interface ProductPage {
  count: number;
  next: string | null;
  previous: string | null;
  results: Product[];
}

/** A `product.updated` event: the product plus what caused the change. */
export interface ProductEvent extends Product {
  tick?: string;
}

export const PRODUCT_FIELDS = [
  'code',
  'buying_price',
  'selling_price',
  'description',
  'created_at',
  'update_at',
] as const;

export type ProductField = (typeof PRODUCT_FIELDS)[number];

/** The fields whose values differ between two states of one product. */
export function changedFields(before: Product, after: Product): ProductField[] {
  return PRODUCT_FIELDS.filter((field) => before[field] !== after[field]);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Narrows untrusted JSON (an API answer, an event) to a product. */
export function isProduct(value: unknown): value is Product {
  return (
    isRecord(value) &&
    PRODUCT_FIELDS.every((field) => typeof value[field] === 'string')
  );
}
