/**
 * End to end: the whole local stack on free ports with a fast schedule,
 * read and watched over real TCP, as a person would with the client.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createConnection } from 'node:net';
import { promisify } from 'node:util';
import { parseSchedule } from '../config/schedule.js';
import { memoryLogger } from '../functions/shared/logger.js';
import { multiplyCents, parseCents, parseFactor } from '../protocol/money.js';
import { isProduct, type Product } from '../protocol/product.js';
import { deleteAmqpNames, uniqueAmqpNames } from '../test/rabbit.js';
import type { LocalConfig } from './config.js';
import { type LocalStack, startLocalStack } from './stack.js';

const run = promisify(execFile);
const TWO_DECIMALS = /^\d+\.\d{2}$/;

function config(overrides: Partial<LocalConfig> = {}): LocalConfig {
  return {
    apiPort: 0,
    socketHost: '127.0.0.1',
    socketPort: 0,
    pollIntervalMs: 200,
    schedule: parseSchedule('rate(2 seconds)'),
    priceFactor: '1.10',
    seedProducts: 45,
    table: `products-e2e-${process.pid}`,
    amqpUrl: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    ...overrides,
  };
}

/** Runs the client CLI as a person would, and returns its output. */
async function client(port: number, ...args: string[]) {
  return run(
    'npx',
    ['tsx', 'socket-tier/client/main.ts', ...args, '--port', String(port)],
    { timeout: 60_000 },
  );
}

/** Sends one request in the older text protocol; returns the first line. */
async function legacyRequest(port: number, request: string): Promise<string> {
  const socket = createConnection({ port, host: '127.0.0.1' });
  await once(socket, 'connect');
  socket.write(request);
  let received = '';
  for await (const chunk of socket) {
    received += String(chunk);
    if (received.includes('\n')) break;
  }
  socket.destroy();

  return received.slice(0, received.indexOf('\n'));
}

function jsonLines(stdout: string): unknown[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as unknown);
}

describe('the local stack, end to end over real RabbitMQ', () => {
  const names = uniqueAmqpNames();
  const logger = memoryLogger();
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack(config(), logger, names);
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await deleteAmqpNames(names);
  });

  it('runs the price task through RabbitMQ', () => {
    expect(stack.broker).toBe(true);
  });

  it('lists the first page of 30 products in the framed protocol', async () => {
    const { stdout } = await client(stack.socketPort, 'list', '--json');

    const [page] = jsonLines(stdout) as {
      count: number;
      results: Product[];
    }[];
    expect(page?.count).toBe(45);
    expect(page?.results).toHaveLength(30);
    for (const product of page?.results ?? []) {
      expect(product.selling_price).toMatch(TWO_DECIMALS);
      expect(product.buying_price).toMatch(TWO_DECIMALS);
    }
  });

  it('lists the first page of 30 products in the older text protocol', async () => {
    const line = await legacyRequest(stack.socketPort, 'GET+PRODUCTS+{}+');

    expect(line.startsWith('LIST+PRODUCTS+')).toBe(true);
    const results = JSON.parse(
      line.slice('LIST+PRODUCTS+'.length),
    ) as unknown[];
    expect(results).toHaveLength(30);
    expect(results.every(isProduct)).toBe(true);
  });

  it('pushes a watched product its next price: old price x 1.10, half up', async () => {
    const { stdout: listed } = await client(stack.socketPort, 'list', '--json');
    const code = (jsonLines(listed)[0] as { results: Product[] }).results[0]
      ?.code as string;

    const { stdout } = await client(
      stack.socketPort,
      'watch',
      code,
      '--max-updates',
      '1',
      '--json',
    );

    const states = jsonLines(stdout) as Product[];
    expect(states).toHaveLength(2);
    const [first, next] = states as [Product, Product];
    expect(next.code).toBe(code);
    const expected = multiplyCents(
      parseCents(first.selling_price) as number,
      parseFactor('1.10'),
    );
    expect(parseCents(next.selling_price)).toBe(expected);
    expect(next.selling_price).toMatch(TWO_DECIMALS);
    expect(next.update_at).not.toBe(first.update_at);
  }, 60_000);
});

describe('the local stack without RabbitMQ', () => {
  const logger = memoryLogger();
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack(
      config({
        amqpUrl: 'amqp://guest:guest@127.0.0.1:1',
        table: `products-e2e-nobroker-${process.pid}`,
        seedProducts: 3,
      }),
      logger,
    );
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('says so in one warning and still applies ticks in process', async () => {
    const { stdout } = await client(stack.socketPort, 'list', '--json');
    const [product] = (jsonLines(stdout)[0] as { results: Product[] }).results;

    const { stdout: watched } = await client(
      stack.socketPort,
      'watch',
      product?.code as string,
      '--max-updates',
      '1',
      '--json',
    );

    const warnings = logger.entries.filter((entry) => entry.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0]?.msg)).toMatch(/RabbitMQ/);
    expect(jsonLines(watched)).toHaveLength(2);
  }, 60_000);
});
