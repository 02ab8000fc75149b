import { ScanCommand, type ScanCommandInput } from '@aws-sdk/client-dynamodb';
import { multiplyCents, parseFactor } from '../../protocol/money.js';
import { seededCatalogue } from '../../test/catalogue.js';
import { startDynalite, type TestDynamo } from '../../test/dynalite.js';
import { tickTask } from '../../test/price-chain.js';
import { silentEvents } from '../events/product-events.js';
import { memoryLogger } from '../shared/logger.js';
import { createPriceTask, type PriceTaskDeps } from '../worker/price-task.js';
import { DynamoProductStore } from './dynamo-product-store.js';
import { StoreUnavailableError } from './errors.js';
import type { ProductRecord, TickRef } from './product-store.js';

const SIZE = 300;
const FACTOR = parseFactor('1.10');
const price = (cents: number) => multiplyCents(cents, FACTOR);

/** Codes by selling price then code, worked out without the store. */
function bySellingPrice(records: ProductRecord[]): string[] {
  return [...records]
    .sort(
      (a, b) =>
        a.sellingCents - b.sellingCents ||
        Buffer.compare(Buffer.from(a.code), Buffer.from(b.code)),
    )
    .map((record) => record.code);
}

describe('price ticks in batches on dynalite', () => {
  let dynamo: TestDynamo;
  let store: DynamoProductStore;
  let records: ProductRecord[];
  /** While set, every counter write fails as if the network dropped it. */
  let failCounters: boolean;
  /** The item whose next write lands but answers as noted. */
  let lostAnswer:
    | { code: string | 'a counter'; as: 'dropped' | 'retried' }
    | undefined;

  beforeEach(async () => {
    dynamo = await startDynalite();
    failCounters = false;
    lostAnswer = undefined;
    dynamo.client.middlewareStack.add(
      (next, context) => async (args) => {
        // Plain values here: the document client marshals later on.
        const input = args.input as { Key?: { code?: unknown } };
        const key = String(input.Key?.code);
        const counter = key.startsWith('~n#') && key !== '~n#pending';
        const update = context.commandName === 'UpdateItemCommand';
        if (failCounters && update && counter) {
          throw new Error('connect ECONNREFUSED (injected)');
        }
        const lostHere =
          lostAnswer?.code === key ||
          (lostAnswer?.code === 'a counter' && counter);
        if (lostAnswer && lostHere && update) {
          const { as } = lostAnswer;
          lostAnswer = undefined;
          await next(args);
          if (as === 'dropped') throw new Error('socket hang up (injected)');
          return next(args);
        }
        return next(args);
      },
      { step: 'initialize', name: 'failCounters' },
    );
    store = new DynamoProductStore(dynamo.client, dynamo.table);
    records = seededCatalogue(SIZE, 3);
    await store.loadEmpty(records);
  });

  afterEach(async () => {
    await dynamo.stop();
  });

  const ticked = () =>
    records.map((record) => ({
      ...record,
      sellingCents: price(record.sellingCents),
    }));

  /** Selling-price counter items in the table, by a scan. */
  async function counterItems(): Promise<number> {
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await dynamo.client.send(
        new ScanCommand({
          TableName: dynamo.table,
          FilterExpression: 'begins_with(code, :tree)',
          ExpressionAttributeValues: { ':tree': { S: '~n#selling_price#' } },
          ExclusiveStartKey: start as ScanCommandInput['ExclusiveStartKey'],
        }),
      );
      count += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);

    return count;
  }

  async function expectPagesRight(want: ProductRecord[]) {
    const order = bySellingPrice(want);
    for (const descending of [false, true]) {
      const codes = descending ? [...order].reverse() : order;
      for (const offset of [0, 31, 150, SIZE - 20]) {
        const page = await store.list({
          offset,
          limit: 30,
          ordering: { field: 'selling_price', descending },
        });

        expect(page.count).toBe(SIZE);
        expect(page.items.map((record) => record.code)).toEqual(
          codes.slice(offset, offset + 30),
        );
      }
    }
  }

  it('answers one outcome per code, in the order asked', async () => {
    const [first, second] = records as [ProductRecord, ProductRecord];
    const tick: TickRef = { id: 'mixed', at: '2026-12-04T10:00:00.000Z' };
    await store.applyTick(second.code, tick, price, 'earlier');

    const outcomes = await store.applyTicks(
      [first.code, 'GONE', '~n#code#', second.code],
      tick,
      price,
      'now',
    );

    expect(outcomes.map(({ code, status }) => [code, status])).toEqual([
      [first.code, 'updated'],
      ['GONE', 'missing'],
      ['~n#code#', 'missing'],
      [second.code, 'already-applied'],
    ]);
    expect(outcomes[0]).toMatchObject({
      record: { sellingCents: price(first.sellingCents), updateAt: 'now' },
    });
  });

  it('changes a code asked twice in one batch once, answering the change for both', async () => {
    const [first] = records as [ProductRecord];
    const tick: TickRef = { id: 'twice', at: '2026-12-04T10:00:00.000Z' };

    const outcomes = await store.applyTicks(
      [first.code, first.code],
      tick,
      price,
      'now',
    );

    expect(outcomes.map(({ status }) => status)).toEqual([
      'updated',
      'updated',
    ]);
    expect((await store.get(first.code))?.sellingCents).toBe(
      price(first.sellingCents),
    );
  });

  it('writes no counter until flushed, then each counter item once', async () => {
    const tick: TickRef = { id: 'batch', at: '2026-12-04T10:00:00.000Z' };
    const codes = records.map((record) => record.code);
    const before = store.stats.counterWrites;

    for (let i = 0; i < codes.length; i += 100) {
      await store.applyTicks(codes.slice(i, i + 100), tick, price, 'now');
    }
    const unflushed = store.stats.counterWrites - before;
    await store.flushPending();
    const flushed = store.stats.counterWrites - before;
    await store.flushPending();

    const items = await counterItems();
    expect(unflushed).toBe(0);
    expect(flushed).toBeGreaterThan(0);
    expect(flushed).toBeLessThanOrEqual(items);
    expect(store.stats.counterWrites - before).toBe(flushed);
    await expectPagesRight(ticked());
  });

  it('keeps counter changes while their writes fail and writes them once after (failures injected in the SDK client)', async () => {
    const tick: TickRef = { id: 'outage', at: '2026-12-04T10:00:00.000Z' };
    const codes = records.map((record) => record.code);
    failCounters = true;

    const outcomes = await store.applyTicks(codes, tick, price, 'now');
    const whileDown = await store.flushPending().catch((error) => error);
    const againWhileDown = await store.flushPending().catch((error) => error);
    failCounters = false;
    await store.flushPending();

    expect(outcomes.every(({ status }) => status === 'updated')).toBe(true);
    expect(whileDown).toBeInstanceOf(StoreUnavailableError);
    expect(againWhileDown).toBeInstanceOf(StoreUnavailableError);
    await expectPagesRight(ticked());
  });

  it('fails a tick whose counters cannot be written and counts them on its rerun (failures injected in the SDK client)', async () => {
    const runTask = createPriceTask({
      store,
      events: silentEvents,
      logger: memoryLogger(),
    });
    const task = tickTask();
    failCounters = true;

    const failed = await runTask(task).catch((error) => error);
    failCounters = false;
    const rerun = await runTask(task);

    expect(failed).toBeInstanceOf(StoreUnavailableError);
    expect(rerun).toMatchObject({ changed: 0, skipped: SIZE });
    await expectPagesRight(ticked());
  });

  /** A price task whose events note the counter writes made so far. */
  function notingTask(
    flush?: PriceTaskDeps['flush'],
    stopping?: PriceTaskDeps['stopping'],
  ) {
    const counterWritesAtEvent: number[] = [];
    const runTask = createPriceTask({
      store,
      events: {
        publish: async () => {
          counterWritesAtEvent.push(store.stats.counterWrites);
        },
        close: async () => {},
      },
      logger: memoryLogger(),
      ...(flush && { concurrency: 4, flush }),
      stopping,
    });

    return { runTask, counterWritesAtEvent };
  }

  it.each([
    ['after a number of changes', { every: 100, intervalMs: 600_000 }],
    ['after an interval', { every: 1_000_000, intervalMs: 0 }],
  ])(
    'writes counters during a tick, not only at its end, %s',
    async (_name, flush) => {
      const { runTask, counterWritesAtEvent } = notingTask(flush);
      const before = store.stats.counterWrites;

      await runTask(tickTask());

      expect(counterWritesAtEvent).toHaveLength(SIZE);
      expect(counterWritesAtEvent[99]).toBe(before);
      expect(counterWritesAtEvent[100]).toBeGreaterThan(before);
      await expectPagesRight(ticked());
    },
  );

  it('writes counters after every batch once its host is stopping', async () => {
    let stopping = false;
    const { runTask, counterWritesAtEvent } = notingTask(
      undefined,
      () => stopping,
    );
    const before = store.stats.counterWrites;

    const running = runTask(tickTask());
    stopping = true;
    await running;

    expect(counterWritesAtEvent[99]).toBe(before);
    expect(counterWritesAtEvent[100]).toBeGreaterThan(before);
    expect(counterWritesAtEvent[200]).toBeGreaterThan(
      counterWritesAtEvent[199] as number,
    );
    await expectPagesRight(ticked());
  });

  it('writes counters only at the end of a tick smaller than a group', async () => {
    const { runTask, counterWritesAtEvent } = notingTask();
    const before = store.stats.counterWrites;

    await runTask(tickTask());

    expect(new Set(counterWritesAtEvent)).toEqual(new Set([before]));
    expect(store.stats.counterWrites).toBeGreaterThan(before);
    await expectPagesRight(ticked());
  });

  it('names itself as holding counter changes until it writes them', async () => {
    const other = new DynamoProductStore(dynamo.client, dynamo.table);
    const tick: TickRef = { id: 'held', at: '2026-12-04T10:00:00.000Z' };
    const codes = records.slice(0, 50).map((record) => record.code);

    await store.applyTicks(codes, tick, price, 'now');
    const seenWhileHeld = await other.abandonedCounts(0);
    const seenBySelf = await store.abandonedCounts(0);
    const seenAsLive = await other.abandonedCounts(60_000);
    await store.flushPending();
    const seenAfter = await other.abandonedCounts(0);

    expect(seenWhileHeld).toHaveLength(1);
    expect(seenBySelf).toEqual([]);
    expect(seenAsLive).toEqual([]);
    expect(seenAfter).toEqual([]);
  });

  it('warns at each tick of a writer that stopped holding counter changes, until a reindex', async () => {
    const stopped = new DynamoProductStore(dynamo.client, dynamo.table);
    const held = records.slice(0, 50).map((record) => record.code);
    await stopped.applyTicks(
      held,
      { id: 'lost', at: '2026-12-04T09:00:00.000Z' },
      price,
      'then',
    );
    const logger = memoryLogger();
    const runTask = createPriceTask({
      store,
      events: silentEvents,
      logger,
      abandonedAfterMs: 0,
    });
    const warnings = () =>
      logger.entries.filter(
        (entry) => entry.msg === 'list counters may be off',
      );

    await runTask(tickTask());
    await runTask(tickTask());
    const beforeReindex = warnings().length;
    await store.rebuildCounters();
    await runTask(tickTask());

    expect(beforeReindex).toBe(2);
    expect(warnings()[0]).toMatchObject({
      level: 'warn',
      writers: 1,
      fix: 'npm run products -- reindex',
    });
    expect(warnings()).toHaveLength(2);
    await expectPagesRight(
      records.map((record) => {
        const ticks = held.includes(record.code) ? 4 : 3;
        let sellingCents = record.sellingCents;
        for (let n = 0; n < ticks; n++) sellingCents = price(sellingCents);
        return { ...record, sellingCents };
      }),
    );
  });

  it.each([
    ['its answer is lost', 'dropped'],
    ['a retry of it finds it done', 'retried'],
  ] as const)(
    'counts and announces a tick write that landed when %s (injected in the SDK client)',
    async (_name, as) => {
      const announced: string[] = [];
      const runTask = createPriceTask({
        store,
        events: {
          publish: async (event) => {
            announced.push(event.code);
          },
          close: async () => {},
        },
        logger: memoryLogger(),
      });
      lostAnswer = { code: (records[42] as ProductRecord).code, as };

      const summary = await runTask(tickTask());

      expect(lostAnswer).toBeUndefined();
      expect(summary).toMatchObject({ changed: SIZE, skipped: 0 });
      expect(new Set(announced).size).toBe(SIZE);
      await expectPagesRight(ticked());
    },
  );

  it('counts a write whose answer was lost when it next flushes, announcing it while unchanged (injected in the SDK client)', async () => {
    const product = records[7] as ProductRecord;
    const tick: TickRef = { id: 'doubt', at: '2026-12-04T09:00:00.000Z' };
    lostAnswer = { code: product.code, as: 'dropped' };

    const [outcome] = await store.applyTicks([product.code], tick, price, 'n');
    const late = await store.flushPending();

    expect(outcome?.status).toBe('failed');
    expect(late).toEqual([
      {
        tick: 'doubt',
        record: expect.objectContaining({
          code: product.code,
          sellingCents: price(product.sellingCents),
        }),
      },
    ]);
    expect(await store.flushPending()).toEqual([]);
    await expectPagesRight(
      records.map((record) =>
        record.code === product.code
          ? { ...record, sellingCents: price(record.sellingCents) }
          : record,
      ),
    );
  });

  it('counts a lost-answer write under a later tick without announcing it (injected in the SDK client)', async () => {
    const product = records[7] as ProductRecord;
    lostAnswer = { code: product.code, as: 'dropped' };
    await store.applyTicks(
      [product.code],
      { id: 'first', at: '2026-12-04T09:00:00.000Z' },
      price,
      'n1',
    );

    const [second] = await store.applyTicks(
      [product.code],
      { id: 'second', at: '2026-12-04T09:01:00.000Z' },
      price,
      'n2',
    );
    const late = await store.flushPending();

    expect(second?.status).toBe('updated');
    expect(late).toEqual([]);
    await expectPagesRight(
      records.map((record) =>
        record.code === product.code
          ? { ...record, sellingCents: price(price(record.sellingCents)) }
          : record,
      ),
    );
  });

  it('names itself only once it writes, not for a batch already done', async () => {
    const rerun = new DynamoProductStore(dynamo.client, dynamo.table);
    const tick: TickRef = { id: 'done', at: '2026-12-04T09:00:00.000Z' };
    const codes = records.slice(0, 100).map((record) => record.code);
    await store.applyTicks(codes, tick, price, 'n');
    await store.flushPending();

    const outcomes = await rerun.applyTicks(codes, tick, price, 'n2');

    expect(new Set(outcomes.map(({ status }) => status))).toEqual(
      new Set(['already-applied']),
    );
    expect(await store.abandonedCounts(0)).toEqual([]);
  });

  it('drops counter changes it held back from before a reindex', async () => {
    const reindexer = new DynamoProductStore(dynamo.client, dynamo.table);
    const held = records.slice(0, 50).map((record) => record.code);
    failCounters = true;
    await store.applyTicks(
      held,
      { id: 'before', at: '2026-12-04T09:00:00.000Z' },
      price,
      'then',
    );
    const whileDown = await store.flushPending().catch((error) => error);
    failCounters = false;

    await reindexer.rebuildCounters();
    await store.flushPending();
    const later = records.slice(50).map((record) => record.code);
    await store.applyTicks(
      later,
      { id: 'after', at: '2026-12-04T09:01:00.000Z' },
      price,
      'now',
    );
    await store.flushPending();

    expect(whileDown).toBeInstanceOf(StoreUnavailableError);
    await expectPagesRight(ticked());
  });

  it.each([
    ['its answer is lost', 'dropped'],
    ['a retry of it finds it done', 'retried'],
  ] as const)(
    'adds a counter write once when %s (injected in the SDK client)',
    async (_name, as) => {
      const runTask = createPriceTask({
        store,
        events: silentEvents,
        logger: memoryLogger(),
      });
      lostAnswer = { code: 'a counter', as };

      const summary = await runTask(tickTask());

      expect(lostAnswer).toBeUndefined();
      expect(summary).toMatchObject({ changed: SIZE });
      await expectPagesRight(ticked());
    },
  );

  it('leaves every selling-price page right after a whole tick', async () => {
    const runTask = createPriceTask({
      store,
      events: silentEvents,
      logger: memoryLogger(),
    });

    const summary = await runTask(tickTask());

    expect(summary).toMatchObject({ changed: SIZE, skipped: 0 });
    await expectPagesRight(ticked());
  });
});
