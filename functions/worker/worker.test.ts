import amqp, { type Channel, type ChannelModel } from 'amqplib';
import type { AmqpNames } from '../../config/topology.js';
import { encodeTask, type UpdatePricesTask } from '../../protocol/amqp.js';
import { multiplyCents, parseFactor } from '../../protocol/money.js';
import type { ProductEvent } from '../../protocol/product.js';
import { startDynalite, type TestDynamo } from '../../test/dynalite.js';
import { products, tickTask, waitFor } from '../../test/price-chain.js';
import {
  AMQP_URL,
  deleteAmqpNames,
  uniqueAmqpNames,
} from '../../test/rabbit.js';
import { AmqpTaskPublisher } from '../bridge/amqp-task-publisher.js';
import { assertEventsExchange, assertTaskTopology } from '../shared/amqp.js';
import { memoryLogger } from '../shared/logger.js';
import { DynamoProductStore } from '../store/dynamo-product-store.js';
import type { TickSummary } from './price-task.js';
import { startWorker, type Worker } from './worker.js';

const FACTOR = parseFactor('1.10');

let dynamo: TestDynamo;
let store: DynamoProductStore;
let names: AmqpNames;
let connection: ChannelModel;
let channel: Channel;
let publisher: AmqpTaskPublisher;
let worker: Worker | undefined;
let summaries: TickSummary[];

beforeEach(async () => {
  dynamo = await startDynalite();
  store = new DynamoProductStore(dynamo.client, dynamo.table);
  names = uniqueAmqpNames();
  connection = await amqp.connect(AMQP_URL);
  channel = await connection.createChannel();
  await assertTaskTopology(channel, names);
  publisher = new AmqpTaskPublisher({ amqpUrl: AMQP_URL, names });
  summaries = [];
});

afterEach(async () => {
  await worker?.close();
  worker = undefined;
  await publisher.close();
  await connection.close();
  await deleteAmqpNames(names);
  await dynamo.stop();
});

async function start(logger = memoryLogger()) {
  worker = await startWorker({
    amqpUrl: AMQP_URL,
    names,
    store,
    logger,
    onTick: (summary) => summaries.push(summary),
  });
  return logger;
}

async function sellingCents(): Promise<Map<string, number>> {
  const prices = new Map<string, number>();
  for (const record of (await store.list({ limit: 10_000, offset: 0 })).items) {
    prices.set(record.code, record.sellingCents);
  }
  return prices;
}

async function subscribeEvents(): Promise<ProductEvent[]> {
  const seen: ProductEvent[] = [];
  await assertEventsExchange(channel, names);
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, names.eventsExchange, 'product.updated.#');
  await channel.consume(
    queue,
    (message) => {
      if (message) seen.push(JSON.parse(message.content.toString()));
    },
    { noAck: true },
  );
  return seen;
}

const ticksDone = (count: number) => () =>
  summaries.length >= count ? summaries : undefined;

describe('price worker on RabbitMQ and DynamoDB', () => {
  it('multiplies every selling price by the factor, half up', async () => {
    const seeded = products(20);
    await store.putMany(seeded);
    await start();

    await publisher.publish(tickTask());
    await waitFor(ticksDone(1), 'the tick');

    const prices = await sellingCents();
    for (const product of seeded) {
      expect(prices.get(product.code)).toBe(
        multiplyCents(product.sellingCents, FACTOR),
      );
    }
  });

  it('changes each price once for a tick delivered twice', async () => {
    const seeded = products(15);
    await store.putMany(seeded);
    const task = tickTask();
    await start();

    await publisher.publish(task);
    await publisher.publish(task);
    await waitFor(ticksDone(2), 'both deliveries');

    const prices = await sellingCents();
    for (const product of seeded) {
      expect(prices.get(product.code)).toBe(
        multiplyCents(product.sellingCents, FACTOR),
      );
    }
    expect(summaries.map((s) => [s.changed, s.skipped])).toEqual([
      [15, 0],
      [0, 15],
    ]);
  });

  it('publishes one product.updated event per changed product', async () => {
    const seeded = products(5);
    await store.putMany(seeded);
    const events = await subscribeEvents();
    const task = tickTask();
    await start();

    await publisher.publish(task);
    await waitFor(() => (events.length >= 5 ? events : undefined), 'events');

    expect(events.map((event) => event.code).sort()).toEqual(
      seeded.map((product) => product.code),
    );
    const first = events.find((event) => event.code === seeded[0]?.code);
    expect(first).toMatchObject({
      tick: task.tick,
      selling_price: '1430.00',
      buying_price: '1000.00',
      description: 'product 0',
    });
  });

  it('logs one line per tick with the counts and time', async () => {
    await store.putMany(products(3));
    const task = tickTask();
    const logger = await start();

    await publisher.publish(task);
    await waitFor(ticksDone(1), 'the tick');

    const lines = logger.entries.filter((e) => e.msg === 'tick applied');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      tick: task.tick,
      changed: 3,
      skipped: 0,
      capped: 0,
      unchanged: 0,
      tooOld: 0,
    });
    expect(typeof lines[0]?.ms).toBe('number');
  });

  it('caps a price at 99,999,999.99 and logs it', async () => {
    const [near] = products(1, 9_500_000_000);
    if (!near) throw new Error('no product');
    await store.putMany([near]);
    const logger = await start();

    await publisher.publish(tickTask());
    await waitFor(ticksDone(1), 'the tick');

    expect((await store.get(near.code))?.sellingCents).toBe(9_999_999_999);
    expect(summaries[0]).toMatchObject({ changed: 1, capped: 1 });
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ msg: 'price capped', code: near.code }),
    );
  });

  it.each([
    ['a body that is not JSON', Buffer.from('{not json')],
    [
      'an unknown task',
      Buffer.from('{"task":"delete_all","tick":"t","factor":"1.10"}'),
    ],
  ])('dead-letters %s at once and keeps consuming', async (_name, body) => {
    const seeded = products(3);
    await store.putMany(seeded);
    const logger = await start();

    channel.publish(names.tasksExchange, names.tasksRoutingKey, body, {
      persistent: true,
      messageId: 'poison',
    });
    await publisher.publish(tickTask());
    await waitFor(ticksDone(1), 'the good tick');

    const dead = await waitFor(
      async () => (await channel.get(names.deadLetterQueue)) || undefined,
      'the dead letter',
    );
    expect(dead.content.equals(body)).toBe(true);
    expect(summaries[0]?.changed).toBe(3);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ msg: 'task rejected', message: 'poison' }),
    );
  });

  it('declares its queue again and consumes after the queue is deleted', async () => {
    await store.putMany(products(3));
    const logger = await start();
    await waitFor(
      () => logger.entries.find((e) => e.msg === 'worker consuming'),
      'the worker consuming',
    );

    await channel.deleteQueue(names.tasksQueue);
    await waitFor(
      () =>
        logger.entries.filter((e) => e.msg === 'worker consuming').length >= 2
          ? true
          : undefined,
      'the worker consuming again',
    );
    await publisher.publish(tickTask());
    await waitFor(ticksDone(1), 'the tick');

    expect(summaries[0]?.changed).toBe(3);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ msg: 'broker connection lost' }),
    );
  });

  it('runs tasks one after another in arrival order', async () => {
    await store.putMany(products(10));
    const tasks: UpdatePricesTask[] = [tickTask(), tickTask(), tickTask()];
    await start();

    for (const task of tasks) {
      channel.publish(
        names.tasksExchange,
        names.tasksRoutingKey,
        encodeTask(task),
        { persistent: true, messageId: task.tick },
      );
    }
    await waitFor(ticksDone(3), 'three ticks');

    expect(summaries.map((s) => s.tick)).toEqual(tasks.map((t) => t.tick));
    expect(summaries.every((s) => s.changed === 10)).toBe(true);
  });
});
