/**
 * `npm start`: the whole product on this machine, no Docker and no AWS
 * account. Ctrl-C stops everything.
 */
import { ConfigError } from '../config/env.js';
import { SERVICE } from '../config/topology.js';
import { createLogger, type Logger } from '../functions/shared/logger.js';
import { readLocalConfig } from './config.js';
import { startLocalStack } from './stack.js';

const STOP_DEADLINE_MS = 10_000;

async function main(): Promise<number> {
  let config: ReturnType<typeof readLocalConfig>;
  let logger: Logger;
  try {
    config = readLocalConfig(process.env);
    logger = createLogger(`${SERVICE}-local`);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`configuration error: ${error.message}\n`);
    return 2;
  }

  const stack = await startLocalStack(config, logger);
  const client = `npm run client -- --port ${stack.socketPort}`;
  process.stdout.write(
    [
      '',
      'product feed is running',
      `  products API   ${stack.apiUrl}/api/products/`,
      `  socket server  ${config.socketHost}:${stack.socketPort}`,
      `  price task     ${config.schedule.expression}, factor ${config.priceFactor}` +
        (stack.broker ? ', through RabbitMQ' : ', in process (no RabbitMQ)'),
      `  DynamoDB       ${stack.dynamodbEndpoint}`,
      `  SQS            ${stack.sqsEndpoint}`,
      '',
      'try, in another shell:',
      `  ${client} list`,
      `  ${client} watch <code> --max-updates 1`,
      '',
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );

  await new Promise<void>((resolve) => {
    const onSignal = () => resolve();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  logger.info('stopping');
  const deadline = setTimeout(() => {
    logger.error('stop took too long; exiting');
    process.exit(1);
  }, STOP_DEADLINE_MS);
  deadline.unref();
  await stack.stop();
  logger.info('stopped');

  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`product feed failed to start: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
