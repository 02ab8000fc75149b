/**
 * The socket server's environment (DESIGN.md, "Configuration"), read
 * once at start-up; a bad value throws a ConfigError naming it.
 */
import {
  DEFAULTS,
  type Env,
  readOptionalUrl,
  readPort,
  readPositiveNumber,
  readString,
  readUrl,
} from '../../config/index.js';
import type { SocketServerOptions } from './server.js';

export type ServerConfig = Omit<SocketServerOptions, 'logger'>;

export function readServerConfig(env: Env): ServerConfig {
  return {
    host: readString(env, 'SOCKET_HOST', DEFAULTS.SOCKET_HOST),
    port: readPort(env, 'SOCKET_PORT', DEFAULTS.SOCKET_PORT),
    apiUrl: readUrl(env, 'API_URL', DEFAULTS.API_URL, ['http:', 'https:']),
    pollIntervalMs:
      readPositiveNumber(env, 'POLL_INTERVAL', DEFAULTS.POLL_INTERVAL) * 1000,
    amqpUrl: readOptionalUrl(env, 'AMQP_URL', ['amqp:', 'amqps:']),
  };
}
