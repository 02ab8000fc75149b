/**
 * Entry of the client CLI: checks the command line, then hands over to
 * `run`. `--help` prints the usage; usage errors exit 2 with the usage
 * on stderr.
 */
import { ConfigError } from '../../config/index.js';
import { parseClientArgs, USAGE, UsageError } from './options.js';
import { run } from './run.js';

const HELP = new Set(['-h', '--help', 'help']);

function options() {
  if (process.argv.slice(2).some((arg) => HELP.has(arg))) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  try {
    return parseClientArgs(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof ConfigError)) {
      throw error;
    }
    process.stderr.write(`${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
}

const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
const code = await run(options(), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin.isTTY ? process.stdin : undefined,
  signal: controller.signal,
});
process.stdout.write('', () => process.exit(code));
