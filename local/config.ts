/**
 * The local stack's configuration: the environment names of DESIGN.md,
 * read once and checked before anything starts.
 */

import {
  DEFAULTS,
  type Env,
  parseSchedule,
  readDecimal,
  readInt,
  readOptional,
  readOptionalUrl,
  readPort,
  readPositiveNumber,
  readString,
  readUrl,
  type Schedule,
} from '../config/index.js';
import { MAX_FACTOR, MIN_FACTOR } from '../protocol/amqp.js';

const HTTP = ['http:', 'https:'];

export interface LocalConfig {
  apiPort: number;
  /** Where the socket server finds the API; the local front when unset. */
  apiUrl?: string;
  socketHost: string;
  socketPort: number;
  pollIntervalMs: number;
  schedule: Schedule;
  priceFactor: string;
  seedProducts: number;
  table: string;
  dynamodbEndpoint?: string;
  sqsEndpoint?: string;
  amqpUrl: string;
  apiKey?: string;
  /** Folder for dynalite's files; in memory when unset. */
  dataDir?: string;
}

export function readLocalConfig(env: Env): LocalConfig {
  return {
    apiPort: readPort(env, 'API_PORT', DEFAULTS.API_PORT),
    apiUrl: readOptionalUrl(env, 'API_URL', HTTP),
    socketHost: readString(env, 'SOCKET_HOST', DEFAULTS.SOCKET_HOST),
    socketPort: readPort(env, 'SOCKET_PORT', DEFAULTS.SOCKET_PORT),
    pollIntervalMs:
      readPositiveNumber(env, 'POLL_INTERVAL', DEFAULTS.POLL_INTERVAL) * 1000,
    schedule: parseSchedule(
      readString(env, 'PRICE_SCHEDULE', DEFAULTS.LOCAL_PRICE_SCHEDULE),
    ),
    priceFactor: readDecimal(env, 'PRICE_FACTOR', DEFAULTS.PRICE_FACTOR, {
      min: MIN_FACTOR,
      max: MAX_FACTOR,
    }),
    seedProducts: readInt(env, 'SEED_PRODUCTS', DEFAULTS.SEED_PRODUCTS, {
      min: 0,
      max: 1_000_000,
    }),
    table: readString(env, 'PRODUCTS_TABLE', DEFAULTS.PRODUCTS_TABLE),
    dynamodbEndpoint: readOptionalUrl(env, 'DYNAMODB_ENDPOINT', HTTP),
    sqsEndpoint: readOptionalUrl(env, 'SQS_ENDPOINT', HTTP),
    amqpUrl: readUrl(env, 'AMQP_URL', DEFAULTS.AMQP_URL, ['amqp:', 'amqps:']),
    apiKey: readOptional(env, 'API_KEY'),
    dataDir: readOptional(env, 'DATA_DIR'),
  };
}
