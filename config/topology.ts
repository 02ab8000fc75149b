/**
 * The one description of the product's moving parts: names, routes,
 * schedule and environment. The CDK app deploys from it and the local
 * stack runs from it, so what runs locally is what gets deployed.
 */

export const SERVICE = 'product-feed';

export const TABLE_NAME = 'products';

export const QUEUES = {
  /** SQS queue the schedule rule feeds and the bridge drains. */
  ticks: 'product-feed-ticks',
  /** Where ticks go after `MAX_TICK_RECEIVES` failed bridge runs. */
  ticksDlq: 'product-feed-ticks-dlq',
} as const;

export const MAX_TICK_RECEIVES = 5;

export const AMQP = {
  tasksExchange: 'tasks',
  tasksRoutingKey: 'products.update_prices',
  tasksQueue: 'products.update_prices',
  deadLetterExchange: 'tasks.dlx',
  deadLetterQueue: 'products.update_prices.dead',
  eventsExchange: 'products.events',
  eventRoutingPrefix: 'product.updated.',
} as const;

export type AmqpNames = { readonly [K in keyof typeof AMQP]: string };

/**
 * Routes of the products API, paths as API Gateway declares them. Each
 * operation is one handler, exported under its name from
 * functions/api/lambda.ts; `write` routes need the API key.
 */
export const ROUTES = [
  {
    method: 'GET',
    path: '/api/products',
    operation: 'listProducts',
    access: 'read',
  },
  {
    method: 'POST',
    path: '/api/products',
    operation: 'createProduct',
    access: 'write',
  },
  {
    method: 'GET',
    path: '/api/products/{code}',
    operation: 'getProduct',
    access: 'read',
  },
  {
    method: 'PUT',
    path: '/api/products/{code}',
    operation: 'replaceProduct',
    access: 'write',
  },
  {
    method: 'PATCH',
    path: '/api/products/{code}',
    operation: 'updateProduct',
    access: 'write',
  },
  {
    method: 'DELETE',
    path: '/api/products/{code}',
    operation: 'deleteProduct',
    access: 'write',
  },
  {
    method: 'GET',
    path: '/api/schema',
    operation: 'getSchema',
    access: 'read',
  },
  { method: 'GET', path: '/api/docs', operation: 'getDocs', access: 'read' },
] as const;

export type Route = (typeof ROUTES)[number];
export type Operation = Route['operation'];

/** Entry points the CDK app bundles or builds, relative to the root. */
export const ENTRIES = {
  api: 'functions/api/lambda.ts',
  bridge: 'functions/bridge/handler.ts',
  worker: 'functions/worker/main.ts',
  socketServer: 'socket-tier/server/main.ts',
  dockerfile: 'socket-tier/Dockerfile',
} as const;

export const DEFAULTS = {
  API_PORT: 3000,
  API_URL: 'http://127.0.0.1:3000',
  SOCKET_HOST: '127.0.0.1',
  SOCKET_PORT: 5000,
  POLL_INTERVAL: 5,
  PRICE_SCHEDULE: 'rate(6 minutes)',
  LOCAL_PRICE_SCHEDULE: 'rate(1 minute)',
  PRICE_FACTOR: '1.10',
  SEED_PRODUCTS: 100,
  PRODUCTS_TABLE: TABLE_NAME,
  AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
} as const;

/** Environment each deployed process receives, by role. */
export const ENVIRONMENT = {
  api: ['PRODUCTS_TABLE', 'AMQP_URL'],
  bridge: ['AMQP_URL', 'PRICE_FACTOR'],
  worker: ['PRODUCTS_TABLE', 'AMQP_URL'],
  socketServer: [
    'API_URL',
    'SOCKET_HOST',
    'SOCKET_PORT',
    'POLL_INTERVAL',
    'AMQP_URL',
  ],
} as const;

/** The API Gateway stage: API_URL on AWS ends in `/<stage>`. */
export const API_STAGE = 'prod';

/**
 * The LocalStack variant (localstack.yml): compose service names and the
 * ports each publishes on the host. Lambda functions inside LocalStack
 * reach RabbitMQ by its service name on the compose network. The REST API
 * gets a fixed id there, so the socket server's API_URL is known before
 * the deploy.
 */
export const LOCALSTACK = {
  services: {
    localstack: 'localstack',
    rabbitmq: 'rabbitmq',
    worker: 'worker',
    socketServer: 'socket-server',
  },
  network: 'product-feed',
  edgePort: 4566,
  amqpPort: 5672,
  amqpUrl: 'amqp://guest:guest@rabbitmq:5672',
  region: 'us-east-1',
  apiId: 'productfeed',
  /** What a container needs there beyond its ENVIRONMENT role names. */
  extraEnvironment: {
    worker: ['DYNAMODB_ENDPOINT', 'AWS_REGION'],
    socketServer: [],
  },
} as const;
