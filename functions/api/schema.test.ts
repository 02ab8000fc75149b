import { ROUTES } from '../../config/topology.js';
import { type HttpFront, startHttpFront } from '../../local/http-front.js';
import { startDynalite, type TestDynamo } from '../../test/dynalite.js';
import { seedProducts } from '../seed/seed-products.js';
import { memoryLogger } from '../shared/logger.js';
import { DynamoProductStore } from '../store/dynamo-product-store.js';
import { createApiRouter } from './router.js';
import {
  ListParamsSchema,
  PageSchema,
  ProductInputSchema,
  ProductSchema,
} from './schemas.js';

// biome-ignore lint/suspicious/noExplicitAny: walks a parsed JSON document
type Json = Record<string, any>;

describe('OpenAPI document', () => {
  let dynamo: TestDynamo;
  let front: HttpFront;
  let document: Json;

  beforeAll(async () => {
    dynamo = await startDynalite();
    const store = new DynamoProductStore(dynamo.client, dynamo.table);
    await seedProducts(store, 12);
    front = await startHttpFront({
      handler: createApiRouter({ store, logger: memoryLogger() }),
      port: 0,
    });
    const response = await fetch(`${front.url}/api/schema/`);
    expect(response.status).toBe(200);
    document = (await response.json()) as Json;
  });

  afterAll(async () => {
    await front.close();
    await dynamo.stop();
  });

  it('is OpenAPI 3 with this server and every route', () => {
    expect(document.openapi).toMatch(/^3\./);
    expect(document.servers).toEqual([{ url: front.url }]);
    for (const route of ROUTES) {
      const operation = document.paths[`${route.path}/`][
        route.method.toLowerCase()
      ] as Json;
      expect(operation.operationId).toBe(route.operation);
      expect(Boolean(operation.security)).toBe(route.access === 'write');
    }
  });

  it('documents exactly the query parameters the list validates', () => {
    const list = document.paths['/api/products/'].get as Json;

    const names = (list.parameters as Json[]).map((p) => p.name);

    expect(names.sort()).toEqual(Object.keys(ListParamsSchema.shape).sort());
  });

  it('requires in the create body what validation requires', () => {
    const input = document.components.schemas.ProductInput as Json;

    const missing = ProductInputSchema.safeParse({});

    const required = missing.success
      ? []
      : missing.error.issues.map((issue) => String(issue.path[0]));
    expect([...input.required].sort()).toEqual(required.sort());
  });

  it('describes the answers the API gives', async () => {
    const page = await (await fetch(`${front.url}/api/products/`)).json();
    const code = (page as { results: { code: string }[] }).results[0]?.code;
    const product = await (
      await fetch(`${front.url}/api/products/${code}/`)
    ).json();

    expect(PageSchema.safeParse(page).success).toBe(true);
    expect(ProductSchema.safeParse(product).success).toBe(true);
    expect(Object.keys(document.components.schemas.Product.properties)).toEqual(
      Object.keys(product as Json),
    );
  });

  it('serves the docs page as HTML with the document inside', async () => {
    const response = await fetch(`${front.url}/api/docs`);

    const html = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html).toContain('SwaggerUIBundle');
    expect(html).toContain('"operationId":"listProducts"');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
  });
});
