/**
 * The bridge Lambda. Configuration is read and checked at cold start;
 * the publisher connects on the first tick and keeps its connection for
 * the invocations after it, opening a new one when it is gone.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { readDecimal, readUrl } from '../../config/env.js';
import { DEFAULTS, SERVICE } from '../../config/topology.js';
import { createLogger } from '../shared/logger.js';
import { AmqpTaskPublisher } from './amqp-task-publisher.js';
import { createBridgeHandler } from './bridge-handler.js';

const amqpUrl = readUrl(process.env, 'AMQP_URL', DEFAULTS.AMQP_URL, [
  'amqp:',
  'amqps:',
]);
const factor = readDecimal(process.env, 'PRICE_FACTOR', DEFAULTS.PRICE_FACTOR);
const logger = createLogger(SERVICE, { base: { role: 'bridge' } });
const publisher = new AmqpTaskPublisher({ amqpUrl });
const bridge = createBridgeHandler({ publisher, factor, logger });

export const handler = (event: SQSEvent): Promise<SQSBatchResponse> =>
  bridge(event);

export { createBridgeHandler } from './bridge-handler.js';
export type { TaskPublisher } from './task-publisher.js';
