/**
 * `products import FILE [--json]` upserts a CSV or JSON catalogue;
 * `products reindex` recounts the list counters. Results go to stdout,
 * diagnostics to stderr; the exit code is 0 when all went in, 2 when
 * some rows were rejected, 1 when the command could not run.
 */
import { readFile, stat } from 'node:fs/promises';
import { type Env, readOptionalUrl, readString } from '../../config/env.js';
import { DEFAULTS } from '../../config/topology.js';
import { dynamoClientFor } from '../store/dynamo-client.js';
import { DynamoProductStore } from '../store/dynamo-product-store.js';
import { detectFormat, parseCatalogue } from './catalogue.js';
import { importProducts } from './import-products.js';

export const MAX_FILE_BYTES = 100 * 1024 * 1024;

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

const USAGE =
  'usage: npm run products -- import FILE [--json]\n' +
  '       npm run products -- reindex';

export function storeFromEnv(env: Env): {
  store: DynamoProductStore;
  close(): void;
} {
  const table = readString(env, 'PRODUCTS_TABLE', DEFAULTS.PRODUCTS_TABLE);
  const endpoint = readOptionalUrl(env, 'DYNAMODB_ENDPOINT', [
    'http:',
    'https:',
  ]);
  const client = dynamoClientFor(endpoint, env);

  return {
    store: new DynamoProductStore(client, table),
    close: () => client.destroy(),
  };
}

async function importFile(
  path: string,
  json: boolean,
  store: DynamoProductStore,
  io: Io,
): Promise<number> {
  const size = (await stat(path)).size;
  if (size > MAX_FILE_BYTES) {
    io.err(`${path}: larger than ${MAX_FILE_BYTES} bytes`);
    return 1;
  }
  const text = await readFile(path, 'utf8');
  const rows = parseCatalogue(text, detectFormat(path, text));

  const report = await importProducts(store, rows);

  if (json) {
    io.out(JSON.stringify(report));
  } else {
    for (const { line, reason } of report.rejected) {
      io.out(`line ${line}: ${reason}`);
    }
    io.out(
      `created ${report.created}, updated ${report.updated}, ` +
        `unchanged ${report.unchanged}, rejected ${report.rejected.length}`,
    );
  }

  return report.rejected.length > 0 ? 2 : 0;
}

export async function run(
  args: readonly string[],
  io: Io,
  env: Env = process.env,
): Promise<number> {
  const [command, ...rest] = args;
  const json = rest.includes('--json');
  const files = rest.filter((arg) => arg !== '--json');
  const valid =
    (command === 'import' && files.length === 1) ||
    (command === 'reindex' && files.length === 0);
  if (!valid) {
    io.err(USAGE);
    return 1;
  }
  let connection: ReturnType<typeof storeFromEnv> | undefined;
  try {
    connection = storeFromEnv(env);
    if (command === 'reindex') {
      const counts = await connection.store.rebuildCounters();
      io.out(
        `recounted ${counts.products} products into ${counts.counters} counters`,
      );
      return 0;
    }
    return await importFile(files[0] as string, json, connection.store, io);
  } catch (error) {
    io.err(
      error instanceof Error
        ? `${error.name}: ${error.message}`
        : `failed: ${String(error)}`,
    );
    return 1;
  } finally {
    connection?.close();
  }
}
