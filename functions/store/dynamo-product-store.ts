/**
 * The products store on DynamoDB. Product items (one per product):
 *
 *   code (S, key) | buying_cents (N) | selling_cents (N) | description (S)
 *   created_at (S) | update_at (S) | last_tick (S) | last_tick_at (S)
 *   ticks (L of S: "<scheduled at>|<tick id>", the most recent applied)
 *   lp (S, "P") | kb, ks, kd (S): sort keys of the list indexes
 *
 * Beside them live the counter items of the rank trees (rank-tree.ts),
 * keyed `~n#<ordering>#<prefix>`, which make `count` one read and let a
 * page start at any offset after a few reads. Counters change after the
 * product write they follow, not in one transaction with it (dynalite,
 * the local default, has no transactions): right after it for API
 * writes, and summed over many products for price ticks (applyTicks,
 * flushPending). A process that dies between the two leaves counts off
 * until rebuildCounters() runs.
 */
import { randomBytes } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { MAX_CENTS } from '../../protocol/money.js';
import { inParallel } from '../shared/in-parallel.js';
import {
  appliedTicks,
  hasTick,
  RECENT_TICKS,
  type TickMarks,
  tickEntry,
  tickWriter,
  tooOld,
} from './applied-ticks.js';
import {
  ConflictError,
  ProductExistsError,
  ProductMissingError,
  StoreError,
  translate,
} from './errors.js';
import type {
  AbandonedCounts,
  LateChange,
  ListQuery,
  ListResult,
  PriceChange,
  ProductRecord,
  ProductStore,
  SortField,
  TickOutcome,
  TickRef,
} from './product-store.js';
import {
  addPath,
  compareKeys,
  type Deltas,
  isNodeId,
  locate,
  NODE_PREFIX,
  type NodeCounts,
  nodeId,
} from './rank-tree.js';
import { SORT_FIELDS, sortKey, valuePrefix } from './sort-keys.js';
import {
  LIST_PARTITION,
  LIST_PARTITION_ATTRIBUTE,
  SORT_INDEXES,
} from './table-schema.js';

const BATCH_WRITE_SIZE = 25;
const BATCH_GET_SIZE = 100;
const MAX_CONFLICT_RETRIES = 12;
/** Pause before trying a contended tick write again, grows per try. */
const CONFLICT_PAUSE_MS = 10;
const PARALLEL_WRITES = 16;
/**
 * The item naming the writers that hold counter changes back. Its key
 * is a counter item's, so a reindex, which rewrites all counters,
 * removes it.
 */
const PENDING_ID = `${NODE_PREFIX}pending`;
const WRITER_PREFIX = 'w:';
/**
 * A counter item's last flush number per writer. Each store instance
 * that ever flushed an item leaves one such attribute on it (about 50
 * bytes) until a reindex rewrites the item.
 */
const FLUSH_PREFIX = 'f:';

interface Item extends TickMarks {
  code: string;
  buying_cents: number;
  selling_cents: number;
  description: string;
  created_at: string;
  update_at: string;
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

function toItem(record: ProductRecord): Record<string, unknown> {
  return {
    code: record.code,
    buying_cents: record.buyingCents,
    selling_cents: record.sellingCents,
    description: record.description,
    created_at: record.createdAt,
    update_at: record.updateAt,
    [LIST_PARTITION_ATTRIBUTE]: LIST_PARTITION,
    kb: sortKey('buying_price', record),
    ks: sortKey('selling_price', record),
    kd: sortKey('description', record),
  };
}

/** Counter changes for a product going from `before` to `after`. */
function changeDeltas(
  deltas: Deltas,
  before: ProductRecord | undefined,
  after: ProductRecord | undefined,
  fields: readonly SortField[] = SORT_FIELDS,
): Deltas {
  for (const field of fields) {
    if (before) addPath(deltas, field, sortKey(field, before), -1);
    if (after) addPath(deltas, field, sortKey(field, after), 1);
  }

  return deltas;
}

/** A price change with the product as it was, for its counters. */
type UpdatedTick = Extract<PriceChange, { status: 'updated' }> & {
  before: ProductRecord;
};
type TickChange = Exclude<PriceChange, { status: 'updated' }> | UpdatedTick;

interface TickWrite {
  tick: TickRef;
  price: (sellingCents: number) => number;
  now: string;
}

function validCents(cents: number): boolean {
  return Number.isSafeInteger(cents) && cents >= 0 && cents <= MAX_CENTS;
}

export class DynamoProductStore implements ProductStore {
  private readonly doc: DynamoDBDocumentClient;
  /**
   * Since construction, for measurements: items read, and single-item
   * writes of products (ticks, creates, replaces, deletes) and counters.
   */
  readonly stats = { itemsRead: 0, productWrites: 0, counterWrites: 0 };
  /** Counter changes of written ticks, until flushPending() writes them. */
  private pendingCounts: Deltas = new Map();
  /** This store's name in the pending-counts item while it holds some. */
  private readonly writer = randomBytes(9).toString('base64url');
  private marked = false;
  /** Counter writes sent without an answer, by item: resent as they were. */
  private readonly unanswered = new Map<
    string,
    { seq: number; changes: Map<string, number> }
  >();
  private flushSeq = 0;
  /** Tick writes sent without an answer yet, by "<tick id>|<code>". */
  private readonly inDoubt = new Map<
    string,
    { tick: TickRef; change: UpdatedTick }
  >();

  constructor(
    client: DynamoDBClient,
    private readonly table: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async get(code: string): Promise<ProductRecord | undefined> {
    if (isNodeId(code)) return undefined;
    try {
      const { Item } = await this.doc.send(
        new GetCommand({ TableName: this.table, Key: { code } }),
      );
      this.stats.itemsRead += 1;
      return Item ? toRecord(Item as Item) : undefined;
    } catch (error) {
      throw translate(error, 'get product');
    }
  }

  async list(query: ListQuery): Promise<ListResult> {
    const { filters = {} } = query;
    const filtered =
      filters.buyingCents !== undefined ||
      filters.sellingCents !== undefined ||
      filters.description !== undefined;
    try {
      return filtered
        ? await this.listFiltered(query)
        : await this.listPage(query);
    } catch (error) {
      throw translate(error, 'list products');
    }
  }

  /** A page of the whole catalogue: a few counter reads, then the page. */
  private async listPage(query: ListQuery): Promise<ListResult> {
    const field = query.ordering?.field ?? 'code';
    const descending = query.ordering?.descending ?? false;
    const nodes = new Map<string, Promise<NodeCounts>>();
    const readNode = (id: string) => {
      if (!nodes.has(id)) nodes.set(id, this.readNode(id));
      return nodes.get(id) as Promise<NodeCounts>;
    };
    const root = await readNode(nodeId(field, ''));
    const count = root.reduce((sum, [, n]) => sum + n, 0);
    if (query.offset >= count) return { count, items: [] };
    const end = descending ? count - query.offset : query.offset + query.limit;
    const start = descending
      ? Math.max(0, count - query.offset - query.limit)
      : query.offset;
    const wanted = Math.min(end, count) - start;

    const { prefix, skip } = await locate(field, start, readNode);
    const items = (await this.queryFrom(field, prefix, skip + wanted)).slice(
      skip,
      skip + wanted,
    );

    return { count, items: descending ? items.reverse() : items };
  }

  /**
   * A filtered page: the matches of one exact filter come from its index
   * (the other filters apply on the way), then sort and slice in memory.
   * Reads grow with the number of matches, not with the catalogue.
   */
  private async listFiltered(query: ListQuery): Promise<ListResult> {
    const { buyingCents, sellingCents, description } = query.filters ?? {};
    for (const cents of [buyingCents, sellingCents]) {
      if (cents !== undefined && !validCents(cents)) {
        return { count: 0, items: [] };
      }
    }
    const primary: Exclude<SortField, 'code'> =
      sellingCents !== undefined
        ? 'selling_price'
        : buyingCents !== undefined
          ? 'buying_price'
          : 'description';
    const value =
      primary === 'selling_price'
        ? sellingCents
        : primary === 'buying_price'
          ? buyingCents
          : description;
    const conditions: string[] = [];
    const values: Record<string, unknown> = {};
    if (buyingCents !== undefined && primary !== 'buying_price') {
      conditions.push('buying_cents = :b');
      values[':b'] = buyingCents;
    }
    if (description !== undefined && primary !== 'description') {
      conditions.push('description = :d');
      values[':d'] = description;
    }
    const index = SORT_INDEXES[primary];
    const matches: ProductRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: index.indexName,
          KeyConditionExpression: '#lp = :lp AND begins_with(#sk, :prefix)',
          ...(conditions.length > 0 && {
            FilterExpression: conditions.join(' AND '),
          }),
          ExpressionAttributeNames: {
            '#lp': LIST_PARTITION_ATTRIBUTE,
            '#sk': index.sortKey,
          },
          ExpressionAttributeValues: {
            ':lp': LIST_PARTITION,
            ':prefix': valuePrefix(primary, value as number | string),
            ...values,
          },
          ExclusiveStartKey: start,
        }),
      );
      this.stats.itemsRead += page.ScannedCount ?? 0;
      for (const item of page.Items ?? []) matches.push(toRecord(item as Item));
      start = page.LastEvaluatedKey;
    } while (start);
    const field = query.ordering?.field ?? 'code';
    const sign = query.ordering?.descending ? -1 : 1;
    matches.sort(
      (a, b) => sign * compareKeys(sortKey(field, a), sortKey(field, b)),
    );

    return {
      count: matches.length,
      items: matches.slice(query.offset, query.offset + query.limit),
    };
  }

  private async readNode(id: string): Promise<NodeCounts> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { code: id } }),
    );
    this.stats.itemsRead += 1;

    return Object.entries(Item ?? {})
      .filter(([name]) => name.startsWith('='))
      .map(([name, count]) => [name.slice(1), Number(count)]);
  }

  /** Up to `want` products in index order, from the first at `prefix`. */
  private async queryFrom(
    field: SortField,
    prefix: string,
    want: number,
  ): Promise<ProductRecord[]> {
    const index = SORT_INDEXES[field];
    const records: ProductRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const input: QueryCommandInput = {
        TableName: this.table,
        IndexName: index.indexName,
        KeyConditionExpression:
          prefix === '' ? '#lp = :lp' : '#lp = :lp AND #sk >= :from',
        ExpressionAttributeNames: {
          '#lp': LIST_PARTITION_ATTRIBUTE,
          ...(prefix !== '' && { '#sk': index.sortKey }),
        },
        ExpressionAttributeValues: {
          ':lp': LIST_PARTITION,
          ...(prefix !== '' && { ':from': prefix }),
        },
        Limit: want - records.length,
        ExclusiveStartKey: start,
      };
      const page = await this.doc.send(new QueryCommand(input));
      this.stats.itemsRead += page.ScannedCount ?? 0;
      for (const item of page.Items ?? []) records.push(toRecord(item as Item));
      start = page.LastEvaluatedKey;
    } while (start && records.length < want);

    return records;
  }

  private async applyDeltas(deltas: Deltas): Promise<void> {
    const failed = await this.writeDeltas(deltas);
    if (failed.size > 0) throw [...failed.values()][0];
  }

  /**
   * ADDs each counter item's changes, PARALLEL_WRITES at a time, going
   * on past failures; answers the items that failed and why. With
   * `flush`, each write is this store's flush number `seq` for the item,
   * applied at most once however often it is sent: the item remembers
   * the last number of each writer.
   */
  private async writeDeltas(
    deltas: Deltas,
    flush?: (id: string) => number,
  ): Promise<Map<string, unknown>> {
    const failed = new Map<string, unknown>();
    await inParallel([...deltas], PARALLEL_WRITES, async ([id, symbols]) => {
      const names: Record<string, string> = {};
      const values: Record<string, number> = {};
      const parts = [...symbols].map(([symbol, change], i) => {
        names[`#s${i}`] = `=${symbol}`;
        values[`:v${i}`] = change;
        return `#s${i} :v${i}`;
      });
      const seq = flush?.(id);
      if (seq !== undefined) {
        names['#f'] = FLUSH_PREFIX + this.writer;
        values[':seq'] = seq;
      }
      try {
        this.stats.counterWrites += 1;
        await this.doc.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { code: id },
            UpdateExpression:
              `ADD ${parts.join(', ')}` +
              (seq === undefined ? '' : ' SET #f = :seq'),
            ...(seq !== undefined && {
              ConditionExpression: 'attribute_not_exists(#f) OR #f < :seq',
            }),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        );
      } catch (error) {
        // Refused for its number: an earlier send of it was applied.
        if (error instanceof ConditionalCheckFailedException) return;
        failed.set(id, error);
      }
    });

    return failed;
  }

  /**
   * Counts one API write at once. These ADDs carry no flush number: one
   * whose answer is lost and that is sent again counts twice.
   */
  private async counted(
    action: string,
    before: ProductRecord | undefined,
    after: ProductRecord | undefined,
    fields?: readonly SortField[],
  ): Promise<void> {
    try {
      await this.applyDeltas(changeDeltas(new Map(), before, after, fields));
    } catch (error) {
      throw translate(error, action);
    }
  }

  async putMany(records: readonly ProductRecord[]): Promise<void> {
    const latest = new Map(records.map((record) => [record.code, record]));
    const unique = [...latest.values()];
    const deltas: Deltas = new Map();
    try {
      for (let i = 0; i < unique.length; i += BATCH_GET_SIZE) {
        const chunk = unique.slice(i, i + BATCH_GET_SIZE);
        const before = await this.getMany(chunk.map((record) => record.code));
        await this.writeBatches(chunk.map(toItem));
        for (const record of chunk) {
          changeDeltas(deltas, before.get(record.code), record);
        }
      }
      await this.applyDeltas(deltas);
    } catch (error) {
      throw translate(error, 'put products');
    }
  }

  private async getMany(codes: string[]): Promise<Map<string, ProductRecord>> {
    const items = await this.getItems(codes);

    return new Map([...items].map(([code, item]) => [code, toRecord(item)]));
  }

  /** Consistent reads, BATCH_GET_SIZE products a request. */
  private async getItems(codes: readonly string[]): Promise<Map<string, Item>> {
    const found = new Map<string, Item>();
    const unique = [...new Set(codes)];
    for (let i = 0; i < unique.length; i += BATCH_GET_SIZE) {
      const chunk = unique.slice(i, i + BATCH_GET_SIZE);
      await this.readBatch(chunk, found);
    }

    return found;
  }

  private async readBatch(
    codes: readonly string[],
    found: Map<string, Item>,
  ): Promise<void> {
    let keys: Record<string, unknown>[] = codes.map((code) => ({ code }));
    while (keys.length > 0) {
      const result = await this.doc.send(
        new BatchGetCommand({
          RequestItems: {
            [this.table]: { Keys: keys, ConsistentRead: true },
          },
        }),
      );
      for (const item of result.Responses?.[this.table] ?? []) {
        this.stats.itemsRead += 1;
        found.set(String(item.code), item as Item);
      }
      keys = (result.UnprocessedKeys?.[this.table]?.Keys ?? []) as Record<
        string,
        unknown
      >[];
    }
  }

  private async writeBatches(
    items: Record<string, unknown>[],
    parallel = 1,
  ): Promise<void> {
    const batches: Record<string, unknown>[][] = [];
    for (let i = 0; i < items.length; i += BATCH_WRITE_SIZE) {
      batches.push(items.slice(i, i + BATCH_WRITE_SIZE));
    }
    await inParallel(batches, parallel, async (batch) => {
      let pending: Record<string, unknown>[] | undefined = batch.map(
        (item) => ({ PutRequest: { Item: item } }),
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
    });
  }

  /**
   * Loads products into an empty table quickly: products and counter
   * items are written whole, in parallel batches, with no reads. For
   * seeding and benchmarks; StoreError when the table is not empty.
   */
  async loadEmpty(records: readonly ProductRecord[]): Promise<void> {
    if (!(await this.isEmpty())) {
      throw new StoreError('loadEmpty needs an empty table');
    }
    const deltas: Deltas = new Map();
    for (const record of records) changeDeltas(deltas, undefined, record);
    try {
      await this.writeBatches(records.map(toItem), PARALLEL_WRITES);
      await this.writeBatches(nodeItems(deltas), PARALLEL_WRITES);
    } catch (error) {
      throw translate(error, 'load products');
    }
  }

  /**
   * Recounts every rank tree from the products themselves and rewrites
   * the counters: the repair after a process died between a product
   * write and its counter update. Run it while nothing else writes.
   */
  async rebuildCounters(): Promise<{ products: number; counters: number }> {
    const deltas: Deltas = new Map();
    const stale = new Set<string>();
    let products = 0;
    try {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await this.doc.send(
          new ScanCommand({ TableName: this.table, ExclusiveStartKey: start }),
        );
        for (const item of page.Items ?? []) {
          const code = String(item.code);
          if (isNodeId(code)) {
            stale.add(code);
          } else {
            products += 1;
            changeDeltas(deltas, undefined, toRecord(item as Item));
          }
        }
        start = page.LastEvaluatedKey;
      } while (start);
      const fresh = nodeItems(deltas);
      for (const item of fresh) stale.delete(String(item.code));
      await this.writeBatches(fresh, PARALLEL_WRITES);
      await inParallel([...stale], PARALLEL_WRITES, async (code) => {
        await this.doc.send(
          new DeleteCommand({ TableName: this.table, Key: { code } }),
        );
      });

      return { products, counters: fresh.length };
    } catch (error) {
      throw translate(error, 'rebuild counters');
    }
  }

  async isEmpty(): Promise<boolean> {
    try {
      const root = await this.readNode(nodeId('code', ''));
      return root.every(([, count]) => count <= 0);
    } catch (error) {
      throw translate(error, 'count products');
    }
  }

  async *scanCodes(batchSize = 100): AsyncIterable<string[]> {
    let start: Record<string, unknown> | undefined;
    try {
      do {
        const page = await this.doc.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: SORT_INDEXES.code.indexName,
            KeyConditionExpression: '#lp = :lp',
            ExpressionAttributeNames: { '#lp': LIST_PARTITION_ATTRIBUTE },
            ExpressionAttributeValues: { ':lp': LIST_PARTITION },
            ProjectionExpression: 'code',
            Limit: batchSize,
            ExclusiveStartKey: start,
          }),
        );
        start = page.LastEvaluatedKey;
        const codes = (page.Items ?? []).map((item) => String(item.code));
        if (codes.length > 0) yield codes;
      } while (start);
    } catch (error) {
      throw translate(error, 'scan product codes');
    }
  }

  async create(record: ProductRecord): Promise<void> {
    try {
      this.stats.productWrites += 1;
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
    await this.counted('count created product', undefined, record);
  }

  async replace(
    record: ProductRecord,
    expectedUpdateAt?: string,
  ): Promise<ProductRecord> {
    const guard = expectedUpdateAt === undefined ? '' : ' AND update_at = :was';
    const item = toItem(record);
    let before: ProductRecord;
    try {
      this.stats.productWrites += 1;
      const { Attributes } = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { code: record.code },
          UpdateExpression:
            'SET buying_cents = :buying, selling_cents = :selling, ' +
            'description = :description, update_at = :now, ' +
            'kb = :kb, ks = :ks, kd = :kd',
          ConditionExpression: `attribute_exists(lp)${guard}`,
          ExpressionAttributeValues: {
            ':buying': record.buyingCents,
            ':selling': record.sellingCents,
            ':description': record.description,
            ':now': record.updateAt,
            ':kb': item.kb,
            ':ks': item.ks,
            ':kd': item.kd,
            ...(expectedUpdateAt !== undefined && { ':was': expectedUpdateAt }),
          },
          ReturnValues: 'ALL_OLD',
        }),
      );
      before = toRecord(Attributes as Item);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw (await this.get(record.code))
          ? new ConflictError(record.code, { cause: error })
          : new ProductMissingError(record.code, { cause: error });
      }
      throw translate(error, 'replace product');
    }
    await this.counted('count replaced product', before, record);

    return before;
  }

  async delete(code: string): Promise<ProductRecord | undefined> {
    if (isNodeId(code)) return undefined;
    let before: ProductRecord | undefined;
    try {
      this.stats.productWrites += 1;
      const { Attributes } = await this.doc.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { code },
          ReturnValues: 'ALL_OLD',
        }),
      );
      before = Attributes ? toRecord(Attributes as Item) : undefined;
    } catch (error) {
      throw translate(error, 'delete product');
    }
    if (before) await this.counted('count deleted product', before, undefined);

    return before;
  }

  async applyTick(
    code: string,
    tick: TickRef,
    price: (sellingCents: number) => number,
    now: string,
  ): Promise<PriceChange> {
    const [outcome] = await this.applyTicks([code], tick, price, now);
    if (!outcome || outcome.status === 'failed') throw outcome?.error;
    await this.flushPending();
    const { code: _, ...change } = outcome;

    return change;
  }

  /**
   * One consistent batch read, then one conditional write per product
   * whose price moves. The selling-price counters of the changes are
   * only gathered: flushPending() writes them, summed, so a tick costs
   * at most one write per counter item it moves between flushes rather
   * than a few per product.
   */
  async applyTicks(
    codes: readonly string[],
    tick: TickRef,
    price: (sellingCents: number) => number,
    now: string,
    concurrency = PARALLEL_WRITES,
  ): Promise<TickOutcome[]> {
    const unique = [...new Set(codes)];
    const products = unique.filter((code) => !isNodeId(code));
    let read: Map<string, Item>;
    try {
      read = await this.getItems(products);
    } catch (error) {
      const failure = translate(error, 'read products for tick');
      return codes.map((code) => ({ code, status: 'failed', error: failure }));
    }
    const outcomes = new Map<string, TickOutcome>();
    // Marked once per batch, before its first write, and only then.
    let marking: Promise<void> | undefined;
    const mark = () => {
      marking ??= this.markPending();
      return marking;
    };
    await inParallel(unique, concurrency, async (code) => {
      try {
        const change = await this.tickOne(
          code,
          read.get(code),
          tick,
          price,
          now,
          mark,
        );
        if (change.status === 'updated') {
          const { before: _, ...rest } = this.holdBack(change);
          outcomes.set(code, { code, ...rest });
        } else {
          outcomes.set(code, { code, ...change });
        }
      } catch (error) {
        outcomes.set(code, { code, status: 'failed', error });
      }
    });

    return codes.map((code) => outcomes.get(code) as TickOutcome);
  }

  /** Gathers a tick change's selling-price counter moves for a flush. */
  private holdBack(change: UpdatedTick): UpdatedTick {
    changeDeltas(this.pendingCounts, change.before, change.record, [
      'selling_price',
    ]);

    return change;
  }

  /**
   * Writes the gathered counter changes, each under a flush number, so
   * one resent after a lost answer is added once. What fails stays
   * pending for the next call. A process that stops with changes
   * pending leaves the selling-price counters off by them until
   * `npm run products -- reindex`; other writers warn of it meanwhile.
   */
  async flushPending(): Promise<LateChange[]> {
    const held =
      this.pendingCounts.size + this.unanswered.size + this.inDoubt.size;
    if (this.marked && held > 0) {
      await this.markPending().catch((error: unknown) => {
        throw translate(error, 'mark pending counts');
      });
    }
    const late = await this.settleInDoubt();
    // Writes without an answer go again first, under their own number.
    const resent = new Map(this.unanswered);
    const retried = await this.writeDeltas(
      new Map([...resent].map(([id, { changes }]) => [id, changes])),
      (id) => resent.get(id)?.seq ?? 0,
    );
    for (const id of resent.keys()) {
      if (!retried.has(id)) this.unanswered.delete(id);
    }
    // Then the rest, under a new number, except for items still unsure.
    const seq = ++this.flushSeq;
    const fresh: Deltas = new Map();
    for (const [id, changes] of this.pendingCounts) {
      if (!this.unanswered.has(id)) fresh.set(id, changes);
    }
    for (const id of fresh.keys()) this.pendingCounts.delete(id);
    const failed = await this.writeDeltas(fresh, () => seq);
    for (const id of failed.keys()) {
      this.unanswered.set(id, { seq, changes: fresh.get(id) ?? new Map() });
    }
    const unsure = this.unanswered.size + this.pendingCounts.size;
    if (unsure === 0) {
      await this.unmarkPending();
      return late;
    }
    const cause = [...failed.values(), ...retried.values()][0];
    throw translate(cause, 'count price changes');
  }

  /**
   * Looks up the tick writes still in doubt (their run failed before it
   * could): one that landed is counted now, and answered for announcing
   * when the product has not changed since. If the flush then fails,
   * the counts stay pending but the announcements are not made.
   */
  private async settleInDoubt(): Promise<LateChange[]> {
    if (this.inDoubt.size === 0) return [];
    const entries = [...this.inDoubt];
    const codes = entries.map(([, { change }]) => change.record.code);
    const items = await this.getItems(codes).catch((error: unknown) => {
      throw translate(error, 'read products in doubt');
    });
    const late: LateChange[] = [];
    for (const [key, { tick, change }] of entries) {
      this.inDoubt.delete(key);
      const item = items.get(change.record.code);
      if (!item || tickWriter(appliedTicks(item), tick) !== this.writer) {
        continue;
      }
      this.holdBack(change);
      if (item.update_at === change.record.updateAt) {
        late.push({ tick: tick.id, record: change.record });
      }
    }

    return late;
  }

  async abandonedCounts(staleMs: number): Promise<AbandonedCounts[]> {
    try {
      const { Item } = await this.doc.send(
        new GetCommand({
          TableName: this.table,
          Key: { code: PENDING_ID },
          ConsistentRead: true,
        }),
      );
      const cutoff = Date.now() - staleMs;

      return Object.entries(Item ?? {})
        .filter(([name]) => name.startsWith(WRITER_PREFIX))
        .map(([name, lastSeen]) => ({
          writer: name.slice(WRITER_PREFIX.length),
          lastSeen: String(lastSeen),
        }))
        .filter(
          ({ writer, lastSeen }) =>
            writer !== this.writer && Date.parse(lastSeen) <= cutoff,
        );
    } catch (error) {
      throw translate(error, 'read pending counts');
    }
  }

  /**
   * Names this store in the pending-counts item, with the time, before
   * it writes products whose counters it holds back; refreshed at each
   * batch, so a writer not heard from for long has stopped. A mark gone
   * since the last one means a reindex ran: it counted every product as
   * it stood, so the changes held back from before are dropped.
   */
  private async markPending(): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { code: PENDING_ID },
          UpdateExpression: 'SET #writer = :now',
          ...(this.marked && {
            ConditionExpression: 'attribute_exists(#writer)',
          }),
          ExpressionAttributeNames: { '#writer': WRITER_PREFIX + this.writer },
          ExpressionAttributeValues: { ':now': new Date().toISOString() },
        }),
      );
      this.marked = true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      this.pendingCounts = new Map();
      this.unanswered.clear();
      this.inDoubt.clear();
      this.marked = false;
      await this.markPending();
    }
  }

  private async unmarkPending(): Promise<void> {
    if (!this.marked) return;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { code: PENDING_ID },
          UpdateExpression: 'REMOVE #writer',
          ExpressionAttributeNames: { '#writer': WRITER_PREFIX + this.writer },
        }),
      );
      this.marked = false;
    } catch (error) {
      throw translate(error, 'clear pending counts');
    }
  }

  private async tickOne(
    code: string,
    prefetched: Item | undefined,
    tick: TickRef,
    price: (sellingCents: number) => number,
    now: string,
    mark: () => Promise<void>,
  ): Promise<TickChange> {
    const key = `${tick.id}|${code}`;
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      if (attempt > 0) await pause(CONFLICT_PAUSE_MS * attempt * Math.random());
      const current = attempt === 0 ? prefetched : await this.readForTick(code);
      const applied = current ? appliedTicks(current) : [];
      if (current && hasTick(applied, tick)) {
        return this.settle(key, applied, tick);
      }
      this.inDoubt.delete(key);
      if (!current) return { status: 'missing' };
      if (tooOld(applied, tick)) return { status: 'too-old' };
      const result = await this.writeTick(
        current,
        applied,
        { tick, price, now },
        mark,
      );
      if (result) return result;
    }

    throw new ConflictError(code);
  }

  /**
   * A product the tick is applied to: this store's own write whose
   * answer was lost (a timeout, or a retry that found it done), which
   * still needs its counters and event, or another writer's, as the
   * tick's entry on the product says.
   */
  private settle(
    key: string,
    applied: readonly string[],
    tick: TickRef,
  ): TickChange {
    const own = this.inDoubt.get(key);
    this.inDoubt.delete(key);
    if (own && tickWriter(applied, tick) === this.writer) return own.change;

    return { status: 'already-applied' };
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
      this.stats.itemsRead += 1;
      return Item as Item | undefined;
    } catch (error) {
      throw translate(error, 'read product for tick');
    }
  }

  /** One conditional write; undefined when the product moved meanwhile. */
  private async writeTick(
    current: Item,
    applied: readonly string[],
    { tick, price, now }: TickWrite,
    mark: () => Promise<void>,
  ): Promise<TickChange | undefined> {
    const wanted = price(Number(current.selling_cents));
    const capped = wanted > MAX_CENTS;
    const selling = capped ? MAX_CENTS : wanted;
    if (selling === Number(current.selling_cents))
      return { status: 'unchanged' };
    const before = toRecord(current);
    const next = { ...before, sellingCents: selling, updateAt: now };
    const entry = tickEntry(tick, this.writer);
    const ticks = [...applied, entry].sort().slice(-RECENT_TICKS);
    const newest = ticks.at(-1) === entry;
    try {
      await mark();
    } catch (error) {
      throw translate(error, 'mark pending counts');
    }
    // Until an answer comes, the write may or may not have landed.
    const key = `${tick.id}|${current.code}`;
    this.inDoubt.set(key, {
      tick,
      change: { status: 'updated', record: next, capped, before },
    });
    try {
      this.stats.productWrites += 1;
      const { Attributes } = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { code: current.code },
          UpdateExpression:
            'SET selling_cents = :new, ks = :ks, update_at = :now, ' +
            'ticks = :ticks' +
            (newest ? ', last_tick = :tick, last_tick_at = :at' : ''),
          // The product as read: same price, same moment.
          ConditionExpression: 'selling_cents = :old AND update_at = :was',
          ExpressionAttributeValues: {
            ':new': selling,
            ':ks': sortKey('selling_price', next),
            ':old': current.selling_cents,
            ':was': current.update_at,
            ':now': now,
            ':ticks': ticks,
            ...(newest && { ':tick': tick.id, ':at': tick.at }),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      this.inDoubt.delete(key);
      return {
        status: 'updated',
        record: toRecord(Attributes as Item),
        capped,
        before,
      };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw translate(error, 'apply price tick');
    }
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whole counter items for counts built from nothing. */
function nodeItems(deltas: Deltas): Record<string, unknown>[] {
  return [...deltas].map(([id, symbols]) => {
    const item: Record<string, unknown> = { code: id };
    for (const [symbol, count] of symbols) item[`=${symbol}`] = count;
    return item;
  });
}
