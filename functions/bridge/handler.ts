/**
 * The bridge Lambda. Configuration is read and checked at cold start;
 * the publisher connects on the first tick and keeps its connection for
 * the invocations after it, opening a new one when it is gone.
 */

import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { readDecimal, readUrl } from '../../config/env.js';
import { DEFAULTS, SERVICE } from '../../config/topology.js';
import { MAX_FACTOR, MIN_FACTOR } from '../../protocol/amqp.js';
import { createLogger } from '../shared/logger.js';
import { AmqpTaskPublisher } from './amqp-task-publisher.js';
import { createBridgeHandler } from './bridge-handler.js';

const amqpUrl = readUrl(process.env, 'AMQP_URL', DEFAULTS.AMQP_URL, [
  'amqp:',
  'amqps:',
]);
const factor = readDecimal(process.env, 'PRICE_FACTOR', DEFAULTS.PRICE_FACTOR, {
  min: MIN_FACTOR,
  max: MAX_FACTOR,
});
const logger = createLogger(SERVICE, { base: { role: 'bridge' } });
// Worst case of one publish: 2 × (3 s connect + 5 s confirm) + backoff,
// under the 17 s budget, so a record starts only when it can finish.
const publisher = new AmqpTaskPublisher({
  amqpUrl,
  attempts: 2,
  connectTimeoutMs: 3_000,
  confirmTimeoutMs: 5_000,
});
const bridge = createBridgeHandler({
  publisher,
  factor,
  logger,
  publishBudgetMs: 17_000,
});

export const handler = (
  event: SQSEvent,
  context: Context,
): Promise<SQSBatchResponse> => bridge(event, context);

export { createBridgeHandler } from './bridge-handler.js';
export type { TaskPublisher } from './task-publisher.js';
