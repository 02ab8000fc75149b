/**
 * An in-memory dynalite on a free port of 127.0.0.1, with the products
 * table created, for tests that need a real DynamoDB API.
 */
import type { AddressInfo } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { dynamoClientFor } from '../functions/store/dynamo-client.js';
import { ensureTable } from '../functions/store/ensure-table.js';

export interface TestDynamo {
  client: DynamoDBClient;
  endpoint: string;
  table: string;
  stop(): Promise<void>;
}

let tables = 0;

export async function startDynalite(): Promise<TestDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = dynamoClientFor(endpoint, {});
  tables += 1;
  const table = `products-test-${process.pid}-${tables}`;
  await ensureTable(client, table);

  return {
    client,
    endpoint,
    table,
    stop: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
