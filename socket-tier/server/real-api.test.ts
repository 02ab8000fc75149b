/**
 * The socket server in front of the real products API: the router over
 * the local HTTP front on 127.0.0.1, the store on dynalite.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createApiRouter } from '../../functions/api/router.js';
import { seedProducts } from '../../functions/seed/seed-products.js';
import { memoryLogger } from '../../functions/shared/logger.js';
import { DynamoProductStore } from '../../functions/store/dynamo-product-store.js';
import { type HttpFront, startHttpFront } from '../../local/http-front.js';
import {
  formatTimestamp,
  isProduct,
  type Product,
} from '../../protocol/index.js';
import { startDynalite, type TestDynamo } from '../../test/dynalite.js';
import { RawClient, waitFor } from '../testing/raw-client.js';
import { type SocketServer, startSocketServer } from './server.js';

describe('the socket server in front of the real products API', () => {
  const logger = memoryLogger();
  const statuses: number[] = [];
  let dynamo: TestDynamo;
  let store: DynamoProductStore;
  let front: HttpFront;
  let server: SocketServer;

  beforeAll(async () => {
    dynamo = await startDynalite();
    store = new DynamoProductStore(dynamo.client, dynamo.table);
    await seedProducts(store, 35);
    const router = createApiRouter({ store, logger });
    front = await startHttpFront({
      handler: async (event: APIGatewayProxyEvent) => {
        const result = await router(event);
        statuses.push(result.statusCode);
        return result;
      },
      port: 0,
      host: '127.0.0.1',
      logger,
    });
    server = await startSocketServer({
      host: '127.0.0.1',
      port: 0,
      apiUrl: front.url,
      pollIntervalMs: 100,
      logger,
    });
  }, 30_000);

  afterAll(async () => {
    await server.close();
    await front.close();
    await dynamo.stop();
  });

  it('lists the first page of 30 in the framed protocol', async () => {
    const client = await RawClient.open(server.port);

    client.write('{"id":1,"op":"list"}\n');
    const page = await client.json();

    client.destroy();
    expect(page).toMatchObject({ id: 1, type: 'page', count: 35 });
    expect(page.results).toHaveLength(30);
    expect((page.results as unknown[]).every(isProduct)).toBe(true);
  });

  it('lists the first page of 30 in the older text protocol', async () => {
    const client = await RawClient.open(server.port);

    client.write('GET+PRODUCTS+{}+');
    const line = await client.line();

    client.destroy();
    const results = JSON.parse(line.slice('LIST+PRODUCTS+'.length));
    expect(results).toHaveLength(30);
    expect(results.every(isProduct)).toBe(true);
  });

  it('pushes a price the store changes, polling with 304s meanwhile', async () => {
    const { items } = await store.list({ limit: 1, offset: 0 });
    const code = items[0]?.code as string;
    const client = await RawClient.open(server.port);
    client.write(`{"id":1,"op":"watch","codes":["${code}"]}\n`);
    const first = (await client.json()).product as Product;
    const since = statuses.length;
    await waitFor(() => statuses.slice(since).includes(304));

    const now = formatTimestamp(new Date(Date.parse(first.update_at) + 1000));
    await store.applyTick(
      code,
      { id: 'tick-socket-test', at: now },
      (cents) => cents + 1,
      now,
    );
    const update = await client.json();

    client.destroy();
    expect(update.changed).toEqual(['selling_price', 'update_at']);
    const product = update.product as Product;
    const before = Math.round(Number(first.selling_price) * 100);
    expect(Math.round(Number(product.selling_price) * 100)).toBe(before + 1);
  });
});
