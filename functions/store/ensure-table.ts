/** Creates the products table when it does not exist (local and tests). */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { StoreError, translate } from './errors.js';
import { PRODUCTS_TABLE_SCHEMA } from './table-schema.js';

const SCHEMA = PRODUCTS_TABLE_SCHEMA;

export async function ensureTable(
  client: DynamoDBClient,
  table: string,
): Promise<void> {
  try {
    const { Table } = await client.send(
      new DescribeTableCommand({ TableName: table }),
    );
    const present = new Set(
      (Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName),
    );
    const missing = SCHEMA.globalSecondaryIndexes.filter(
      (index) => !present.has(index.indexName),
    );
    if (missing.length > 0) {
      throw new StoreError(
        `table ${table} lacks the indexes ${missing
          .map((index) => index.indexName)
          .join(', ')}; it was made by an older version: delete it`,
      );
    }
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) {
      throw translate(error, 'describe table');
    }
  }
  const attributes = new Map<string, string>([
    [SCHEMA.partitionKey.name, SCHEMA.partitionKey.type],
  ]);
  for (const index of SCHEMA.globalSecondaryIndexes) {
    attributes.set(index.partitionKey.name, index.partitionKey.type);
    attributes.set(index.sortKey.name, index.sortKey.type);
  }
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: SCHEMA.billingMode,
        AttributeDefinitions: [...attributes].map(([name, type]) => ({
          AttributeName: name,
          AttributeType: type as 'S',
        })),
        KeySchema: [
          { AttributeName: SCHEMA.partitionKey.name, KeyType: 'HASH' },
        ],
        GlobalSecondaryIndexes: SCHEMA.globalSecondaryIndexes.map((index) => ({
          IndexName: index.indexName,
          KeySchema: [
            { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
            { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: index.projection },
        })),
      }),
    );
    await waitUntilTableExists(
      { client, maxWaitTime: 30 },
      { TableName: table },
    );
  } catch (error) {
    throw translate(error, 'create table');
  }
}
