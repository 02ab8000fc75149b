/**
 * The price worker as a child process for fault tests: the same
 * runWorker as the container entry, on the test's own AMQP names
 * (JSON in TEST_AMQP_NAMES).
 */
import type { AmqpNames } from '../config/topology.js';
import { runWorker } from '../functions/worker/run-worker.js';

const names = JSON.parse(process.env.TEST_AMQP_NAMES ?? 'null') as AmqpNames;
if (!names) throw new Error('TEST_AMQP_NAMES is not set');

process.exitCode = await runWorker(process.env, names);
