/**
 * Absolute `next`/`previous` links built as DRF builds them: from the
 * request's own scheme, host and path (with the stage on API Gateway),
 * every query parameter kept, `limit` and `offset` replaced, keys sorted.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { header } from './responses.js';

const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/** Python's quote_plus: only letters, digits and `_.-~` stay as they are. */
function quotePlus(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16)}`)
    .replace(/%20/g, '+');
}

/** Scheme, host and stage the client used: `https://h/prod`, `http://h`. */
export function apiRoot(event: APIGatewayProxyEvent): string {
  const full = event.requestContext?.path || event.path;
  const prefix = full.endsWith(event.path)
    ? full.slice(0, full.length - event.path.length)
    : '';

  return `${origin(event)}${prefix}`;
}

function origin(event: APIGatewayProxyEvent): string {
  const forwarded = header(event, 'x-forwarded-proto')?.split(',')[0];
  const scheme = forwarded?.trim() === 'https' ? 'https' : 'http';
  const given = header(event, 'host');
  const host =
    given !== undefined && HOST.test(given)
      ? given
      : (event.requestContext?.domainName ?? 'localhost');

  return `${scheme}://${host}`;
}

function baseUrl(event: APIGatewayProxyEvent): string {
  return `${origin(event)}${event.requestContext?.path || event.path}`;
}

function queryPairs(event: APIGatewayProxyEvent): [string, string][] {
  const pairs: [string, string][] = [];
  const multi = event.multiValueQueryStringParameters ?? {};
  const single = event.queryStringParameters ?? {};
  const keys = new Set([...Object.keys(multi), ...Object.keys(single)]);
  for (const key of keys) {
    const values = multi[key] ?? [single[key] ?? ''];
    for (const value of values) pairs.push([key, value]);
  }

  return pairs;
}

function withPaging(
  event: APIGatewayProxyEvent,
  paging: { limit: number; offset?: number },
): string {
  const pairs = queryPairs(event).filter(
    ([key]) => key !== 'limit' && key !== 'offset',
  );
  pairs.push(['limit', String(paging.limit)]);
  if (paging.offset !== undefined) {
    pairs.push(['offset', String(paging.offset)]);
  }
  pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const query = pairs
    .map(([key, value]) => `${quotePlus(key)}=${quotePlus(value)}`)
    .join('&');

  return `${baseUrl(event)}?${query}`;
}

export function pageLinks(
  event: APIGatewayProxyEvent,
  page: { limit: number; offset: number; count: number },
): { next: string | null; previous: string | null } {
  const { limit, offset, count } = page;
  const next =
    offset + limit < count
      ? withPaging(event, { limit, offset: offset + limit })
      : null;
  let previous: string | null = null;
  if (offset > 0) {
    previous =
      offset - limit <= 0
        ? withPaging(event, { limit })
        : withPaging(event, { limit, offset: offset - limit });
  }

  return { next, previous };
}
