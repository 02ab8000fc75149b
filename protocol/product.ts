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

/** Product codes: what the API accepts, and generates (15 characters). */
export const CODE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const MAX_DESCRIPTION_CHARS = 255;

const PRICE_TEXT = /^\d{1,8}\.\d{2}$/;
const TIMESTAMP_TEXT =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;

/** How far ahead of this clock a product's update_at may be. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Why a product from an untrusted source (an event on the broker) cannot
 * be passed on, or undefined when it is a product the API could answer.
 */
export function productProblem(
  value: unknown,
  now: number,
): string | undefined {
  if (!isProduct(value)) return 'not a product';
  if (!CODE_PATTERN.test(value.code)) return 'bad code';
  if (!PRICE_TEXT.test(value.buying_price)) return 'bad buying_price';
  if (!PRICE_TEXT.test(value.selling_price)) return 'bad selling_price';
  if ([...value.description].length > MAX_DESCRIPTION_CHARS) {
    return 'description too long';
  }
  for (const field of ['created_at', 'update_at'] as const) {
    if (!TIMESTAMP_TEXT.test(value[field])) return `bad ${field}`;
  }
  if (Date.parse(value.update_at) > now + MAX_CLOCK_SKEW_MS) {
    return 'update_at in the future';
  }

  return undefined;
}
