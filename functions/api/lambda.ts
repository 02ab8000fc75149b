/**
 * The products API on AWS Lambda: one export per ROUTES operation, named
 * as the operation. Clients and configuration are built once per
 * container from the environment and checked before the first request.
 * API Gateway checks the API key of writes (key + usage plan), so these
 * handlers do not.
 */

import { readOptionalUrl, readString } from '../../config/env.js';
import { DEFAULTS, SERVICE } from '../../config/topology.js';
import { createAmqpProductEvents } from '../events/amqp-product-events.js';
import type { ProductEvents } from '../events/product-events.js';
import { createLogger } from '../shared/logger.js';
import { dynamoClientFor } from '../store/dynamo-client.js';
import { DynamoProductStore } from '../store/dynamo-product-store.js';
import type { ApiHandler, LambdaHandler } from './context.js';
import { createApiHandlers } from './handlers.js';

const env = process.env;
const table = readString(env, 'PRODUCTS_TABLE', DEFAULTS.PRODUCTS_TABLE);
const endpoint = readOptionalUrl(env, 'DYNAMODB_ENDPOINT', ['http:', 'https:']);
const amqpUrl = readOptionalUrl(env, 'AMQP_URL', ['amqp:', 'amqps:']);

const logger = createLogger(SERVICE, { base: { part: 'api' } });
const client = dynamoClientFor(endpoint, env);
const events: ProductEvents | undefined = amqpUrl
  ? await createAmqpProductEvents({ amqpUrl })
  : undefined;

const handlers = createApiHandlers({
  store: new DynamoProductStore(client, table),
  logger,
  events,
});

const lambda =
  (handler: ApiHandler): LambdaHandler =>
  (event) =>
    handler(event);

export const listProducts = lambda(handlers.listProducts);
export const createProduct = lambda(handlers.createProduct);
export const getProduct = lambda(handlers.getProduct);
export const replaceProduct = lambda(handlers.replaceProduct);
export const updateProduct = lambda(handlers.updateProduct);
export const deleteProduct = lambda(handlers.deleteProduct);
export const getSchema = lambda(handlers.getSchema);
export const getDocs = lambda(handlers.getDocs);
