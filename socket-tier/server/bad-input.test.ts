import fc from 'fast-check';
/**
 * Bad input over real TCP: each gets its clear error or is closed, and
 * the server keeps serving everyone else.
 */

import { once } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import { memoryLogger } from '../../functions/shared/logger.js';
import type { Product } from '../../protocol/index.js';
import {
  makeProduct,
  startTestApi,
  type TestApi,
} from '../testing/products-api.js';
import { RawClient, sleep, waitFor } from '../testing/raw-client.js';
import { type SocketServer, startSocketServer } from './server.js';

const FIRST_REQUEST_MS = 600;
const IDLE_MS = 900;

describe('the socket server given bad input', () => {
  let api: TestApi;
  let server: SocketServer;
  const clients: RawClient[] = [];
  const products = Array.from({ length: 5 }, (_, index) =>
    makeProduct(500 + index),
  );
  const code = (index: number) => (products[index] as Product).code;

  const open = async () => {
    const client = await RawClient.open(server.port);
    clients.push(client);
    return client;
  };

  /** The server still answers a fresh client. */
  const stillServes = async () => {
    const client = await open();
    client.write('{"id":"alive","op":"ping"}\n');
    expect(await client.json()).toEqual({ id: 'alive', type: 'pong' });
  };

  beforeAll(async () => {
    api = await startTestApi(products);
    server = await startSocketServer({
      host: '127.0.0.1',
      port: 0,
      apiUrl: api.url,
      pollIntervalMs: 20,
      logger: memoryLogger(),
      firstRequestMs: FIRST_REQUEST_MS,
      idleMs: IDLE_MS,
      maxConnectionsPerAddress: 1100,
    });
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
  });

  afterAll(async () => {
    await server.close();
    await api.close();
  });

  it.each([
    ['garbage bytes', Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x0a])],
    ['an empty request', Buffer.from('\n')],
    ['words that are no request', Buffer.from('hello there\n')],
  ])('answers %s with one ERROR line and closes', async (_name, bytes) => {
    const client = await open();

    client.write(bytes);

    expect(await client.line()).toMatch(/^ERROR\+-\+\{"detail":".+"\}$/);
    await client.closed();
    await stillServes();
  });

  it('closes a connection that sends no request in time', async () => {
    const client = await open();

    await client.closed(FIRST_REQUEST_MS + 2000);

    expect(client.received).toBe(
      `ERROR+-+{"detail":"no request within ${FIRST_REQUEST_MS} ms"}\n`,
    );
  });

  it('refuses a 1 MB framed line with no newline and closes', async () => {
    const client = await open();

    client.write(`{"id":1,"op":"${'x'.repeat(1024 * 1024)}`);

    expect(await client.json()).toEqual({
      id: null,
      type: 'error',
      error: { code: 'limit', message: 'line longer than 65536 bytes' },
    });
    await client.closed();
    await stillServes();
  });

  it('refuses a 1 MB older request with no newline and closes', async () => {
    const client = await open();

    client.write(`GET+PRODUCT+{"code": "${'x'.repeat(1024 * 1024)}`);

    expect(await client.line()).toBe(
      'ERROR+PRODUCT+{"detail":"request longer than 8192 bytes"}',
    );
    await client.closed();
  });

  it('reads a framed request sent one byte at a time', async () => {
    const client = await open();

    for (const byte of Buffer.from('{"id":7,"op":"ping"}\n')) {
      client.write(Buffer.from([byte]));
      await sleep(1);
    }

    expect(await client.json()).toEqual({ id: 7, type: 'pong' });
  });

  it('keeps + inside the JSON of an older request', async () => {
    const client = await open();

    client.write(`GET+PRODUCT+{"code": "${code(0)}", "note": "a+b+c"}+x=1+2`);

    expect(await client.line()).toBe(
      `JSON+PRODUCT+${JSON.stringify(products[0])}`,
    );
  });

  it.each([
    ['an unknown op', '{"id":1,"op":"dance"}', 1, 'unknown op: dance'],
    ['invalid JSON', '{"id":1,"op":', null, 'line is not JSON'],
    [
      'a JSON array',
      '{"id":0,"op":"ping"}\n[1]',
      null,
      'line is not an object',
    ],
    [
      'a get without code',
      '{"id":"g","op":"get"}',
      'g',
      'code must be a product code',
    ],
  ])(
    'answers %s with bad_request and keeps the connection',
    async (_name, line, id, message) => {
      const client = await open();

      client.write(`${line}\n{"id":"next","op":"ping"}\n`);

      const lines = [await client.json()];
      while (lines.at(-1)?.id !== 'next') lines.push(await client.json());
      expect(lines).toContainEqual({
        id,
        type: 'error',
        error: { code: 'bad_request', message },
      });
      expect(lines.at(-1)).toEqual({ id: 'next', type: 'pong' });
    },
  );

  it.each([
    [
      'an unknown kind',
      'GET+THINGS+{}+',
      'ERROR+THINGS+{"detail":"unknown KIND THINGS"}',
    ],
    [
      'a lower-case kind',
      'GET+product+{}+',
      'ERROR+product+{"detail":"unknown KIND product"}',
    ],
    [
      'PRODUCT without a code',
      'GET+PRODUCT+{}+',
      'ERROR+PRODUCT+{"detail":"PATH needs a product code: {\\"code\\": \\"...\\"}"}',
    ],
  ])(
    'answers %s in the older protocol with an ERROR line',
    async (_name, request, answer) => {
      const client = await open();

      client.write(request);

      expect(await client.line()).toBe(answer);
      await client.closed();
    },
  );

  it('refuses a watch of 10,000 codes, which cannot fit one line', async () => {
    const client = await open();
    const codes = Array.from({ length: 10_000 }, (_, i) => `CODE${i}`);

    client.write(`${JSON.stringify({ id: 1, op: 'watch', codes })}\n`);

    expect(await client.json()).toMatchObject({
      type: 'error',
      error: { code: 'limit' },
    });
    await client.closed();
    expect(server.stats().codes).toBeLessThan(100);
  });

  it('refuses a watch past the per-connection limit and stays open', async () => {
    const client = await open();
    const codes = Array.from({ length: 2000 }, (_, i) => `C${i}`);

    client.write(`${JSON.stringify({ id: 1, op: 'watch', codes })}\n`);
    client.write('{"id":2,"op":"ping"}\n');

    expect(await client.json()).toEqual({
      id: 1,
      type: 'error',
      error: { code: 'limit', message: 'at most 1000 watches per connection' },
    });
    expect(await client.json()).toEqual({ id: 2, type: 'pong' });
  });

  it('closes 1,000 silent connections and serves others meanwhile', async () => {
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 1000; i += 1) {
        const socket = createConnection({
          host: '127.0.0.1',
          port: server.port,
        });
        socket.on('error', () => {});
        socket.resume();
        sockets.push(socket);
      }
      await Promise.all(sockets.map((socket) => once(socket, 'connect')));

      await stillServes();
      await Promise.all(
        sockets.map((socket) => (socket.closed ? null : once(socket, 'close'))),
      );

      await waitFor(() => server.stats().connections <= clients.length);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  }, 20_000);

  it('keeps serving when watchers vanish mid-push', async () => {
    const product = products[1] as Product;
    const watchers = await Promise.all(
      Array.from({ length: 50 }, () => open()),
    );
    for (const watcher of watchers) {
      watcher.write(`{"id":1,"op":"watch","codes":["${product.code}"]}\n`);
    }
    await Promise.all(watchers.map((watcher) => watcher.json()));

    for (let round = 0; round < 10; round += 1) {
      api.reprice(product.code, 100_000 + round);
      await sleep(5);
      for (const watcher of watchers.slice(round * 5, round * 5 + 5)) {
        watcher.socket.resetAndDestroy();
      }
    }
    await sleep(100);

    await stillServes();
    expect(server.stats().watchers).toBe(0);
  });

  it('survives random bytes in either protocol', async () => {
    const input = fc.oneof(
      fc
        .uint8Array({ minLength: 1, maxLength: 300 })
        .map((bytes) => Buffer.from(bytes)),
      fc
        .uint8Array({ maxLength: 300 })
        .map((bytes) => Buffer.concat([Buffer.from('{'), bytes])),
      fc
        .string({ maxLength: 200 })
        .map((text) => Buffer.from(`GET+PRODUCT+${text}`)),
      fc.json().map((json) => Buffer.from(`${json}\n`)),
    );

    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        const client = await open();
        client.write(bytes);
        await sleep(10);
        client.destroy();
      }),
      { numRuns: 60 },
    );

    await stillServes();
  });

  it('closes an idle connection with a limit error', async () => {
    const client = await open();
    client.write('{"id":1,"op":"ping"}\n');
    await client.json();

    await client.closed(IDLE_MS + 2000);

    expect(client.rest().map((line) => JSON.parse(line))).toEqual([
      {
        id: null,
        type: 'error',
        error: { code: 'limit', message: `idle for ${IDLE_MS} ms` },
      },
    ]);
  });

  it('keeps a watching connection open past the idle time', async () => {
    const client = await open();
    client.write(`{"id":1,"op":"watch","codes":["${code(2)}"]}\n`);
    await client.json();

    await sleep(IDLE_MS + 300);

    expect(client.ended).toBe(false);
  });
});

describe('the socket server at its connection limits', () => {
  it.each([
    ['in all', { maxConnections: 2 }, 'too many connections'],
    [
      'per address',
      { maxConnectionsPerAddress: 2 },
      'too many connections from you',
    ],
  ])(
    'refuses a connection past the limit %s',
    async (_name, limits, message) => {
      const api = await startTestApi([]);
      const server = await startSocketServer({
        host: '127.0.0.1',
        port: 0,
        apiUrl: api.url,
        pollIntervalMs: 1000,
        logger: memoryLogger(),
        ...limits,
      });
      const first = await RawClient.open(server.port);
      const second = await RawClient.open(server.port);
      const framed = await RawClient.open(server.port);
      const legacy = await RawClient.open(server.port);

      framed.write('{"id":1,"op":"ping"}\n');
      legacy.write('GET+PRODUCTS+{}+');
      first.write('{"id":1,"op":"ping"}\n');

      expect(await framed.json()).toEqual({
        id: null,
        type: 'error',
        error: { code: 'limit', message },
      });
      expect(await legacy.line()).toBe(`ERROR+-+{"detail":"${message}"}`);
      expect(await first.json()).toEqual({ id: 1, type: 'pong' });
      for (const client of [first, second, framed, legacy]) client.destroy();
      await server.close();
      await api.close();
    },
  );
});
