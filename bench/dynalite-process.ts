/**
 * dynalite in memory in a child process on a free port of 127.0.0.1,
 * with the products table created; stopped by its PID.
 */
import { spawn } from 'node:child_process';
import { dynamoClientFor } from '../functions/store/dynamo-client.js';
import { ensureTable } from '../functions/store/ensure-table.js';
import type { TestDynamo } from '../test/dynalite.js';

const SERVER = `
import dynalite from 'dynalite';
const server = dynalite({ createTableMs: 0, deleteTableMs: 0 });
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(String(server.address().port) + '\\n');
});
`;
const START_TIMEOUT_MS = 20_000;

export async function startDynaliteProcess(): Promise<TestDynamo> {
  const child = spawn(
    process.execPath,
    ['--input-type=module', '--eval', SERVER],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('dynalite did not start')),
      START_TIMEOUT_MS,
    );
    child.stdout.once('data', (chunk: Buffer) => {
      clearTimeout(timer);
      resolve(Number(chunk.toString().trim()));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dynalite exited with ${code}`));
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = dynamoClientFor(endpoint, {});
  const table = 'products-bench';
  await ensureTable(client, table);

  return {
    client,
    endpoint,
    table,
    stop: async () => {
      client.destroy();
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
