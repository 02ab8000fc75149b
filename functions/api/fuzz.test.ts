import type { APIGatewayProxyEvent } from 'aws-lambda';
import fc from 'fast-check';
import { startDynalite, type TestDynamo } from '../../test/dynalite.js';
import { seedProducts } from '../seed/seed-products.js';
import { memoryLogger } from '../shared/logger.js';
import { DynamoProductStore } from '../store/dynamo-product-store.js';
import { createApiRouter } from './router.js';

const KEY = 'fuzz-key';
const segment = fc.oneof(
  fc.constantFrom('api', 'products', 'schema', 'docs', '', '..', '%', '%ZZ'),
  fc.string({ maxLength: 30, unit: 'grapheme' }),
);
const path = fc
  .array(segment, { maxLength: 5 })
  .map((parts) => `/${parts.join('/')}`)
  .chain((tail) =>
    fc.constantFrom(`/api/products${tail}`, tail, '/api/products/', tail),
  );
const query = fc.dictionary(
  fc.oneof(
    fc.constantFrom(
      'limit',
      'offset',
      'ordering',
      'buying_price',
      'selling_price',
      'description',
      'format',
    ),
    fc.string({ maxLength: 10 }),
  ),
  fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.integer().map(String),
    fc.double().map(String),
  ),
  { maxKeys: 4 },
);
const body = fc.oneof(
  fc.constant(null),
  fc.json().map((text) => text),
  fc.string({ maxLength: 200 }),
  fc
    .record(
      {
        code: fc.oneof(fc.string(), fc.integer()),
        buying_price: fc.oneof(fc.string(), fc.double(), fc.integer()),
        selling_price: fc.oneof(fc.string(), fc.double(), fc.constant(null)),
        description: fc.oneof(fc.string(), fc.array(fc.integer())),
      },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
);

describe('the router under arbitrary requests', () => {
  let dynamo: TestDynamo;
  let store: DynamoProductStore;

  beforeAll(async () => {
    dynamo = await startDynalite();
    store = new DynamoProductStore(dynamo.client, dynamo.table);
    await seedProducts(store, 20);
  });

  afterAll(async () => {
    await dynamo.stop();
  });

  it('never answers 5xx and always answers JSON or an empty body', async () => {
    const logger = memoryLogger();
    const router = createApiRouter({ store, logger, apiKey: KEY });

    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'),
        path,
        query,
        body,
        fc.boolean(),
        async (method, requestPath, params, text, keyed) => {
          const event = {
            httpMethod: method,
            path: requestPath,
            resource: requestPath,
            headers: {
              host: '127.0.0.1:3000',
              'content-type': 'application/json',
              ...(keyed && { 'x-api-key': KEY }),
            },
            multiValueHeaders: {},
            queryStringParameters: Object.keys(params).length ? params : null,
            multiValueQueryStringParameters: null,
            pathParameters: null,
            stageVariables: null,
            body: text,
            isBase64Encoded: false,
            requestContext: {
              path: requestPath,
              requestId: 'fuzz',
            } as APIGatewayProxyEvent['requestContext'],
          } as APIGatewayProxyEvent;

          const result = await router(event);

          expect(result.statusCode).toBeLessThan(500);
          const type = String(result.headers?.['Content-Type'] ?? '');
          if (result.body !== '' && !type.startsWith('text/html')) {
            expect(() => JSON.parse(result.body)).not.toThrow();
          }
        },
      ),
      { numRuns: 300 },
    );
    expect(logger.entries.filter((entry) => entry.level === 'error')).toEqual(
      [],
    );
  });
});
