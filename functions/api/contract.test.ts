import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type HttpFront, startHttpFront } from '../../local/http-front.js';
import type { Product, ProductPage } from '../../protocol/product.js';
import { startDynalite, type TestDynamo } from '../../test/dynalite.js';
import { memoryLogger } from '../shared/logger.js';
import { DynamoProductStore } from '../store/dynamo-product-store.js';
import type { ProductRecord } from '../store/product-store.js';
import { createApiRouter } from './router.js';

const KEY = 'the-write-key';
const STAMP = '2026-12-01T09:00:00.000000+00:00';
const DESCRIPTIONS = ['Oak desk lamp', 'Brass kettle', 'Linen bench', 'Café'];

function fixture(index: number): ProductRecord {
  const buyingCents = 100_000 + (index % 9) * 1_010;
  return {
    code: `P${String((index * 37) % 101).padStart(4, '0')}`,
    buyingCents,
    sellingCents: buyingCents + (index % 4) * 500,
    description: DESCRIPTIONS[index % 4] as string,
    createdAt: STAMP,
    updateAt: STAMP,
  };
}

const products = Array.from({ length: 60 }, (_, index) => fixture(index));
const cents = (text: string) => Math.round(Number(text) * 100);
const price = (value: number) => (value / 100).toFixed(2);

type Json = Record<string, unknown>;

describe('products API contract over HTTP', () => {
  let dynamo: TestDynamo;
  let front: HttpFront;
  const logger = memoryLogger();
  let clock = Date.parse('2026-12-04T12:00:00Z');

  beforeAll(async () => {
    dynamo = await startDynalite();
    const store = new DynamoProductStore(dynamo.client, dynamo.table);
    await store.putMany(products);
    let next = 0;
    front = await startHttpFront({
      handler: createApiRouter({
        store,
        logger,
        apiKey: KEY,
        now: () => {
          clock += 1000;
          return new Date(clock);
        },
        newCode: () => `GEN${String(++next).padStart(12, '0')}`,
      }),
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

  async function page(query: string): Promise<ProductPage> {
    const response = await get(`/api/products/?${query}`);
    expect(response.status).toBe(200);
    return (await response.json()) as ProductPage;
  }

  function send(
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string> = {},
  ) {
    return fetch(`${front.url}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        'x-api-key': KEY,
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  describe('filters and ordering', () => {
    it('filters by an exact selling price written with one decimal', async () => {
      const wanted = products[5] as ProductRecord;
      const text = price(wanted.sellingCents).replace(/0$/, '');

      const result = await page(`selling_price=${text}`);

      const codes = products
        .filter((p) => p.sellingCents === wanted.sellingCents)
        .map((p) => p.code)
        .sort();
      expect(result.count).toBe(codes.length);
      expect(result.results.map((p) => p.code)).toEqual(codes);
    });

    it('combines filters with ordering and paging, keeping them in links', async () => {
      const wanted = products[2] as ProductRecord;
      const query =
        `description=${encodeURIComponent(wanted.description)}` +
        `&buying_price=${price(wanted.buyingCents)}` +
        '&ordering=-selling_price&limit=1';

      const result = await page(query);

      const matches = products.filter(
        (p) =>
          p.description === wanted.description &&
          p.buyingCents === wanted.buyingCents,
      );
      expect(result.count).toBe(matches.length);
      const top = Math.max(...matches.map((p) => p.sellingCents));
      expect(cents(result.results[0]?.selling_price ?? '')).toBe(top);
      if (matches.length > 1) {
        expect(result.next).toBe(
          `${front.url}/api/products/?buying_price=` +
            `${price(wanted.buyingCents)}&description=` +
            `${encodeURIComponent(wanted.description).replace(/%20/g, '+')}` +
            '&limit=1&offset=1&ordering=-selling_price',
        );
      }
    });

    it.each([
      ['buying_price', (p: Product) => cents(p.buying_price)],
      ['selling_price', (p: Product) => cents(p.selling_price)],
    ])('orders by %s both ways', async (field, value) => {
      const up = await page(`ordering=${field}&limit=60`);
      const down = await page(`ordering=-${field}&limit=60`);

      const ups = up.results.map(value);
      expect(ups).toEqual([...ups].sort((a, b) => a - b));
      expect(down.results.map(value)).toEqual([...ups].reverse());
    });

    it('orders by description', async () => {
      const result = await page('ordering=description&limit=60');

      const texts = result.results.map((p) => p.description);
      expect(texts).toEqual(
        [...texts].sort((a, b) =>
          Buffer.compare(Buffer.from(a), Buffer.from(b)),
        ),
      );
    });

    it('falls back to ordering by code for an unknown field', async () => {
      const result = await page('ordering=price&limit=60');

      const codes = result.results.map((p) => p.code);
      expect(codes).toEqual([...codes].sort());
    });

    it('ignores an empty filter as DRF does', async () => {
      const result = await page('selling_price=&description=');

      expect(result.count).toBe(products.length);
    });
  });

  describe('bad reads', () => {
    it.each([
      ['a word', 'selling_price=cheap', { selling_price: ['Enter a number.'] }],
      ['a comma', 'buying_price=1,5', { buying_price: ['Enter a number.'] }],
      [
        'three decimals',
        'selling_price=1.234',
        {
          selling_price: [
            'Ensure that there are no more than 2 decimal places.',
          ],
        },
      ],
      [
        'too many digits',
        'buying_price=123456789012',
        {
          buying_price: [
            'Ensure that there are no more than 10 digits in total.',
          ],
        },
      ],
    ])('answers 400 for a price filter with %s', async (_n, query, body) => {
      const response = await get(`/api/products/?${query}`);

      expect(response.status).toBe(400);
      expect(await response.json()).toEqual(body);
    });

    it('answers 400 naming an unknown query parameter', async () => {
      const response = await get('/api/products/?colour=red&limit=2');

      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        detail: 'Unknown query parameter: colour.',
      });
    });

    it('answers an empty page for a negative price filter', async () => {
      const result = await page('selling_price=-5');

      expect(result).toMatchObject({ count: 0, results: [] });
    });

    it('caps a huge limit', async () => {
      const result = await page('limit=99999999999999999999999');

      expect(result.results).toHaveLength(products.length);
      expect(result.next).toBeNull();
    });

    it.each([
      ['percent-encoded', '/api/products/%2E%2E%2Fetc/'],
      ['bad percent-encoding', '/api/products/%E0%A4%A/'],
      ['unicode', `/api/products/${encodeURIComponent('ÇÃO✓')}/`],
      ['empty', '/api/products//'],
      ['10 KB long', `/api/products/${'A'.repeat(10_240)}/`],
    ])('answers 404 JSON for a %s code', async (_name, path) => {
      const response = await get(path);

      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ detail: 'Not found.' });
    });
  });

  describe('ETags', () => {
    it('answers 304 to a matching If-None-Match on a page', async () => {
      const first = await get('/api/products/?limit=5');
      const etag = first.headers.get('etag') ?? '';

      const again = await get('/api/products/?limit=5', {
        'if-none-match': etag,
      });

      expect(etag).toMatch(/^".+"$/);
      expect(again.status).toBe(304);
      expect(again.headers.get('etag')).toBe(etag);
      expect(await again.text()).toBe('');
    });

    it('answers 200 with a new tag once the product changes', async () => {
      const code = (products[9] as ProductRecord).code;
      const first = await get(`/api/products/${code}/`);
      const etag = first.headers.get('etag') ?? '';
      const weak = await get(`/api/products/${code}/`, {
        'if-none-match': `W/${etag}`,
      });

      await send('PATCH', `/api/products/${code}/`, { description: 'Moved' });
      const after = await get(`/api/products/${code}/`, {
        'if-none-match': etag,
      });

      expect(weak.status).toBe(304);
      expect(after.status).toBe(200);
      expect(after.headers.get('etag')).not.toBe(etag);
    });
  });

  describe('writes', () => {
    const body = {
      code: 'NEWONE',
      buying_price: '1000.00',
      selling_price: 1300,
      description: 'Walnut tray',
    };

    it.each([
      ['no key', {}],
      ['a wrong key', { 'x-api-key': 'not-it' }],
    ])('refuses a write with %s: 403 JSON', async (_name, headers) => {
      const response = await fetch(`${front.url}/api/products/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });

      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({
        detail: 'Invalid or missing API key.',
      });
      expect((await get('/api/products/NEWONE/')).status).toBe(404);
    });

    it('creates a product and answers it with 201', async () => {
      const response = await send('POST', '/api/products/', body);

      const created = (await response.json()) as Product;
      expect(response.status).toBe(201);
      expect(created).toMatchObject({
        code: 'NEWONE',
        buying_price: '1000.00',
        selling_price: '1300.00',
        description: 'Walnut tray',
      });
      expect(created.update_at).toBe(created.created_at);
      expect(await (await get('/api/products/NEWONE')).json()).toEqual(created);
    });

    it('generates a code when the body names none', async () => {
      const { code: _, ...rest } = body;

      const response = await send('POST', '/api/products', rest);

      const created = (await response.json()) as Product;
      expect(response.status).toBe(201);
      expect(created.code).toMatch(/^GEN\d{12}$/);
    });

    it('refuses a code that is taken', async () => {
      const response = await send('POST', '/api/products/', {
        ...body,
        code: (products[0] as ProductRecord).code,
      });

      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        code: ['product with this code already exists.'],
      });
    });

    it('replaces with PUT, keeping created_at and moving update_at', async () => {
      const code = (products[1] as ProductRecord).code;

      const response = await send('PUT', `/api/products/${code}/`, {
        buying_price: '2000',
        selling_price: '2600.5',
        description: 'Teak bench',
      });

      const product = (await response.json()) as Product;
      expect(response.status).toBe(200);
      expect(product).toMatchObject({
        code,
        buying_price: '2000.00',
        selling_price: '2600.50',
        description: 'Teak bench',
        created_at: STAMP,
      });
      expect(product.update_at > STAMP).toBe(true);
    });

    it('changes only the given fields with PATCH', async () => {
      const record = products[6] as ProductRecord;

      const response = await send('PATCH', `/api/products/${record.code}`, {
        selling_price: '9999.99',
      });

      const product = (await response.json()) as Product;
      expect(response.status).toBe(200);
      expect(product.selling_price).toBe('9999.99');
      expect(product.buying_price).toBe(price(record.buyingCents));
      expect(product.description).toBe(record.description);
    });

    it('deletes with 204, then answers 404', async () => {
      const code = (products[7] as ProductRecord).code;

      const response = await send('DELETE', `/api/products/${code}/`, '');
      const again = await send('DELETE', `/api/products/${code}/`, '');

      expect(response.status).toBe(204);
      expect(await response.text()).toBe('');
      expect(again.status).toBe(404);
      expect((await get(`/api/products/${code}/`)).status).toBe(404);
    });

    it('answers 404 to PUT and PATCH of an unknown code', async () => {
      const put = await send('PUT', '/api/products/NOPE/', {
        ...body,
        code: undefined,
      });
      const patch = await send('PATCH', '/api/products/NOPE/', {});

      expect(put.status).toBe(404);
      expect(patch.status).toBe(404);
    });

    it.each<[string, unknown, Json]>([
      [
        'missing fields',
        {},
        {
          buying_price: ['This field is required.'],
          selling_price: ['This field is required.'],
          description: ['This field is required.'],
        },
      ],
      [
        'wrong types',
        { buying_price: true, selling_price: [], description: 12 },
        {
          buying_price: ['A valid number is required.'],
          selling_price: ['A valid number is required.'],
          description: ['Not a valid string.'],
        },
      ],
      [
        'negative and over-long prices',
        { ...body, buying_price: '-1', selling_price: '123456789.00' },
        {
          buying_price: ['Ensure this value is greater than or equal to 0.'],
          selling_price: [
            'Ensure that there are no more than 10 digits in total.',
          ],
        },
      ],
      [
        'a blank description and a bad code',
        { ...body, code: 'has space', description: '  ' },
        {
          code: ['Enter 1 to 64 letters, digits, "_" or "-".'],
          description: ['This field may not be blank.'],
        },
      ],
      [
        'a list',
        [body],
        {
          non_field_errors: [
            'Invalid data. Expected a dictionary, but got list.',
          ],
        },
      ],
    ])('answers field errors for %s', async (_name, input, errors) => {
      const response = await send('POST', '/api/products/', input);

      expect(response.status).toBe(400);
      expect(await response.json()).toEqual(errors);
    });

    it('answers 400 for a body that is not JSON', async () => {
      const response = await send('POST', '/api/products/', '{"code": ');

      expect(response.status).toBe(400);
      expect(((await response.json()) as { detail: string }).detail).toMatch(
        /^JSON parse error - /,
      );
    });

    it('answers 415 for a body that is not declared JSON', async () => {
      const response = await send('POST', '/api/products/', 'code=X', {
        'content-type': 'application/x-www-form-urlencoded',
      });

      expect(response.status).toBe(415);
      expect(await response.json()).toEqual({
        detail:
          'Unsupported media type "application/x-www-form-urlencoded" in request.',
      });
    });

    it('answers 413 for a body over 64 KiB', async () => {
      const response = await send('POST', '/api/products/', {
        ...body,
        description: 'x'.repeat(70_000),
      });

      expect(response.status).toBe(413);
      expect(await response.json()).toHaveProperty('detail');
    });

    it('answers 400 when the body names another code than the path', async () => {
      const code = (products[8] as ProductRecord).code;

      const response = await send('PATCH', `/api/products/${code}/`, {
        code: 'OTHER',
      });

      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        code: ['Does not match the code in the path.'],
      });
    });
  });

  it('refuses every write with 403 when no key is configured', async () => {
    const store = new DynamoProductStore(dynamo.client, dynamo.table);
    const open = await startHttpFront({
      handler: createApiRouter({ store, logger }),
      port: 0,
    });

    const response = await fetch(`${open.url}/api/products/P0000/`, {
      method: 'DELETE',
      headers: { 'x-api-key': KEY },
    });
    await open.close();

    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      detail: 'Writes are disabled: no API key is set.',
    });
  });

  it('answers 503 with the request id and logs it when the store is down', async () => {
    const dead = new DynamoDBClient({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    const down = memoryLogger();
    const broken = await startHttpFront({
      handler: createApiRouter({
        store: new DynamoProductStore(dead, 'products'),
        logger: down,
      }),
      port: 0,
    });

    const response = await fetch(`${broken.url}/api/products/`);
    await broken.close();
    dead.destroy();

    const body = (await response.json()) as { request_id: string };
    expect(response.status).toBe(503);
    expect(body.request_id).toBe(response.headers.get('x-amzn-requestid'));
    expect(down.entries).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: 'store unavailable',
        requestId: body.request_id,
        operation: 'listProducts',
      }),
    );
  });
});
