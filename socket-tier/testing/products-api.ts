/**
 * A small products API over real HTTP on 127.0.0.1 for socket tier
 * tests that need exact control over upstream answers: changes at a
 * chosen moment, ETags and 304s, an API that is down or slow. It
 * answers as PROTOCOL.md's HTTP API does, for the parts used here.
 */
import { createHash } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatCents, type Product } from '../../protocol/index.js';

export interface TestApi {
  url: string;
  products: Map<string, Product>;
  /** Requests for one product, by code, and how many were 304s. */
  gets: Map<string, number>;
  notModified: number;
  lists: number;
  /** While true, every request gets a 503. */
  down: boolean;
  /** Added before each answer. */
  delayMs: number;
  set(product: Product): void;
  /** A new selling price, with a later `update_at`. */
  reprice(code: string, sellingCents: number): Product;
  close(): Promise<void>;
}

let clock = Date.UTC(2026, 11, 1, 12, 0, 0);

function timestamp(): string {
  clock += 1000;
  return `${new Date(clock).toISOString().slice(0, 23)}000+00:00`;
}

export function makeProduct(index: number, sellingCents = 130_000): Product {
  const at = timestamp();
  return {
    code: `TESTCODE${String(index).padStart(7, '0')}`,
    buying_price: formatCents(100_000 + index),
    selling_price: formatCents(sellingCents + index),
    description: `product ${index}`,
    created_at: at,
    update_at: at,
  };
}

function etagOf(product: Product): string {
  const hash = createHash('sha1').update(JSON.stringify(product));
  return `"${hash.digest('base64url').slice(0, 16)}"`;
}

export async function startTestApi(initial: Product[] = []): Promise<TestApi> {
  const api: TestApi = {
    url: '',
    products: new Map(initial.map((product) => [product.code, product])),
    gets: new Map(),
    notModified: 0,
    lists: 0,
    down: false,
    delayMs: 0,
    set(product) {
      api.products.set(product.code, product);
    },
    reprice(code, sellingCents) {
      const before = api.products.get(code);
      if (!before) throw new Error(`no test product ${code}`);
      const after = {
        ...before,
        selling_price: formatCents(sellingCents),
        update_at: timestamp(),
      };
      api.products.set(code, after);
      return after;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((request, response) => {
    setTimeout(() => answer(api, request, response), api.delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  api.url = `http://127.0.0.1:${port}`;

  return api;
}

function send(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function answer(
  api: TestApi,
  request: IncomingMessage,
  response: ServerResponse,
): void {
  if (api.down) {
    send(response, 503, { message: 'Service Unavailable' });
    return;
  }
  const url = new URL(request.url ?? '/', api.url);
  const one = /^\/api\/products\/([^/]+)\/?$/.exec(url.pathname);
  if (one) {
    const code = decodeURIComponent(one[1] as string);
    api.gets.set(code, (api.gets.get(code) ?? 0) + 1);
    const product = api.products.get(code);
    if (!product) {
      send(response, 404, { detail: 'Not found.' });
      return;
    }
    const etag = etagOf(product);
    if (request.headers['if-none-match'] === etag) {
      api.notModified += 1;
      response.writeHead(304, { etag });
      response.end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json', etag });
    response.end(JSON.stringify(product));
    return;
  }
  if (/^\/api\/products\/?$/.test(url.pathname)) {
    api.lists += 1;
    list(api, url, response);
    return;
  }
  send(response, 404, { detail: 'Not found.' });
}

function list(api: TestApi, url: URL, response: ServerResponse): void {
  const selling = url.searchParams.get('selling_price');
  if (selling !== null && !/^\d+(\.\d+)?$/.test(selling)) {
    send(response, 400, { selling_price: ['Enter a number.'] });
    return;
  }
  const limit = Number(url.searchParams.get('limit') ?? 30) || 30;
  const offset = Number(url.searchParams.get('offset') ?? 0) || 0;
  let all = [...api.products.values()];
  if (selling !== null) {
    all = all.filter((product) => product.selling_price === selling);
  }
  const results = all.slice(offset, offset + limit);
  const link = (at: number) =>
    `${api.url}/api/products/?limit=${limit}&offset=${at}`;
  send(response, 200, {
    count: all.length,
    next: offset + limit < all.length ? link(offset + limit) : null,
    previous: offset > 0 ? link(Math.max(0, offset - limit)) : null,
    results,
  });
}
