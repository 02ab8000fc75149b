/**
 * A list request's query string as the store's ListQuery, with DRF's
 * rules: a bad `limit` falls back to the default, a bad `offset` to 0,
 * an unknown ordering field to the default order, an empty filter is no
 * filter, and a price filter that is not a number is a 400.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ListQuery, SortField } from '../store/product-store.js';
import { BadRequestError } from './errors.js';
import {
  DEFAULT_LIMIT,
  fieldErrors,
  ListParamsSchema,
  MAX_LIMIT,
  ORDERING_FIELDS,
} from './schemas.js';

const FILTERS = ['buying_price', 'selling_price', 'description'] as const;
const WHOLE = /^\s*\+?\d+\s*$/;
const SAFE_DIGITS = 15;

function wholeNumber(text: string | undefined): number | undefined {
  if (text === undefined || !WHOLE.test(text)) return undefined;
  const digits = text
    .trim()
    .replace(/^\+/, '')
    .replace(/^0+(?=\d)/, '');

  return digits.length > SAFE_DIGITS ? Number.MAX_SAFE_INTEGER : Number(digits);
}

/** "1534.2" as 153420 cents; negative values stay negative. */
export function decimalToCents(text: string): number {
  const trimmed = text.trim();
  const negative = trimmed.startsWith('-');
  const [whole = '', part = ''] = trimmed.replace(/^[+-]/, '').split('.');
  const cents = Number(whole || '0') * 100 + Number(part.padEnd(2, '0'));

  return negative ? -cents : cents;
}

function ordering(text: string | undefined): ListQuery['ordering'] {
  for (const term of (text ?? '').split(',')) {
    const descending = term.trim().startsWith('-');
    const field = term.trim().replace(/^-/, '');
    if ((ORDERING_FIELDS as readonly string[]).includes(field)) {
      return { field: field as SortField, descending };
    }
  }

  return undefined;
}

export function parseListQuery(event: APIGatewayProxyEvent): ListQuery {
  const raw = { ...(event.queryStringParameters ?? {}) };
  for (const field of FILTERS) if (raw[field] === '') delete raw[field];
  const parsed = ListParamsSchema.safeParse(raw);
  if (!parsed.success) {
    const unknown = parsed.error.issues.find(
      (issue) => issue.code === 'unrecognized_keys',
    );
    if (unknown && 'keys' in unknown) {
      const names = unknown.keys.map((key) => key.slice(0, 40)).join(', ');
      throw new BadRequestError({
        detail: `Unknown query parameter: ${names.slice(0, 200)}.`,
      });
    }
    throw new BadRequestError(fieldErrors(parsed.error));
  }
  const params = parsed.data;
  const limit = wholeNumber(params.limit);
  const buying = params.buying_price;
  const selling = params.selling_price;
  const description = params.description;

  return {
    limit: limit && limit > 0 ? Math.min(limit, MAX_LIMIT) : DEFAULT_LIMIT,
    offset: wholeNumber(params.offset) ?? 0,
    ordering: ordering(params.ordering),
    filters: {
      ...(buying !== undefined && { buyingCents: decimalToCents(buying) }),
      ...(selling !== undefined && { sellingCents: decimalToCents(selling) }),
      ...(description !== undefined && { description }),
    },
  };
}
