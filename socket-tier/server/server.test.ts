/**
 * The socket server over real TCP on 127.0.0.1, in both protocols,
 * against a real HTTP products API on 127.0.0.1 that the tests steer.
 */
import { memoryLogger } from '../../functions/shared/logger.js';
import type { Product } from '../../protocol/index.js';
import {
  makeProduct,
  startTestApi,
  type TestApi,
} from '../testing/products-api.js';
import { RawClient, sleep, waitFor } from '../testing/raw-client.js';
import { type SocketServer, startSocketServer } from './server.js';

const POLL_MS = 100;

describe('the socket server', () => {
  let api: TestApi;
  let server: SocketServer;
  const clients: RawClient[] = [];
  const products = Array.from({ length: 45 }, (_, index) => makeProduct(index));
  const code = (index: number) => (products[index] as Product).code;

  const open = async () => {
    const client = await RawClient.open(server.port);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    api = await startTestApi(products);
    server = await startSocketServer({
      host: '127.0.0.1',
      port: 0,
      apiUrl: api.url,
      pollIntervalMs: POLL_MS,
      logger: memoryLogger(),
    });
  });

  afterEach(() => {
    for (const client of clients.splice(0)) client.destroy();
    api.down = false;
  });

  afterAll(async () => {
    await server.close();
    await api.close();
  });

  describe('in the framed protocol', () => {
    it('answers a ping with a pong carrying its id', async () => {
      const client = await open();

      client.write('{"id":"p1","op":"ping"}\n');

      expect(await client.json()).toEqual({ id: 'p1', type: 'pong' });
    });

    it('answers list with the first page of 30', async () => {
      const client = await open();

      client.write('{"id":1,"op":"list"}\n');

      const page = await client.json();
      expect(page).toMatchObject({ id: 1, type: 'page', count: 45 });
      expect(page.results).toEqual([...api.products.values()].slice(0, 30));
      expect(page.previous).toBeNull();
      expect(String(page.next)).toContain('offset=30');
    });

    it('passes limit and offset of a list query to the API', async () => {
      const client = await open();

      client.write('{"id":1,"op":"list","query":{"limit":5,"offset":40}}\n');

      const page = await client.json();
      expect(page.results).toEqual([...api.products.values()].slice(40, 45));
    });

    it('answers get with the product', async () => {
      const client = await open();

      client.write(`{"id":2,"op":"get","code":"${code(3)}"}\n`);

      expect(await client.json()).toEqual({
        id: 2,
        type: 'product',
        product: api.products.get(code(3)),
      });
    });

    it('answers get of an unknown code with not_found', async () => {
      const client = await open();

      client.write('{"id":2,"op":"get","code":"NOSUCHCODE"}\n');

      expect(await client.json()).toMatchObject({
        id: 2,
        type: 'error',
        error: { code: 'not_found' },
      });
    });

    it('answers a watch at once, then pushes each change with its fields', async () => {
      const client = await open();
      client.write(`{"id":3,"op":"watch","codes":["${code(5)}"]}\n`);
      const first = await client.json();

      const after = api.reprice(code(5), 222_222);

      expect(first).toEqual({
        id: 3,
        type: 'product',
        product: products[5],
      });
      expect(await client.json()).toEqual({
        type: 'update',
        product: after,
        changed: ['selling_price', 'update_at'],
      });
    });

    it('watches several codes on one connection', async () => {
      const client = await open();

      client.write(
        `{"id":4,"op":"watch","codes":["${code(6)}","${code(7)}"]}\n`,
      );

      const answers = [await client.json(), await client.json()];
      const codes = answers.map((answer) => (answer.product as Product).code);
      expect(codes.sort()).toEqual([code(6), code(7)]);
    });

    it('pushes nothing while the product does not change', async () => {
      const client = await open();
      client.write(`{"id":1,"op":"watch","codes":["${code(8)}"]}\n`);
      await client.json();

      await sleep(POLL_MS * 4);
      client.write('{"id":2,"op":"ping"}\n');

      expect(await client.json()).toEqual({ id: 2, type: 'pong' });
    });

    it('stops pushing a product after unwatch', async () => {
      const client = await open();
      client.write(`{"id":1,"op":"watch","codes":["${code(9)}"]}\n`);
      await client.json();
      client.write(`{"id":2,"op":"unwatch","codes":["${code(9)}"]}\n`);
      expect(await client.json()).toEqual({ id: 2, type: 'ok' });

      api.reprice(code(9), 333_333);
      await sleep(POLL_MS * 4);
      client.write('{"id":3,"op":"ping"}\n');

      expect(await client.json()).toEqual({ id: 3, type: 'pong' });
    });

    it('polls a code once per interval whatever the number of watchers', async () => {
      const watchers = await Promise.all(
        Array.from({ length: 20 }, () => open()),
      );
      for (const watcher of watchers) {
        watcher.write(`{"id":1,"op":"watch","codes":["${code(10)}"]}\n`);
      }
      await Promise.all(watchers.map((watcher) => watcher.json()));
      const before = api.gets.get(code(10)) ?? 0;
      const notModified = api.notModified;

      await sleep(POLL_MS * 10);

      const polls = (api.gets.get(code(10)) ?? 0) - before;
      expect(polls).toBeGreaterThanOrEqual(5);
      expect(polls).toBeLessThanOrEqual(12);
      expect(api.notModified - notModified).toBeGreaterThanOrEqual(polls - 1);
    });

    it('tells every watcher of one change once', async () => {
      const watchers = await Promise.all(
        Array.from({ length: 5 }, () => open()),
      );
      for (const watcher of watchers) {
        watcher.write(`{"id":1,"op":"watch","codes":["${code(11)}"]}\n`);
      }
      await Promise.all(watchers.map((watcher) => watcher.json()));

      const after = api.reprice(code(11), 444_444);
      const updates = await Promise.all(
        watchers.map((watcher) => watcher.json()),
      );
      await sleep(POLL_MS * 3);

      for (const update of updates) expect(update.product).toEqual(after);
      for (const watcher of watchers) expect(watcher.rest()).toEqual([]);
    });
  });

  describe('in the older text protocol', () => {
    it('answers PRODUCTS with the page results, then closes', async () => {
      const client = await open();

      client.write('GET+PRODUCTS+{}+');

      const line = await client.line();
      expect(line.startsWith('LIST+PRODUCTS+')).toBe(true);
      const results = JSON.parse(line.slice('LIST+PRODUCTS+'.length));
      expect(results).toEqual([...api.products.values()].slice(0, 30));
      await client.closed();
    });

    it('passes QUERY to the API unchanged', async () => {
      const client = await open();

      client.write('GET+PRODUCTS+{}+limit=2&offset=1\n');

      const line = await client.line();
      const results = JSON.parse(line.slice('LIST+PRODUCTS+'.length));
      expect(results).toEqual([...api.products.values()].slice(1, 3));
    });

    it('answers PRODUCT at once and pushes each change', async () => {
      const client = await open();
      client.write(`GET+PRODUCT+{"code": "${code(12)}"}+`);
      const first = await client.line();

      const after = api.reprice(code(12), 555_555);

      expect(first).toBe(`JSON+PRODUCT+${JSON.stringify(products[12])}`);
      expect(await client.line()).toBe(`JSON+PRODUCT+${JSON.stringify(after)}`);
    });

    it('ignores the request written again before every read', async () => {
      const client = await open();
      const request = `GET+PRODUCT+{"code": "${code(13)}"}+`;
      client.write(request);
      await client.line();

      for (let i = 0; i < 5; i += 1) {
        client.write(request);
        await sleep(POLL_MS / 2);
      }
      const after = api.reprice(code(13), 666_666);

      expect(await client.line()).toBe(`JSON+PRODUCT+${JSON.stringify(after)}`);
      await sleep(POLL_MS * 3);
      expect(client.rest()).toEqual([]);
      expect(client.ended).toBe(false);
    });

    it('reads a request sent one byte at a time, slower than its quiet time', async () => {
      const client = await open();

      for (const byte of `GET+PRODUCT+{"code": "${code(14)}"}+\n`) {
        client.write(byte);
        await sleep(30);
      }

      expect(await client.line()).toBe(
        `JSON+PRODUCT+${JSON.stringify(products[14])}`,
      );
    });

    it('answers an unknown code with one ERROR line and closes', async () => {
      const client = await open();

      client.write('GET+PRODUCT+{"code": "NOSUCHCODE"}+');

      expect(await client.line()).toBe('ERROR+PRODUCT+{"detail":"Not found."}');
      await client.closed();
    });

    it('refuses a verb other than GET', async () => {
      const client = await open();

      client.write('POST+PRODUCTS+{}+');

      expect(await client.line()).toBe(
        'ERROR+PRODUCTS+{"detail":"method POST is not allowed"}',
      );
      await client.closed();
    });
  });
});

describe('the socket server when the API is down or slow', () => {
  let api: TestApi;
  let server: SocketServer;
  const logger = memoryLogger();
  const products = Array.from({ length: 4 }, (_, index) =>
    makeProduct(700 + index),
  );
  const code = (index: number) => (products[index] as Product).code;

  beforeAll(async () => {
    api = await startTestApi(products);
    server = await startSocketServer({
      host: '127.0.0.1',
      port: 0,
      apiUrl: api.url,
      pollIntervalMs: 50,
      upstreamTimeoutMs: 300,
      logger,
    });
  });

  afterEach(() => {
    api.down = false;
    api.delayMs = 0;
  });

  afterAll(async () => {
    await server.close();
    await api.close();
  });

  it('tells watchers once, then resumes the watch by itself', async () => {
    const client = await RawClient.open(server.port);
    client.write(`{"id":1,"op":"watch","codes":["${code(0)}"]}\n`);
    await client.json();

    api.down = true;
    const error = await client.json();
    await sleep(300);
    const during = client.rest();
    api.down = false;
    const after = api.reprice(code(0), 123_456);
    const update = await client.json();

    client.destroy();
    expect(error).toEqual({
      id: null,
      type: 'error',
      error: {
        code: 'upstream',
        message: 'the products API is unavailable',
        product: code(0),
      },
    });
    expect(during).toEqual([]);
    expect(update).toMatchObject({ type: 'update', product: after });
    const messages = logger.entries.map((entry) => entry.msg);
    expect(messages).toEqual(
      expect.arrayContaining(['upstream failing', 'upstream back']),
    );
  });

  it('answers a watch made while the API is down, then the product', async () => {
    api.down = true;
    const client = await RawClient.open(server.port);
    client.write(`{"id":9,"op":"watch","codes":["${code(1)}"]}\n`);
    const error = await client.json();

    api.down = false;
    const update = await client.json();

    client.destroy();
    expect(error).toMatchObject({ id: 9, error: { code: 'upstream' } });
    expect(update).toEqual({
      type: 'update',
      product: products[1],
      changed: [
        'code',
        'buying_price',
        'selling_price',
        'description',
        'created_at',
        'update_at',
      ],
    });
  });

  it.each([
    ['down', () => (api.down = true)],
    ['slower than the timeout', () => (api.delayMs = 1000)],
  ])(
    'answers list and get with upstream when the API is %s',
    async (_name, breakApi) => {
      const client = await RawClient.open(server.port);
      breakApi();

      client.write('{"id":1,"op":"list"}\n');
      client.write(`{"id":2,"op":"get","code":"${code(2)}"}\n`);
      const answers = [await client.json(), await client.json()];

      client.destroy();
      for (const id of [1, 2]) {
        expect(answers).toContainEqual({
          id,
          type: 'error',
          error: {
            code: 'upstream',
            message: 'the products API is unavailable',
          },
        });
      }
    },
  );

  it('answers a list the API refuses with bad_request and its reason', async () => {
    const client = await RawClient.open(server.port);

    client.write('{"id":1,"op":"list","query":{"selling_price":"abc"}}\n');

    expect(await client.json()).toEqual({
      id: 1,
      type: 'error',
      error: { code: 'bad_request', message: 'selling_price: Enter a number.' },
    });
    client.destroy();
  });
});

describe('the socket server with a client that does not read', () => {
  it('keeps one waiting state per code and serves others at full speed', async () => {
    const big = { ...makeProduct(800), description: 'd'.repeat(40_000) };
    const api = await startTestApi([big]);
    const server = await startSocketServer({
      host: '127.0.0.1',
      port: 0,
      apiUrl: api.url,
      pollIntervalMs: 5,
      logger: memoryLogger(),
    });
    const watch = `{"id":1,"op":"watch","codes":["${big.code}"]}\n`;
    const slow = await RawClient.open(server.port);
    const fast = await RawClient.open(server.port);
    slow.write(watch);
    fast.write(watch);
    await slow.json();
    await fast.json();
    slow.socket.pause();

    let last = big;
    const changes = 300;
    let fastSeen = 0;
    let peakStates = 0;
    let peakBytes = 0;
    for (let change = 1; change <= changes; change += 1) {
      last = api.reprice(big.code, 200_000 + change);
      await waitFor(() => {
        while (fast.rest().length > 0) {
          const update = JSON.parse(fast.rest()[0] as string);
          fast.line();
          fastSeen += 1;
          if (update.product.update_at === last.update_at) return true;
        }
        return false;
      });
      const stats = server.stats();
      peakStates = Math.max(peakStates, stats.maxQueuedStates);
      peakBytes = Math.max(peakBytes, stats.bufferedBytes);
    }
    slow.socket.resume();
    const slowStates: Product[] = [];
    await waitFor(() => {
      while (slow.rest().length > 0) {
        slowStates.push(JSON.parse(slow.rest()[0] as string).product);
        slow.line();
      }
      return slowStates.at(-1)?.update_at === last.update_at;
    });

    slow.destroy();
    fast.destroy();
    await server.close();
    await api.close();
    expect(fastSeen).toBe(changes);
    expect(peakStates).toBe(1);
    expect(peakBytes).toBeLessThan(256 * 1024);
    expect(slowStates.length).toBeLessThan(changes);
    expect(slowStates.at(-1)).toEqual(last);
  }, 60_000);
});

describe('the socket server shutting down', () => {
  it('says bye to framed clients, closes the others, and ends soon', async () => {
    const product = makeProduct(900);
    const api = await startTestApi([product]);
    const server = await startSocketServer({
      host: '127.0.0.1',
      port: 0,
      apiUrl: api.url,
      pollIntervalMs: 50,
      logger: memoryLogger(),
    });
    const framed = await RawClient.open(server.port);
    const legacy = await RawClient.open(server.port);
    const silent = await RawClient.open(server.port);
    framed.write(`{"id":1,"op":"watch","codes":["${product.code}"]}\n`);
    legacy.write(`GET+PRODUCT+{"code": "${product.code}"}+`);
    await framed.json();
    await legacy.line();
    silent.socket.pause();

    const started = Date.now();
    await server.close();
    const took = Date.now() - started;

    await framed.closed();
    await legacy.closed();
    expect(await framed.json()).toEqual({ type: 'bye', reason: 'shutdown' });
    expect(legacy.rest()).toEqual([]);
    expect(took).toBeLessThan(5000);
    silent.destroy();
    await api.close();
  });
});
