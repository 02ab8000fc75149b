/**
 * The fast path over a real RabbitMQ: product events on a topic
 * exchange of this test's own, pushed to watchers long before any poll.
 */
import { type AddressInfo, createServer } from 'node:net';
import amqp from 'amqplib';
import { createAmqpProductEvents } from '../../functions/events/amqp-product-events.js';
import { memoryLogger } from '../../functions/shared/logger.js';
import type { Product } from '../../protocol/index.js';
import { AMQP_URL, uniqueAmqpNames } from '../../test/rabbit.js';
import { startTcpProxy } from '../../test/tcp-proxy.js';
import {
  makeProduct,
  startTestApi,
  type TestApi,
} from '../testing/products-api.js';
import { RawClient, sleep, waitFor } from '../testing/raw-client.js';
import { type SocketServer, startSocketServer } from './server.js';

/** Far longer than any test here: a change seen came by an event. */
const POLL_MS = 60_000;

describe('the socket server with product events', () => {
  const names = uniqueAmqpNames();
  const logger = memoryLogger();
  let api: TestApi;
  let server: SocketServer;
  let connection: amqp.ChannelModel;
  let channel: amqp.Channel;
  const clients: RawClient[] = [];
  const products = Array.from({ length: 8 }, (_, index) =>
    makeProduct(300 + index),
  );

  const publish = (body: unknown, code: string) =>
    channel.publish(
      names.eventsExchange,
      `${names.eventRoutingPrefix}${code}`,
      Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    );

  const watch = async (product: Product) => {
    const client = await RawClient.open(server.port);
    clients.push(client);
    client.write(`{"id":1,"op":"watch","codes":["${product.code}"]}\n`);
    await client.json();
    return client;
  };

  beforeAll(async () => {
    api = await startTestApi(products);
    server = await startSocketServer({
      host: '127.0.0.1',
      port: 0,
      apiUrl: api.url,
      pollIntervalMs: POLL_MS,
      amqpUrl: AMQP_URL,
      eventsExchange: names.eventsExchange,
      logger,
    });
    connection = await amqp.connect(AMQP_URL);
    channel = await connection.createChannel();
  });

  afterAll(async () => {
    for (const client of clients) client.destroy();
    await server.close();
    await api.close();
    await channel.deleteExchange(names.eventsExchange);
    await connection.close();
  });

  it('subscribes to the events exchange at start', () => {
    const subscribed = logger.entries.find(
      (entry) => entry.msg === 'events subscribed',
    );

    expect(subscribed?.exchange).toBe(names.eventsExchange);
  });

  it('pushes the state an event carries, without its tick', async () => {
    const client = await watch(products[0] as Product);
    const after = api.reprice(products[0]?.code as string, 987_654);

    publish({ ...after, tick: 'tick-1' }, after.code);

    expect(await client.json()).toEqual({
      type: 'update',
      product: after,
      changed: ['selling_price', 'update_at'],
    });
  });

  it('understands the events the price worker publishes', async () => {
    const product = products[4] as Product;
    const client = await watch(product);
    const events = await createAmqpProductEvents({ amqpUrl: AMQP_URL, names });
    const after = api.reprice(product.code, 444_444);

    await events.publish({ ...after, tick: 'tick-worker' });
    const update = await client.json();

    await events.close();
    expect(update).toEqual({
      type: 'update',
      product: after,
      changed: ['selling_price', 'update_at'],
    });
  });

  it('ignores an event older than the state it holds', async () => {
    const product = products[1] as Product;
    const client = await watch(product);
    const stale = {
      ...product,
      selling_price: '1.00',
      update_at: '2020-01-01T00:00:00.000000+00:00',
    };

    publish(stale, product.code);
    const after = api.reprice(product.code, 111_111);
    publish(after, product.code);

    expect(await client.json()).toMatchObject({ product: after });
  });

  it('pushes a change once when the same event comes twice', async () => {
    const product = products[2] as Product;
    const client = await watch(product);
    const after = api.reprice(product.code, 222_222);

    publish(after, product.code);
    publish(after, product.code);
    await client.json();
    await sleep(200);

    expect(client.rest()).toEqual([]);
  });

  it('skips event bodies that are not products and keeps going', async () => {
    const product = products[3] as Product;
    const client = await watch(product);

    publish('not json', product.code);
    publish({ code: product.code }, product.code);
    const after = api.reprice(product.code, 333_333);
    publish(after, product.code);

    expect(await client.json()).toMatchObject({ product: after });
    const ignored = logger.entries.filter(
      (entry) => entry.msg === 'event ignored',
    );
    expect(ignored.map((entry) => entry.reason)).toEqual(
      expect.arrayContaining(['not JSON', 'not a product']),
    );
  });

  it.each([
    [
      'a price that is not a price',
      { selling_price: 'abc' },
      'bad selling_price',
    ],
    ['a negative price', { buying_price: '-5.00' }, 'bad buying_price'],
    ['a time that is not a time', { update_at: 'soon' }, 'bad update_at'],
    [
      'an update_at far in the future',
      { update_at: '2100-01-01T00:00:00.000000+00:00' },
      'update_at in the future',
    ],
    [
      'a description longer than the API allows',
      { description: 'x'.repeat(1000) },
      'description too long',
    ],
    [
      'a body over the size limit',
      { description: 'y'.repeat(5000) },
      'too large',
    ],
  ])(
    'ignores an event with %s and keeps pushing real changes',
    async (_name, patch, reason) => {
      const product = products[6] as Product;
      const client = await watch(product);

      publish({ ...product, selling_price: '0.01', ...patch }, product.code);
      const after = api.reprice(product.code, 777_000 + reason.length);
      publish(after, product.code);

      expect(await client.json()).toMatchObject({ product: after });
      client.destroy();
      const ignored = logger.entries.filter(
        (entry) => entry.msg === 'event ignored',
      );
      expect(ignored.map((entry) => entry.reason)).toContain(reason);
    },
  );

  it('ignores an event whose routing key names another code', async () => {
    const product = products[7] as Product;
    const other = products[0] as Product;
    const client = await watch(product);

    publish({ ...product, selling_price: '0.01' }, other.code);
    const after = api.reprice(product.code, 888_000);
    publish(after, product.code);

    expect(await client.json()).toMatchObject({ product: after });
    client.destroy();
  });
});

describe('the socket server without a broker', () => {
  it('starts, says so, and serves watches by polling', async () => {
    const logger = memoryLogger();
    const product = makeProduct(400);
    const api = await startTestApi([product]);
    const server = await startSocketServer({
      host: '127.0.0.1',
      port: 0,
      apiUrl: api.url,
      pollIntervalMs: 50,
      amqpUrl: 'amqp://guest:guest@127.0.0.1:1',
      eventsRetryMs: 20,
      logger,
    });
    const client = await RawClient.open(server.port);
    client.write(`{"id":1,"op":"watch","codes":["${product.code}"]}\n`);
    await client.json();

    const after = api.reprice(product.code, 444_444);
    const update = await client.json();

    client.destroy();
    await server.close();
    await api.close();
    expect(update.product).toEqual(after);
    const warned = logger.entries.filter(
      (entry) => entry.msg === 'events unavailable, polling only',
    );
    expect(warned).toHaveLength(1);
  });
});

describe('the socket server when the broker connection drops', () => {
  it('subscribes again and keeps the fast path', async () => {
    const names = uniqueAmqpNames();
    const logger = memoryLogger();
    const product = makeProduct(410);
    const api = await startTestApi([product]);
    const proxy = await startTcpProxy(
      '127.0.0.1',
      Number(new URL(AMQP_URL).port || 5672),
    );
    const server = await startSocketServer({
      host: '127.0.0.1',
      port: 0,
      apiUrl: api.url,
      pollIntervalMs: POLL_MS,
      amqpUrl: proxy.url('amqp', 'guest:guest'),
      eventsExchange: names.eventsExchange,
      eventsRetryMs: 50,
      logger,
    });
    const connection = await amqp.connect(AMQP_URL);
    const channel = await connection.createChannel();
    const client = await RawClient.open(server.port);
    client.write(`{"id":1,"op":"watch","codes":["${product.code}"]}\n`);
    await client.json();
    const subscribed = () =>
      logger.entries.filter((entry) => entry.msg === 'events subscribed');

    proxy.cut();
    await waitFor(() => subscribed().length === 2);
    const after = api.reprice(product.code, 555_555);
    channel.publish(
      names.eventsExchange,
      `${names.eventRoutingPrefix}${product.code}`,
      Buffer.from(JSON.stringify(after)),
    );
    const update = await client.json();

    client.destroy();
    await server.close();
    await proxy.stop();
    await channel.deleteExchange(names.eventsExchange);
    await connection.close();
    await api.close();
    expect(update.product).toEqual(after);
    const lost = logger.entries.filter(
      (entry) => entry.msg === 'events connection lost',
    );
    expect(lost).toHaveLength(1);
  });
});

describe('the socket server whose port is taken', () => {
  it('fails to start and leaves no broker connection open', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) =>
      taken.listen(0, '127.0.0.1', () => resolve()),
    );
    const port = (taken.address() as AddressInfo).port;
    const proxy = await startTcpProxy('127.0.0.1', 5672);
    const api = await startTestApi([makeProduct(500)]);

    const starting = startSocketServer({
      host: '127.0.0.1',
      port,
      apiUrl: api.url,
      pollIntervalMs: 50,
      amqpUrl: proxy.url('amqp', 'guest:guest'),
      eventsExchange: uniqueAmqpNames().eventsExchange,
      logger: memoryLogger(),
    });

    await expect(starting).rejects.toThrow(/EADDRINUSE/);
    await sleep(300);
    expect(proxy.connections()).toBeGreaterThan(0);
    expect(proxy.cut()).toBe(0);
    await proxy.stop();
    await api.close();
    await new Promise<void>((resolve) => taken.close(() => resolve()));
  });
});
