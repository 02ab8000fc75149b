/**
 * The products store on DynamoDB. Item shape (one item per product):
 *
 *   code (S, key) | buying_cents (N) | selling_cents (N) | description (S)
 *   created_at (S) | update_at (S) | last_tick (S) | last_tick_at (S)
 */
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateScan,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { MAX_CENTS } from '../../protocol/money.js';
import {
  ConflictError,
  ProductExistsError,
  ProductMissingError,
  StoreError,
  StoreUnavailableError,
} from './errors.js';
import type {
  ListQuery,
  ListResult,
  PriceChange,
  ProductRecord,
  ProductStore,
  SortField,
  TickRef,
} from './product-store.js';

const BATCH_WRITE_SIZE = 25;
const MAX_CONFLICT_RETRIES = 5;

interface Item {
  code: string;
  buying_cents: number;
  selling_cents: number;
  description: string;
  created_at: string;
  update_at: string;
  last_tick?: string;
  last_tick_at?: string;
}

function toRecord(item: Item): ProductRecord {
  return {
    code: item.code,
    buyingCents: Number(item.buying_cents),
    sellingCents: Number(item.selling_cents),
    description: item.description,
    createdAt: item.created_at,
    updateAt: item.update_at,
  };
}

function toItem(record: ProductRecord): Item {
  return {
    code: record.code,
    buying_cents: record.buyingCents,
    selling_cents: record.sellingCents,
    description: record.description,
    created_at: record.createdAt,
    update_at: record.updateAt,
  };
}

/** Turns SDK failures into store errors; lets store errors through. */
function translate(error: unknown, action: string): StoreError {
  if (error instanceof StoreError) return error;
  if (error instanceof ResourceNotFoundException) {
    return new StoreError(`${action}: table not found`, { cause: error });
  }

  return new StoreUnavailableError(`${action} failed`, { cause: error });
}

const SORT_KEY: Record<SortField, (record: ProductRecord) => string | number> =
  {
    code: (record) => record.code,
    buying_price: (record) => record.buyingCents,
    selling_price: (record) => record.sellingCents,
    description: (record) => record.description,
  };

function compare(a: string | number, b: string | number): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

export class DynamoProductStore implements ProductStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly table: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async get(code: string): Promise<ProductRecord | undefined> {
    try {
      const { Item } = await this.doc.send(
        new GetCommand({ TableName: this.table, Key: { code } }),
      );
      return Item ? toRecord(Item as Item) : undefined;
    } catch (error) {
      throw translate(error, 'get product');
    }
  }

  // Reads the whole table for every page: cost grows with the catalogue.
  async list(query: ListQuery): Promise<ListResult> {
    const all: ProductRecord[] = [];
    try {
      for await (const page of paginateScan(
        { client: this.doc },
        { TableName: this.table },
      )) {
        for (const item of page.Items ?? []) all.push(toRecord(item as Item));
      }
    } catch (error) {
      throw translate(error, 'list products');
    }
    const { filters = {}, ordering } = query;
    const matching = all.filter(
      (record) =>
        (filters.buyingCents === undefined ||
          record.buyingCents === filters.buyingCents) &&
        (filters.sellingCents === undefined ||
          record.sellingCents === filters.sellingCents) &&
        (filters.description === undefined ||
          record.description === filters.description),
    );
    const key = SORT_KEY[ordering?.field ?? 'code'];
    const sign = ordering?.descending ? -1 : 1;
    matching.sort(
      (a, b) => sign * compare(key(a), key(b)) || compare(a.code, b.code),
    );

    return {
      count: matching.length,
      items: matching.slice(query.offset, query.offset + query.limit),
    };
  }

  async putMany(records: readonly ProductRecord[]): Promise<void> {
    try {
      for (let i = 0; i < records.length; i += BATCH_WRITE_SIZE) {
        const batch = records.slice(i, i + BATCH_WRITE_SIZE);
        let pending: Record<string, unknown>[] | undefined = batch.map(
          (record) => ({ PutRequest: { Item: toItem(record) } }),
        );
        while (pending && pending.length > 0) {
          const result = await this.doc.send(
            new BatchWriteCommand({
              RequestItems: { [this.table]: pending as never },
            }),
          );
          pending = result.UnprocessedItems?.[this.table] as
            | Record<string, unknown>[]
            | undefined;
        }
      }
    } catch (error) {
      throw translate(error, 'put products');
    }
  }

  async isEmpty(): Promise<boolean> {
    for await (const codes of this.scanCodes(1)) {
      if (codes.length > 0) return false;
    }
    return true;
  }

  async create(record: ProductRecord): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: toItem(record),
          ConditionExpression: 'attribute_not_exists(code)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new ProductExistsError(record.code, { cause: error });
      }
      throw translate(error, 'create product');
    }
  }

  async replace(
    record: ProductRecord,
    expectedUpdateAt?: string,
  ): Promise<ProductRecord> {
    const guard = expectedUpdateAt === undefined ? '' : ' AND update_at = :was';
    try {
      const { Attributes } = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { code: record.code },
          UpdateExpression:
            'SET buying_cents = :buying, selling_cents = :selling, ' +
            'description = :description, update_at = :now',
          ConditionExpression: `attribute_exists(code)${guard}`,
          ExpressionAttributeValues: {
            ':buying': record.buyingCents,
            ':selling': record.sellingCents,
            ':description': record.description,
            ':now': record.updateAt,
            ...(expectedUpdateAt !== undefined && { ':was': expectedUpdateAt }),
          },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return toRecord(Attributes as Item);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw (await this.get(record.code))
          ? new ConflictError(record.code, { cause: error })
          : new ProductMissingError(record.code, { cause: error });
      }
      throw translate(error, 'replace product');
    }
  }

  async delete(code: string): Promise<ProductRecord | undefined> {
    try {
      const { Attributes } = await this.doc.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { code },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return Attributes ? toRecord(Attributes as Item) : undefined;
    } catch (error) {
      throw translate(error, 'delete product');
    }
  }

  async *scanCodes(batchSize = 100): AsyncIterable<string[]> {
    try {
      for await (const page of paginateScan(
        { client: this.doc, pageSize: batchSize },
        {
          TableName: this.table,
          ProjectionExpression: 'code',
          Limit: batchSize,
        },
      )) {
        yield (page.Items ?? []).map((item) => String(item.code));
      }
    } catch (error) {
      throw translate(error, 'scan product codes');
    }
  }

  async applyTick(
    code: string,
    tick: TickRef,
    price: (sellingCents: number) => number,
    now: string,
  ): Promise<PriceChange> {
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const current = await this.readForTick(code);
      if (!current) return { status: 'missing' };
      if (
        current.last_tick_at !== undefined &&
        current.last_tick_at >= tick.at
      ) {
        return { status: 'already-applied' };
      }
      const result = await this.writeTick(current, tick, price, now);
      if (result) return result;
    }

    throw new ConflictError(code);
  }

  private async readForTick(code: string): Promise<Item | undefined> {
    try {
      const { Item } = await this.doc.send(
        new GetCommand({
          TableName: this.table,
          Key: { code },
          ConsistentRead: true,
        }),
      );
      return Item as Item | undefined;
    } catch (error) {
      throw translate(error, 'read product for tick');
    }
  }

  /** One conditional write; undefined when the product moved meanwhile. */
  private async writeTick(
    current: Item,
    tick: TickRef,
    price: (sellingCents: number) => number,
    now: string,
  ): Promise<PriceChange | undefined> {
    const wanted = price(Number(current.selling_cents));
    const capped = wanted > MAX_CENTS;
    const selling = capped ? MAX_CENTS : wanted;
    try {
      const { Attributes } = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { code: current.code },
          UpdateExpression:
            'SET selling_cents = :new, update_at = :now, ' +
            'last_tick = :tick, last_tick_at = :at',
          ConditionExpression:
            'selling_cents = :old AND ' +
            '(attribute_not_exists(last_tick_at) OR last_tick_at < :at)',
          ExpressionAttributeValues: {
            ':new': selling,
            ':old': current.selling_cents,
            ':now': now,
            ':tick': tick.id,
            ':at': tick.at,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return {
        status: 'updated',
        record: toRecord(Attributes as Item),
        capped,
      };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw translate(error, 'apply price tick');
    }
  }
}

/** Creates the products table when it does not exist (local and tests). */
export async function ensureTable(
  client: DynamoDBClient,
  table: string,
): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: table }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) {
      throw translate(error, 'describe table');
    }
  }
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'code', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'code', KeyType: 'HASH' }],
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
