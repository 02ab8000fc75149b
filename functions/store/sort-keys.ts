/**
 * Per ordering, the string whose code-point order is the list order:
 * prices as 11 zero-padded digits of cents, then the code as the
 * tie-break; descriptions then a U+0001 separator (below any character a
 * description may hold) and the code.
 */
import type { ProductRecord, SortField } from './product-store.js';

const CENTS_WIDTH = 11;
const DESCRIPTION_END = '\u0001';

export const centsKey = (cents: number): string =>
  String(cents).padStart(CENTS_WIDTH, '0');

export function sortKey(field: SortField, record: ProductRecord): string {
  switch (field) {
    case 'code':
      return record.code;
    case 'buying_price':
      return `${centsKey(record.buyingCents)}#${record.code}`;
    case 'selling_price':
      return `${centsKey(record.sellingCents)}#${record.code}`;
    case 'description':
      return `${record.description}${DESCRIPTION_END}${record.code}`;
  }
}

/** The prefix every key of products with this exact value starts with. */
export function valuePrefix(
  field: Exclude<SortField, 'code'>,
  value: number | string,
): string {
  return field === 'description'
    ? `${value}${DESCRIPTION_END}`
    : `${centsKey(Number(value))}#`;
}

export const SORT_FIELDS: readonly SortField[] = [
  'code',
  'buying_price',
  'selling_price',
  'description',
];
