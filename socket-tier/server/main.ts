/**
 * Entry of the socket server process: reads its environment once,
 * stops at once with the variable's name when a value is bad, and
 * closes cleanly on SIGTERM or SIGINT.
 */
import { ConfigError, redactUrl, SERVICE } from '../../config/index.js';
import { createLogger, type Logger } from '../../functions/shared/logger.js';
import { readServerConfig, type ServerConfig } from './config.js';
import { startSocketServer } from './server.js';

async function main(): Promise<void> {
  let config: ServerConfig;
  let logger: Logger;
  try {
    config = readServerConfig(process.env);
    logger = createLogger(SERVICE, { base: { part: 'socket-server' } });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`socket server: ${error.message}\n`);
    process.exit(2);
  }
  logger.info('starting', {
    apiUrl: config.apiUrl,
    amqpUrl: config.amqpUrl ? redactUrl(config.amqpUrl) : null,
    pollIntervalMs: config.pollIntervalMs,
  });
  const server = await startSocketServer({ ...config, logger });
  const stop = () => {
    server.close().then(
      () => process.exit(0),
      (error) => {
        logger.error('close failed', { error });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

await main();
