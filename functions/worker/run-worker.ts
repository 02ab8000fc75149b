/**
 * The price worker process: reads its environment, consumes tasks until
 * SIGTERM or SIGINT, then finishes the task in hand and returns an exit
 * code.
 *
 *   PRODUCTS_TABLE, DYNAMODB_ENDPOINT (optional), AMQP_URL,
 *   WORKER_CONCURRENCY (optional, products written at once)
 */
import {
  type Env,
  readInt,
  readOptionalUrl,
  readString,
  readUrl,
  redactUrl,
} from '../../config/env.js';
import {
  AMQP,
  type AmqpNames,
  DEFAULTS,
  SERVICE,
} from '../../config/topology.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { dynamoClientFor } from '../store/dynamo-client.js';
import { DynamoProductStore } from '../store/dynamo-product-store.js';
import { DEFAULT_CONCURRENCY } from './price-task.js';
import { startWorker } from './worker.js';

export interface WorkerConfig {
  table: string;
  dynamodbEndpoint?: string;
  amqpUrl: string;
  concurrency: number;
}

export function readWorkerConfig(env: Env): WorkerConfig {
  return {
    table: readString(env, 'PRODUCTS_TABLE', DEFAULTS.PRODUCTS_TABLE),
    dynamodbEndpoint: readOptionalUrl(env, 'DYNAMODB_ENDPOINT', [
      'http:',
      'https:',
    ]),
    amqpUrl: readUrl(env, 'AMQP_URL', DEFAULTS.AMQP_URL, ['amqp:', 'amqps:']),
    concurrency: readInt(env, 'WORKER_CONCURRENCY', DEFAULT_CONCURRENCY, {
      min: 1,
      max: 256,
    }),
  };
}

/** Runs the worker until a stop signal; `names` is for tests. */
export async function runWorker(
  env: Env,
  names: AmqpNames = AMQP,
): Promise<number> {
  let logger: Logger;
  try {
    logger = createLogger(SERVICE, { base: { role: 'worker' } });
  } catch (error) {
    process.stderr.write(`worker: ${(error as Error).message}\n`);
    return 1;
  }
  let config: WorkerConfig;
  try {
    config = readWorkerConfig(env);
  } catch (error) {
    logger.error('bad configuration', { error });
    return 1;
  }
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const client = dynamoClientFor(config.dynamodbEndpoint, env);
  const store = new DynamoProductStore(client, config.table);
  const worker = await startWorker({
    amqpUrl: config.amqpUrl,
    names,
    store,
    logger,
    concurrency: config.concurrency,
  });
  logger.info('worker started', {
    table: config.table,
    amqpUrl: redactUrl(config.amqpUrl),
    concurrency: config.concurrency,
  });

  const signal = await stopped;
  logger.info('worker stopping', { signal });
  await worker.close();
  client.destroy();

  return 0;
}
