/**
 * The price task chain under faults, on a real RabbitMQ, dynalite and
 * fauxqs: connections cut, the broker or DynamoDB unreachable, a worker
 * killed mid-tick. Each test counts, per product, how many ticks changed
 * its price, and expects exactly the ticks emitted.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { jest } from '@jest/globals';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { startFauxqs } from 'fauxqs';
import { type AmqpNames, MAX_TICK_RECEIVES } from '../../config/topology.js';
import { scheduledEvent, sendToQueue } from '../../local/scheduler.js';
import { startSqsPoller } from '../../local/sqs-poller.js';
import { multiplyCents, parseFactor } from '../../protocol/money.js';
import { startDynalite, type TestDynamo } from '../../test/dynalite.js';
import { products, tickTask, waitFor } from '../../test/price-chain.js';
import {
  AMQP_URL,
  deleteAmqpNames,
  uniqueAmqpNames,
} from '../../test/rabbit.js';
import { startTcpProxy, type TcpProxy } from '../../test/tcp-proxy.js';
import { AmqpTaskPublisher } from '../bridge/amqp-task-publisher.js';
import { createBridgeHandler } from '../bridge/bridge-handler.js';
import { assertTaskTopology } from '../shared/amqp.js';
import { type Fields, memoryLogger } from '../shared/logger.js';
import { DynamoProductStore } from '../store/dynamo-product-store.js';
import type { ProductRecord } from '../store/product-store.js';
import type { TickSummary } from './price-task.js';
import { startWorker } from './worker.js';

jest.setTimeout(60_000);

const FACTOR = parseFactor('1.10');
const FAST = { initialMs: 50, maxMs: 400 };

let dynamo: TestDynamo;
let store: DynamoProductStore;
let names: AmqpNames;
let connection: ChannelModel;
let channel: Channel;
const cleanups: (() => Promise<unknown> | unknown)[] = [];

beforeEach(async () => {
  dynamo = await startDynalite();
  store = new DynamoProductStore(dynamo.client, dynamo.table);
  names = uniqueAmqpNames();
  connection = await amqp.connect(AMQP_URL);
  channel = await connection.createChannel();
  await assertTaskTopology(channel, names);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await connection.close();
  await deleteAmqpNames(names);
  await dynamo.stop();
});

async function proxyTo(port: number): Promise<TcpProxy> {
  const proxy = await startTcpProxy('127.0.0.1', port);
  cleanups.push(() => proxy.stop());
  return proxy;
}

/** How many ticks changed each product: initial × factor^k = final. */
async function applications(seeded: ProductRecord[]): Promise<number[]> {
  const counts: number[] = [];
  for (const product of seeded) {
    const final = (await store.get(product.code))?.sellingCents;
    let cents = product.sellingCents;
    let k = 0;
    while (cents !== final && k < 100) {
      cents = multiplyCents(cents, FACTOR);
      k += 1;
    }
    counts.push(k);
  }
  return counts;
}

interface Tally {
  emitted: number;
  applied: number;
  doubled: number;
  lost: number;
}

function tally(emitted: number, counts: number[]): Tally {
  const tally = {
    emitted,
    applied: Math.min(...counts),
    doubled: counts.reduce((sum, k) => sum + Math.max(0, k - emitted), 0),
    lost: counts.reduce((sum, k) => sum + Math.max(0, emitted - k), 0),
  };
  console.log(`fault tally: ${JSON.stringify(tally)}`);
  return tally;
}

async function changedCount(seeded: ProductRecord[]): Promise<number> {
  return (await applications(seeded)).filter((k) => k > 0).length;
}

async function queueDepth(queue: string): Promise<number> {
  return (await channel.checkQueue(queue)).messageCount;
}

describe('price task chain under faults', () => {
  it('applies every tick once when broker connections are cut mid-run', async () => {
    const seeded = products(20);
    await store.putMany(seeded);
    const proxy = await proxyTo(5672);
    const url = proxy.url('amqp', 'guest:guest');
    const summaries: TickSummary[] = [];
    const worker = await startWorker({
      amqpUrl: url,
      names,
      store,
      logger: memoryLogger(),
      concurrency: 4,
      reconnect: FAST,
      onTick: (summary) => summaries.push(summary),
    });
    cleanups.push(() => worker.close());
    const publisher = new AmqpTaskPublisher({
      amqpUrl: url,
      names,
      attempts: 20,
      retryDelayMs: 50,
    });
    cleanups.push(() => publisher.close());
    const ticks = Array.from({ length: 9 }, () => tickTask());
    let cuts = 0;

    for (const [index, task] of ticks.entries()) {
      await publisher.publish(task);
      if (index % 3 === 2) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        cuts += proxy.cut() > 0 ? 1 : 0;
      }
    }
    await waitFor(
      () => {
        const done = new Set(summaries.map((s) => s.tick));
        return ticks.every((task) => done.has(task.tick)) ? true : undefined;
      },
      'every tick run',
      45_000,
    );
    await waitFor(
      async () =>
        (await queueDepth(names.tasksQueue)) === 0 ? true : undefined,
      'the tasks queue to drain',
    );

    const result = tally(ticks.length, await applications(seeded));
    expect(cuts).toBeGreaterThan(0);
    expect(result).toEqual({
      emitted: ticks.length,
      applied: ticks.length,
      doubled: 0,
      lost: 0,
    });
    const done = new Set(summaries.map((s) => s.tick));
    expect(ticks.every((task) => done.has(task.tick))).toBe(true);
  });

  /** fauxqs, a ticks queue with its DLQ, the bridge behind a proxy. */
  async function bridgeChain(logger = memoryLogger()) {
    const sqs = await startFauxqs({ port: 0, logger: false });
    const client = new SQSClient({
      endpoint: `http://127.0.0.1:${sqs.port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    cleanups.push(() => sqs.stop());
    cleanups.push(() => client.destroy());
    const suffix = randomUUID().slice(0, 8);
    const dlq = sqs.createQueue(`ticks-dlq-${suffix}`);
    const ticks = sqs.createQueue(`ticks-${suffix}`, {
      attributes: {
        VisibilityTimeout: '1',
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlq.queueArn,
          maxReceiveCount: MAX_TICK_RECEIVES,
        }),
      },
    });
    const proxy = await proxyTo(5672);
    const publisher = new AmqpTaskPublisher({
      amqpUrl: proxy.url('amqp', 'guest:guest'),
      names,
      attempts: 1,
    });
    cleanups.push(() => publisher.close());
    const poller = startSqsPoller({
      client,
      queueUrl: ticks.queueUrl,
      handler: createBridgeHandler({ publisher, factor: '1.10', logger }),
      logger,
      waitSeconds: 1,
    });
    cleanups.push(() => poller.stop());
    const inQueue = (name: string) => {
      const queue = sqs.inspectQueue(name);
      const { ready = [], inflight = [] } = queue?.messages ?? {};
      return ready.length + inflight.length;
    };
    return {
      proxy,
      logger,
      send: (at: Date) =>
        sendToQueue(client, ticks.queueUrl, scheduledEvent(at)),
      ticksInQueue: () => inQueue(ticks.queueName),
      ticksInDlq: () => inQueue(dlq.queueName),
      failedPublishes: () =>
        logger.entries.filter((e) => e.msg === 'task not published').length,
    };
  }

  it('keeps a tick in SQS while RabbitMQ is unreachable and applies it once back', async () => {
    const seeded = products(20);
    await store.putMany(seeded);
    const chain = await bridgeChain();
    await chain.proxy.down();
    const worker = await startWorker({
      amqpUrl: AMQP_URL,
      names,
      store,
      logger: chain.logger,
    });
    cleanups.push(() => worker.close());

    await chain.send(new Date());
    await waitFor(
      () => (chain.failedPublishes() >= 2 ? true : undefined),
      'two failed receives',
    );
    expect(chain.ticksInQueue()).toBe(1);
    expect(await changedCount(seeded)).toBe(0);
    await chain.proxy.up();
    await waitFor(
      async () =>
        (await changedCount(seeded)) === seeded.length ? true : undefined,
      'the tick applied',
    );
    await waitFor(
      () => (chain.ticksInQueue() === 0 ? true : undefined),
      'SQS to empty',
    );

    expect(tally(1, await applications(seeded))).toEqual({
      emitted: 1,
      applied: 1,
      doubled: 0,
      lost: 0,
    });
  });

  // SQS hands the held ticks back in no set order; each applies once.
  it('applies every tick held while RabbitMQ was unreachable exactly once', async () => {
    const seeded = products(10);
    await store.putMany(seeded);
    const chain = await bridgeChain();
    await chain.proxy.down();
    const summaries: TickSummary[] = [];
    const worker = await startWorker({
      amqpUrl: AMQP_URL,
      names,
      store,
      logger: chain.logger,
      onTick: (summary) => summaries.push(summary),
    });
    cleanups.push(() => worker.close());
    const first = Date.now() - 60_000;
    const emitted = 4;

    for (let i = 0; i < emitted; i++) {
      await chain.send(new Date(first + i * 1_000));
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    await waitFor(
      () => (chain.failedPublishes() >= emitted ? true : undefined),
      'every tick failed once',
    );
    await chain.proxy.up();
    await waitFor(
      () => (chain.ticksInQueue() === 0 ? true : undefined),
      'SQS to empty',
    );
    await waitFor(
      () => (summaries.length >= emitted ? true : undefined),
      'every tick run',
    );

    expect(chain.ticksInDlq()).toBe(0);
    expect(new Set(summaries.map((s) => s.tick)).size).toBe(emitted);
    expect(tally(emitted, await applications(seeded))).toEqual({
      emitted,
      applied: emitted,
      doubled: 0,
      lost: 0,
    });
  });

  it('starts while RabbitMQ is unreachable and consumes once it answers', async () => {
    const seeded = products(5);
    await store.putMany(seeded);
    const proxy = await proxyTo(5672);
    await proxy.down();
    const logger = memoryLogger();
    const worker = await startWorker({
      amqpUrl: proxy.url('amqp', 'guest:guest'),
      names,
      store,
      logger,
      reconnect: { initialMs: 100, maxMs: 800 },
    });
    cleanups.push(() => worker.close());

    await waitFor(
      () =>
        logger.entries.filter((e) => e.msg === 'broker unreachable').length >= 3
          ? true
          : undefined,
      'three failed connects',
    );
    await proxy.up();
    const publisher = new AmqpTaskPublisher({ amqpUrl: AMQP_URL, names });
    cleanups.push(() => publisher.close());
    await publisher.publish(tickTask());
    await waitFor(
      async () =>
        (await changedCount(seeded)) === seeded.length ? true : undefined,
      'the tick applied',
    );

    const delays = logger.entries
      .filter((e) => e.msg === 'broker unreachable')
      .map((e) => e.retryInMs as number);
    expect(delays[2]).toBeGreaterThan(delays[0] ?? 0);
  });

  it('retries a task while DynamoDB is unreachable and applies it once back', async () => {
    const seeded = products(10);
    await store.putMany(seeded);
    const proxy = await proxyTo(Number(new URL(dynamo.endpoint).port));
    const client = new DynamoDBClient({
      endpoint: proxy.url('http'),
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    cleanups.push(() => client.destroy());
    await proxy.down();
    const logger = memoryLogger();
    const worker = await startWorker({
      amqpUrl: AMQP_URL,
      names,
      store: new DynamoProductStore(client, dynamo.table),
      logger,
      retry: { initialMs: 500, maxMs: 500 },
    });
    cleanups.push(() => worker.close());
    const publisher = new AmqpTaskPublisher({ amqpUrl: AMQP_URL, names });
    cleanups.push(() => publisher.close());

    await publisher.publish(tickTask());
    await waitFor(
      () =>
        logger.entries.some((e) => e.msg === 'task failed, will retry')
          ? true
          : undefined,
      'a failed run',
    );
    await proxy.up();
    await waitFor(
      () =>
        logger.entries.some((e) => e.msg === 'tick applied') ? true : undefined,
      'the tick applied',
    );

    expect(tally(1, await applications(seeded))).toMatchObject({
      doubled: 0,
      lost: 0,
    });
    expect(await queueDepth(names.deadLetterQueue)).toBe(0);
  });

  it('dead-letters a task whose store keeps failing, then keeps consuming', async () => {
    const seeded = products(3);
    await store.putMany(seeded);
    const proxy = await proxyTo(Number(new URL(dynamo.endpoint).port));
    const client = new DynamoDBClient({
      endpoint: proxy.url('http'),
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    cleanups.push(() => client.destroy());
    await proxy.down();
    const logger = memoryLogger();
    const worker = await startWorker({
      amqpUrl: AMQP_URL,
      names,
      store: new DynamoProductStore(client, dynamo.table),
      logger,
      retry: { initialMs: 50, maxMs: 50 },
    });
    cleanups.push(() => worker.close());
    const publisher = new AmqpTaskPublisher({ amqpUrl: AMQP_URL, names });
    cleanups.push(() => publisher.close());
    const doomed = tickTask();

    await publisher.publish(doomed);
    await waitFor(
      async () =>
        (await queueDepth(names.deadLetterQueue)) === 1 ? true : undefined,
      'the dead letter',
    );
    await proxy.up();
    await publisher.publish(tickTask());
    await waitFor(
      () =>
        logger.entries.some((e) => e.msg === 'tick applied') ? true : undefined,
      'the next tick applied',
    );

    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        msg: 'task dead-lettered',
        tick: doomed.tick,
        attempts: 3,
      }),
    );
    expect(await applications(seeded)).toEqual([1, 1, 1]);
  });
});

describe('price worker process', () => {
  const children: ChildProcess[] = [];

  afterEach(() => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
      }
    }
  });

  function spawnWorker(concurrency: number) {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/worker-process.ts'],
      {
        env: {
          ...process.env,
          NODE_OPTIONS: '',
          TEST_AMQP_NAMES: JSON.stringify(names),
          AMQP_URL,
          PRODUCTS_TABLE: dynamo.table,
          DYNAMODB_ENDPOINT: dynamo.endpoint,
          WORKER_CONCURRENCY: String(concurrency),
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_REGION: 'us-east-1',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    children.push(child);
    const lines: Fields[] = [];
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on(
      'line',
      (line) => {
        try {
          lines.push(JSON.parse(line) as Fields);
        } catch {
          lines.push({ msg: line });
        }
      },
    );
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    const logged = (msg: string) =>
      waitFor(
        () => lines.find((line) => line.msg === msg),
        `"${msg}" from the worker`,
        30_000,
      );
    return { child, lines, exited, logged };
  }

  it('completes a tick with each product changed once after being killed mid-tick', async () => {
    const seeded = products(600);
    await store.putMany(seeded);
    const publisher = new AmqpTaskPublisher({ amqpUrl: AMQP_URL, names });
    cleanups.push(() => publisher.close());
    const first = spawnWorker(1);
    await first.logged('worker consuming');

    await publisher.publish(tickTask());
    const killedAt = await waitFor(
      async () => {
        const changed = await changedCount(seeded);
        return changed >= 15 ? changed : undefined;
      },
      'the tick under way',
      15_000,
      200,
    );
    first.child.kill('SIGKILL');
    await first.exited;
    // Requests the killed process had sent may still land; let them.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const partial = await changedCount(seeded);
    const second = spawnWorker(2);
    const line = await second.logged('tick applied');

    expect(killedAt).toBeLessThan(seeded.length);
    expect(partial).toBeLessThan(seeded.length);
    expect(line).toMatchObject({ changed: seeded.length - partial });
    expect(line.skipped).toBe(partial);
    // The killed worker's counter changes were never written: it shows.
    expect(await store.abandonedCounts(0)).toHaveLength(1);
    expect(tally(1, await applications(seeded))).toEqual({
      emitted: 1,
      applied: 1,
      doubled: 0,
      lost: 0,
    });
    await waitFor(
      async () =>
        (await queueDepth(names.tasksQueue)) === 0 ? true : undefined,
      'the task acked',
    );
  });

  it('finishes the task in hand on SIGTERM, acks it and exits 0', async () => {
    const seeded = products(600);
    await store.putMany(seeded);
    const publisher = new AmqpTaskPublisher({ amqpUrl: AMQP_URL, names });
    cleanups.push(() => publisher.close());
    const worker = spawnWorker(1);
    await worker.logged('worker consuming');

    await publisher.publish(tickTask());
    await publisher.publish(tickTask());
    await waitFor(
      async () => ((await changedCount(seeded)) >= 10 ? true : undefined),
      'the tick under way',
      15_000,
      200,
    );
    worker.child.kill('SIGTERM');
    const code = await worker.exited;

    expect(code).toBe(0);
    expect(await applications(seeded)).toEqual(seeded.map(() => 1));
    expect(worker.lines.map((line) => line.msg)).toEqual(
      expect.arrayContaining([
        'worker stopping',
        'tick applied',
        'worker stopped',
      ]),
    );
    expect(await queueDepth(names.tasksQueue)).toBe(1);
  });
});
