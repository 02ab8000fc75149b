/** `npm run products -- import FILE | reindex`: see cli.ts. */
import { run } from './cli.js';

process.exitCode = await run(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
