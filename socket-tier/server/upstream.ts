/**
 * The products API as the socket server sees it: the first page of a
 * list, and one product by code with `If-None-Match`, so an unchanged
 * product costs a 304. Requests past `concurrency` wait their turn, so
 * a burst of watches never floods the API.
 */
import {
  isProduct,
  type Product,
  type ProductPage,
} from '../../protocol/index.js';

export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';

  constructor(
    message: string,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The API refused the query itself (a 400); the message says why. */
export class UpstreamQueryError extends Error {
  override readonly name = 'UpstreamQueryError';
}

export type ProductLookup =
  | { status: 'ok'; product: Product; etag?: string }
  | { status: 'not-modified' }
  | { status: 'not-found' };

export interface Upstream {
  /** One page; `query` is a URL query string without `?`. */
  list(query: string): Promise<ProductPage>;
  get(code: string, etag?: string): Promise<ProductLookup>;
  /** Requests sent so far, for stats and the benchmark. */
  readonly requests: number;
}

export interface HttpUpstreamOptions {
  apiUrl: string;
  timeoutMs?: number;
  concurrency?: number;
}

export function createHttpUpstream(options: HttpUpstreamOptions): Upstream {
  const base = options.apiUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 5000;
  const limit = createLimit(options.concurrency ?? 32);
  let requests = 0;
  const call = (url: string, headers: Record<string, string>) =>
    limit(async () => {
      requests += 1;
      try {
        return await fetch(url, {
          headers: { accept: 'application/json', ...headers },
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        throw new UpstreamError('the products API did not answer', undefined, {
          cause: error,
        });
      }
    });

  return {
    get requests() {
      return requests;
    },
    async list(query) {
      const url = `${base}/api/products/${query === '' ? '' : `?${query}`}`;
      const response = await call(url, {});
      const body = await readJson(response);
      if (response.status === 400) {
        throw new UpstreamQueryError(describeRefusal(body));
      }
      if (response.status !== 200) throw statusError(response.status);
      if (!isPage(body)) throw new UpstreamError('the API sent no page');

      return body;
    },
    async get(code, etag) {
      const url = `${base}/api/products/${encodeURIComponent(code)}/`;
      const response = await call(url, etag ? { 'if-none-match': etag } : {});
      if (response.status === 304) {
        await response.body?.cancel();
        return { status: 'not-modified' };
      }
      const body = await readJson(response);
      if (response.status === 404) return { status: 'not-found' };
      if (response.status !== 200) throw statusError(response.status);
      if (!isProduct(body)) throw new UpstreamError('the API sent no product');
      const tag = response.headers.get('etag') ?? undefined;

      return tag
        ? { status: 'ok', product: body, etag: tag }
        : { status: 'ok', product: body };
    },
  };
}

async function readJson(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch (error) {
    if (response.status >= 500) return undefined;
    throw new UpstreamError(
      `the API answered ${response.status} without JSON`,
      response.status,
      { cause: error },
    );
  }
}

function statusError(status: number): UpstreamError {
  return new UpstreamError(`the API answered ${status}`, status);
}

/** Turns a DRF-style 400 body into one sentence. */
function describeRefusal(body: unknown): string {
  if (typeof body !== 'object' || body === null) return 'bad query';
  const parts = Object.entries(body).map(([key, value]) => {
    const text = Array.isArray(value) ? value.join(' ') : String(value);
    return key === 'detail' ? text : `${key}: ${text}`;
  });

  return parts.join('; ') || 'bad query';
}

function isPage(value: unknown): value is ProductPage {
  if (typeof value !== 'object' || value === null) return false;
  const page = value as Record<string, unknown>;
  return (
    typeof page.count === 'number' &&
    Array.isArray(page.results) &&
    page.results.every(isProduct)
  );
}

/** Runs at most `max` tasks at once; the rest wait in order. */
function createLimit(max: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= max) {
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else {
      active += 1;
    }
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active -= 1;
    }
  };
}
