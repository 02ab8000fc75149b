import { randomUUID } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import type { SQSEvent } from 'aws-lambda';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import type { AmqpNames } from '../../config/topology.js';
import { MAX_TICK_RECEIVES } from '../../config/topology.js';
import { scheduledEvent, sendToQueue } from '../../local/scheduler.js';
import { startSqsPoller } from '../../local/sqs-poller.js';
import { decodeTask } from '../../protocol/amqp.js';
import { waitFor } from '../../test/price-chain.js';
import {
  AMQP_URL,
  deleteAmqpNames,
  uniqueAmqpNames,
} from '../../test/rabbit.js';
import { startTcpProxy, type TcpProxy } from '../../test/tcp-proxy.js';
import { assertTaskTopology } from '../shared/amqp.js';
import { memoryLogger } from '../shared/logger.js';
import { AmqpTaskPublisher } from './amqp-task-publisher.js';
import { createBridgeHandler } from './bridge-handler.js';

let sqs: FauxqsServer;
let client: SQSClient;
let names: AmqpNames;
let connection: ChannelModel;
let channel: Channel;
let proxy: TcpProxy;
const stoppers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  sqs = await startFauxqs({ port: 0, logger: false });
  client = new SQSClient({
    endpoint: `http://127.0.0.1:${sqs.port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

afterAll(async () => {
  client.destroy();
  await sqs.stop();
});

beforeEach(async () => {
  names = uniqueAmqpNames();
  connection = await amqp.connect(AMQP_URL);
  channel = await connection.createChannel();
  await assertTaskTopology(channel, names);
  proxy = await startTcpProxy('127.0.0.1', 5672);
});

afterEach(async () => {
  for (const stop of stoppers.splice(0).reverse()) await stop();
  await proxy.stop();
  await connection.close();
  await deleteAmqpNames(names);
});

/** A ticks queue with its DLQ, as the CDK app declares them. */
function tickQueues(visibilitySeconds = 1) {
  const suffix = randomUUID().slice(0, 8);
  const dlq = sqs.createQueue(`ticks-dlq-${suffix}`);
  const ticks = sqs.createQueue(`ticks-${suffix}`, {
    attributes: {
      VisibilityTimeout: String(visibilitySeconds),
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: dlq.queueArn,
        maxReceiveCount: MAX_TICK_RECEIVES,
      }),
    },
  });
  return { ticks, dlq };
}

function runBridge(queueUrl: string, amqpUrl: string, logger = memoryLogger()) {
  const publisher = new AmqpTaskPublisher({
    amqpUrl,
    names,
    attempts: 1,
    connectTimeoutMs: 1_000,
  });
  const bridge = createBridgeHandler({ publisher, factor: '1.10', logger });
  const poller = startSqsPoller({
    client,
    queueUrl,
    handler: bridge,
    logger,
    waitSeconds: 1,
  });
  stoppers.push(() => publisher.close());
  stoppers.push(() => poller.stop());
  return logger;
}

function sqsMessages(name: string): number {
  const queue = sqs.inspectQueue(name);
  if (!queue) throw new Error(`no queue ${name}`);
  const { ready, delayed, inflight } = queue.messages;
  return ready.length + delayed.length + inflight.length;
}

async function takeTask(): Promise<amqp.GetMessage> {
  return waitFor(
    async () =>
      (await channel.get(names.tasksQueue, { noAck: true })) || undefined,
    'a task on RabbitMQ',
  );
}

function sqsEvent(bodies: string[]): SQSEvent {
  return {
    Records: bodies.map((body, index) => ({
      messageId: `m${index}`,
      receiptHandle: `r${index}`,
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '0',
        SenderId: 'test',
        ApproximateFirstReceiveTimestamp: '0',
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:ticks',
      awsRegion: 'us-east-1',
    })),
  };
}

describe('bridge from SQS to RabbitMQ', () => {
  it('publishes one persistent task per tick, keyed by the tick id', async () => {
    const { ticks } = tickQueues();
    const events = [1, 2, 3].map((minute) =>
      scheduledEvent(new Date(Date.UTC(2026, 11, 4, 10, minute))),
    );
    runBridge(ticks.queueUrl, AMQP_URL);

    for (const event of events) {
      await sendToQueue(client, ticks.queueUrl, event);
    }
    const received = [await takeTask(), await takeTask(), await takeTask()];

    const byTick = new Map(received.map((m) => [m.properties.messageId, m]));
    for (const event of events) {
      const message = byTick.get(event.id);
      expect(message?.properties).toMatchObject({
        deliveryMode: 2,
        contentType: 'application/json',
      });
      expect(decodeTask(message?.content ?? Buffer.alloc(0))).toEqual({
        task: 'update_prices',
        tick: event.id,
        factor: '1.10',
        scheduled_at: event.time,
      });
    }
    await waitFor(
      () => (sqsMessages(ticks.queueName) === 0 ? true : undefined),
      'the ticks queue to empty',
    );
  });

  it('keeps a tick in SQS while RabbitMQ is unreachable and publishes it once back', async () => {
    const { ticks } = tickQueues();
    await proxy.down();
    const logger = runBridge(ticks.queueUrl, proxy.url('amqp', 'guest:guest'));
    const event = scheduledEvent(new Date());

    await sendToQueue(client, ticks.queueUrl, event);
    await waitFor(
      () =>
        logger.entries.some((e) => e.msg === 'task not published')
          ? true
          : undefined,
      'a failed publish',
    );
    expect(sqsMessages(ticks.queueName)).toBe(1);
    await proxy.up();
    const task = await takeTask();

    expect(task.properties.messageId).toBe(event.id);
    await waitFor(
      () => (sqsMessages(ticks.queueName) === 0 ? true : undefined),
      'the ticks queue to empty',
    );
  });

  it('moves a tick to the DLQ after MAX_TICK_RECEIVES failed receives', async () => {
    const { ticks, dlq } = tickQueues();
    await proxy.down();
    const logger = runBridge(ticks.queueUrl, proxy.url('amqp', 'guest:guest'));

    await sendToQueue(client, ticks.queueUrl, scheduledEvent(new Date()));
    await waitFor(
      () => (sqsMessages(dlq.queueName) === 1 ? true : undefined),
      'the tick in the DLQ',
      20_000,
    );

    const failed = logger.entries.filter((e) => e.msg === 'task not published');
    expect(failed.map((e) => e.receives)).toEqual(
      Array.from({ length: MAX_TICK_RECEIVES }, (_, i) => String(i + 1)),
    );
    expect(sqsMessages(ticks.queueName)).toBe(0);
  });

  it('reuses one connection across invocations and opens another once it is gone', async () => {
    const publisher = new AmqpTaskPublisher({
      amqpUrl: proxy.url('amqp', 'guest:guest'),
      names,
      retryDelayMs: 20,
    });
    stoppers.push(() => publisher.close());
    const bridge = createBridgeHandler({
      publisher,
      factor: '1.10',
      logger: memoryLogger(),
    });
    const events = [1, 2, 3].map((s) => scheduledEvent(new Date(s * 1000)));
    const invoke = (index: number) =>
      bridge(sqsEvent([JSON.stringify(events[index])]));

    await invoke(0);
    await invoke(1);
    const before = proxy.connections();
    proxy.cut();
    const response = await invoke(2);

    expect(before).toBe(1);
    expect(response.batchItemFailures).toEqual([]);
    expect(proxy.connections()).toBe(2);
    const ids = [await takeTask(), await takeTask(), await takeTask()].map(
      (message) => message.properties.messageId,
    );
    expect(ids).toEqual(events.map((event) => event.id));
  });

  it('publishes the ticks of a batch oldest first', async () => {
    const publisher = new AmqpTaskPublisher({ amqpUrl: AMQP_URL, names });
    stoppers.push(() => publisher.close());
    const bridge = createBridgeHandler({
      publisher,
      factor: '1.10',
      logger: memoryLogger(),
    });
    const events = [3, 1, 2].map((s) => scheduledEvent(new Date(s * 1000)));

    await bridge(sqsEvent(events.map((event) => JSON.stringify(event))));

    const ids = [await takeTask(), await takeTask(), await takeTask()].map(
      (message) => message.properties.messageId,
    );
    expect(ids).toEqual([events[1]?.id, events[2]?.id, events[0]?.id]);
  });

  it('leaves the records it has no time for to SQS (Lambda context stubbed)', async () => {
    const publisher = new AmqpTaskPublisher({ amqpUrl: AMQP_URL, names });
    stoppers.push(() => publisher.close());
    const logger = memoryLogger();
    const bridge = createBridgeHandler({
      publisher,
      factor: '1.10',
      logger,
      publishBudgetMs: 17_000,
    });
    const remaining = [25_000, 16_000, 15_000];
    const context = {
      getRemainingTimeInMillis: () => remaining.shift() ?? 0,
    };
    const events = [1, 2, 3].map((s) => scheduledEvent(new Date(s * 1000)));

    const response = await bridge(
      sqsEvent(events.map((event) => JSON.stringify(event))),
      context,
    );

    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: 'm1' },
      { itemIdentifier: 'm2' },
    ]);
    expect((await takeTask()).properties.messageId).toBe(events[0]?.id);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ msg: 'no time left to publish' }),
    );
  });

  it('fails every record after the first failed publish, trying it once', async () => {
    await proxy.down();
    const logger = memoryLogger();
    const publisher = new AmqpTaskPublisher({
      amqpUrl: proxy.url('amqp', 'guest:guest'),
      names,
      attempts: 1,
    });
    stoppers.push(() => publisher.close());
    const bridge = createBridgeHandler({ publisher, factor: '1.10', logger });
    const bodies = [1, 2, 3].map((s) =>
      JSON.stringify(scheduledEvent(new Date(s * 1000))),
    );

    const response = await bridge(sqsEvent(bodies));

    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: 'm0' },
      { itemIdentifier: 'm1' },
      { itemIdentifier: 'm2' },
    ]);
    const failed = logger.entries.filter((e) => e.msg === 'task not published');
    expect(failed).toHaveLength(1);
  });

  it.each([
    ['not JSON', '{"id":'],
    ['not an object', '"tick"'],
    ['another kind of event', JSON.stringify({ 'detail-type': 'Other' })],
    [
      'a scheduled event without an id',
      JSON.stringify({ 'detail-type': 'Scheduled Event', time: '2026' }),
    ],
    [
      'a scheduled event with a bad time',
      JSON.stringify({
        'detail-type': 'Scheduled Event',
        id: 'x',
        time: 'soon',
      }),
    ],
  ])(
    'drops a body that is %s with an error log and publishes the rest',
    async (_name, body) => {
      const logger = memoryLogger();
      const publisher = new AmqpTaskPublisher({ amqpUrl: AMQP_URL, names });
      stoppers.push(() => publisher.close());
      const bridge = createBridgeHandler({ publisher, factor: '1.10', logger });
      const good = scheduledEvent(new Date());

      const response = await bridge(sqsEvent([body, JSON.stringify(good)]));

      expect(response.batchItemFailures).toEqual([]);
      expect(logger.entries).toContainEqual(
        expect.objectContaining({ level: 'error', msg: 'tick dropped', body }),
      );
      expect((await takeTask()).properties.messageId).toBe(good.id);
    },
  );
});
