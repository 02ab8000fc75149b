/** The price worker container's entry (see run-worker.ts). */
import { runWorker } from './run-worker.js';

process.exitCode = await runWorker(process.env);
