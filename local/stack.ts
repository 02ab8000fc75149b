/**
 * The whole product on one machine: the same handlers as on AWS, each in
 * a thin local host, on embedded stand-ins for the AWS parts.
 *
 *   scheduler ─► SQS ticks ─► poller ─► bridge ─► RabbitMQ ─► worker
 *   socket server ─► HTTP front ─► API router ─► store ─► DynamoDB
 */
import amqp from 'amqplib';
import { redactUrl } from '../config/env.js';
import { AMQP, type AmqpNames } from '../config/topology.js';
import { createApiRouter } from '../functions/api/router.js';
import { AmqpTaskPublisher } from '../functions/bridge/amqp-task-publisher.js';
import { createBridgeHandler } from '../functions/bridge/bridge-handler.js';
import { createAmqpProductEvents } from '../functions/events/amqp-product-events.js';
import {
  type ProductEvents,
  silentEvents,
} from '../functions/events/product-events.js';
import { seedProducts } from '../functions/seed/seed-products.js';
import type { Logger } from '../functions/shared/logger.js';
import { DynamoProductStore } from '../functions/store/dynamo-product-store.js';
import { ensureTable } from '../functions/store/ensure-table.js';
import { createPriceTask } from '../functions/worker/price-task.js';
import { startWorker } from '../functions/worker/worker.js';
import { startSocketServer } from '../socket-tier/server/server.js';
import { startDynamo, startSqs } from './aws-stand-ins.js';
import type { LocalConfig } from './config.js';
import { startHttpFront } from './http-front.js';
import { InProcessTaskPublisher } from './in-process-tasks.js';
import { sendToQueue, startScheduler } from './scheduler.js';
import { startSqsPoller } from './sqs-poller.js';

const BROKER_PROBE_MS = 2_000;

export interface LocalStack {
  apiUrl: string;
  apiPort: number;
  socketPort: number;
  /** True when tasks go through RabbitMQ, false when handed over in process. */
  broker: boolean;
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  ticksQueueUrl: string;
  stop(): Promise<void>;
}

type Stopper = () => Promise<void> | void;

export async function startLocalStack(
  config: LocalConfig,
  logger: Logger,
  names: AmqpNames = AMQP,
): Promise<LocalStack> {
  const stoppers: Stopper[] = [];
  const stop = async () => {
    for (const stopper of stoppers.reverse()) {
      try {
        await stopper();
      } catch (error) {
        logger.warn('stop failed', { error });
      }
    }
  };
  try {
    const dynamo = await startDynamo(config.dynamodbEndpoint, config.dataDir);
    stoppers.push(dynamo.stop);
    await ensureTable(dynamo.value, config.table);
    const store = new DynamoProductStore(dynamo.value, config.table);
    if (config.seedProducts > 0 && (await store.isEmpty())) {
      const seeded = await seedProducts(store, config.seedProducts);
      logger.info('seeded products', { count: seeded });
    }

    const broker = await brokerAnswers(config.amqpUrl);
    const events: ProductEvents = broker
      ? await createAmqpProductEvents({ amqpUrl: config.amqpUrl, names })
      : silentEvents;
    stoppers.push(() => events.close());
    const publisher = broker
      ? new AmqpTaskPublisher({ amqpUrl: config.amqpUrl, names })
      : new InProcessTaskPublisher(
          createPriceTask({ store, events, logger }),
          logger,
        );
    stoppers.push(() => publisher.close());
    if (broker) {
      const worker = await startWorker({
        amqpUrl: config.amqpUrl,
        names,
        store,
        events,
        logger,
      });
      stoppers.push(() => worker.close());
    } else {
      logger.warn('RabbitMQ does not answer; running tasks in process', {
        amqpUrl: redactUrl(config.amqpUrl),
      });
    }

    const sqs = await startSqs(config.sqsEndpoint);
    stoppers.push(sqs.stop);
    const bridge = createBridgeHandler({
      publisher,
      factor: config.priceFactor,
      logger,
    });
    const poller = startSqsPoller({
      client: sqs.value.client,
      queueUrl: sqs.value.ticksUrl,
      handler: bridge,
      logger,
      waitSeconds: 1,
    });
    stoppers.push(() => poller.stop());
    const scheduler = startScheduler({
      schedule: config.schedule,
      send: (event) => sendToQueue(sqs.value.client, sqs.value.ticksUrl, event),
      logger,
    });
    stoppers.push(() => scheduler.stop());

    const router = createApiRouter({
      store,
      logger,
      events,
      apiKey: config.apiKey,
    });
    const front = await startHttpFront({
      handler: router,
      port: config.apiPort,
      host: '127.0.0.1',
      logger,
    });
    stoppers.push(() => front.close());
    const socket = await startSocketServer({
      host: config.socketHost,
      port: config.socketPort,
      apiUrl: config.apiUrl ?? front.url,
      pollIntervalMs: config.pollIntervalMs,
      amqpUrl: broker ? config.amqpUrl : undefined,
      eventsExchange: names.eventsExchange,
      logger,
    });
    stoppers.push(() => socket.close());

    return {
      apiUrl: front.url,
      apiPort: front.port,
      socketPort: socket.port,
      broker,
      dynamodbEndpoint: dynamo.endpoint,
      sqsEndpoint: sqs.endpoint,
      ticksQueueUrl: sqs.value.ticksUrl,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** True when RabbitMQ accepts a connection within a short wait. */
async function brokerAnswers(url: string): Promise<boolean> {
  try {
    const connection = await amqp.connect(url, { timeout: BROKER_PROBE_MS });
    await connection.close();
    return true;
  } catch {
    return false;
  }
}
