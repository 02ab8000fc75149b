import { request } from 'node:http';
import { type HttpFront, startHttpFront } from '../../local/http-front.js';
import type { Product, ProductPage } from '../../protocol/product.js';
import { startDynalite, type TestDynamo } from '../../test/dynalite.js';
import { memoryLogger } from '../shared/logger.js';
import { DynamoProductStore } from '../store/dynamo-product-store.js';
import type { ProductRecord } from '../store/product-store.js';
import { createApiRouter } from './router.js';

const TOTAL = 75;
const STAMP = '2026-12-01T09:00:00.000000+00:00';
const DESCRIPTIONS = ['Oak desk lamp', 'Brass kettle', 'Linen bench'];

function fixture(index: number): ProductRecord {
  const buyingCents = 100_000 + (index % 10) * 1_234;
  return {
    code: `CODE${String(index).padStart(3, '0')}`,
    buyingCents,
    sellingCents: buyingCents + (index % 7) * 1_000,
    description: DESCRIPTIONS[index % 3] as string,
    createdAt: STAMP,
    updateAt: STAMP,
  };
}

const products = Array.from({ length: TOTAL }, (_, index) => fixture(index));
const cents = (text: string) => Math.round(Number(text) * 100);

describe('products API over HTTP on dynalite', () => {
  let dynamo: TestDynamo;
  let front: HttpFront;

  beforeAll(async () => {
    dynamo = await startDynalite();
    const store = new DynamoProductStore(dynamo.client, dynamo.table);
    await store.putMany(products);
    const logger = memoryLogger();
    front = await startHttpFront({
      handler: createApiRouter({ store, logger, apiKey: 'secret-key' }),
      port: 0,
      logger,
    });
  });

  afterAll(async () => {
    await front.close();
    await dynamo.stop();
  });

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${front.url}${path}`, { headers });

  it('answers the first page of 30 with count and absolute links', async () => {
    const response = await get('/api/products/');

    const page = (await response.json()) as ProductPage;
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    expect(page.count).toBe(TOTAL);
    expect(page.results).toHaveLength(30);
    expect(page.previous).toBeNull();
    expect(page.next).toBe(`${front.url}/api/products/?limit=30&offset=30`);
    expect(page.results.map((product) => product.code)).toEqual(
      products.slice(0, 30).map((product) => product.code),
    );
  });

  it('writes prices as two-decimal strings and times with an offset', async () => {
    const response = await get('/api/products/?limit=5');

    const page = (await response.json()) as ProductPage;
    for (const product of page.results) {
      expect(product.buying_price).toMatch(/^\d+\.\d{2}$/);
      expect(product.selling_price).toMatch(/^\d+\.\d{2}$/);
      expect(product.created_at).toMatch(/[+-]\d{2}:\d{2}$/);
      expect(product.update_at).toMatch(/[+-]\d{2}:\d{2}$/);
    }
  });

  it('builds links from the Host header the client sent', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(
        `${front.url}/api/products/?limit=5`,
        { headers: { host: 'shop.example.com:8443' } },
        (response) => {
          let text = '';
          response.on('data', (chunk) => {
            text += chunk;
          });
          response.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      req.end();
    });

    const page = JSON.parse(body) as ProductPage;
    expect(page.next).toBe(
      'http://shop.example.com:8443/api/products/?limit=5&offset=5',
    );
  });

  it('pages with limit and offset and links both ways', async () => {
    const response = await get('/api/products?limit=10&offset=20');

    const page = (await response.json()) as ProductPage;
    expect(page.results.map((product) => product.code)).toEqual(
      products.slice(20, 30).map((product) => product.code),
    );
    expect(page.next).toBe(`${front.url}/api/products?limit=10&offset=30`);
    expect(page.previous).toBe(`${front.url}/api/products?limit=10&offset=10`);
  });

  it('drops the offset from the previous link of the second page', async () => {
    const response = await get('/api/products/?offset=30');

    const page = (await response.json()) as ProductPage;
    expect(page.previous).toBe(`${front.url}/api/products/?limit=30`);
    expect(page.next).toBe(`${front.url}/api/products/?limit=30&offset=60`);
  });

  it('has no next link on the last page', async () => {
    const response = await get('/api/products/?offset=60');

    const page = (await response.json()) as ProductPage;
    expect(page.results).toHaveLength(TOTAL - 60);
    expect(page.next).toBeNull();
  });

  it.each([
    ['a word', 'limit=abc'],
    ['zero', 'limit=0'],
    ['a negative number', 'limit=-5'],
    ['a fraction', 'limit=2.5'],
  ])('falls back to 30 when limit is %s', async (_name, query) => {
    const response = await get(`/api/products/?${query}`);

    const page = (await response.json()) as ProductPage;
    expect(response.status).toBe(200);
    expect(page.results).toHaveLength(30);
  });

  it.each([
    ['a word', 'offset=abc'],
    ['a negative number', 'offset=-10'],
  ])('counts offset as 0 when it is %s', async (_name, query) => {
    const response = await get(`/api/products/?${query}`);

    const page = (await response.json()) as ProductPage;
    expect(page.results[0]?.code).toBe(products[0]?.code);
  });

  it('answers an empty page for an offset past the end', async () => {
    const response = await get('/api/products/?offset=999999999999999999999');

    const page = (await response.json()) as ProductPage;
    expect(response.status).toBe(200);
    expect(page.count).toBe(TOTAL);
    expect(page.results).toEqual([]);
    expect(page.next).toBeNull();
  });

  it('answers one product with and without the trailing slash', async () => {
    const wanted = products[42] as ProductRecord;

    const slash = await get(`/api/products/${wanted.code}/`);
    const bare = await get(`/api/products/${wanted.code}`);

    const product = (await slash.json()) as Product;
    expect(slash.status).toBe(200);
    expect(bare.status).toBe(200);
    expect(await bare.json()).toEqual(product);
    expect(product.code).toBe(wanted.code);
    expect(cents(product.selling_price)).toBe(wanted.sellingCents);
    expect(product.description).toBe(wanted.description);
  });

  it('answers 404 with the DRF body for an unknown code', async () => {
    const response = await get('/api/products/NOSUCHCODE/');

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ detail: 'Not found.' });
  });

  it('answers JSON 404 for a path that is not a route', async () => {
    const response = await get('/nowhere/at/all');

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ detail: 'Not found.' });
  });

  it('answers JSON 405 with Allow for a method the path lacks', async () => {
    const response = await fetch(`${front.url}/api/schema/`, {
      method: 'DELETE',
    });

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
    expect(await response.json()).toEqual({
      detail: 'Method "DELETE" not allowed.',
    });
  });
});
