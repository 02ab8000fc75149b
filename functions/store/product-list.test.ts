import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { seededRandom } from '../../test/catalogue.js';
import { startDynalite, type TestDynamo } from '../../test/dynalite.js';
import { startDynamoDbLocal } from '../../test/dynamodb-local.js';
import { randomProduct } from '../seed/seed-products.js';
import { DynamoProductStore } from './dynamo-product-store.js';
import type { ListQuery, ProductRecord, SortField } from './product-store.js';

const STAMP = '2026-12-01T09:00:00.000000+00:00';
const WORDS = [
  'Oak bench',
  'Oak',
  'Oak bench, 120 cm',
  'Café table',
  'Cafe table',
  'Ça va lamp',
  '日本の茶碗',
  '😀 mug',
  'Zebra rug',
  'brass kettle',
];

function catalogue(count: number, seed = 7): ProductRecord[] {
  const random = seededRandom(seed);
  const codes = new Set(['A', 'AB', 'ABC', 'B', 'ZZZZZZZZZZZZZZZ']);
  while (codes.size < count) {
    const length = 1 + Math.floor(random() * 15);
    let code = '';
    for (let i = 0; i < length; i++) {
      code += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'[Math.floor(random() * 36)];
    }
    codes.add(code);
  }

  return [...codes].slice(0, count).map((code) => {
    const buyingCents = 100_000 + Math.floor(random() * 40) * 2_500;
    return {
      code,
      buyingCents,
      sellingCents: buyingCents + Math.floor(random() * 5) * 1_000,
      description: WORDS[Math.floor(random() * WORDS.length)] as string,
      createdAt: STAMP,
      updateAt: STAMP,
    };
  });
}

const bytes = (text: string) => Buffer.from(text, 'utf8');

const ORACLE: Record<
  SortField,
  (a: ProductRecord, b: ProductRecord) => number
> = {
  code: (a, b) => Buffer.compare(bytes(a.code), bytes(b.code)),
  buying_price: (a, b) => a.buyingCents - b.buyingCents,
  selling_price: (a, b) => a.sellingCents - b.sellingCents,
  description: (a, b) =>
    Buffer.compare(bytes(a.description), bytes(b.description)),
};

/** What a page must hold, computed without the store's code. */
function expected(records: ProductRecord[], query: ListQuery) {
  const { filters = {}, ordering } = query;
  const matching = records.filter(
    (record) =>
      (filters.buyingCents === undefined ||
        record.buyingCents === filters.buyingCents) &&
      (filters.sellingCents === undefined ||
        record.sellingCents === filters.sellingCents) &&
      (filters.description === undefined ||
        record.description === filters.description),
  );
  const field = ordering?.field ?? 'code';
  matching.sort((a, b) => ORACLE[field](a, b) || ORACLE.code(a, b));
  if (ordering?.descending) matching.reverse();

  return {
    count: matching.length,
    codes: matching
      .slice(query.offset, query.offset + query.limit)
      .map((record) => record.code),
  };
}

/** Starting DynamoDB Local and loading take long on a busy machine. */
const SETUP_MS = 180_000;

const backends = [
  ['dynalite', startDynalite],
  ['DynamoDB Local', startDynamoDbLocal],
] as const;

const orderings: ListQuery['ordering'][] = [
  undefined,
  ...(
    ['code', 'buying_price', 'selling_price', 'description'] as const
  ).flatMap((field) => [
    { field, descending: false },
    { field, descending: true },
  ]),
];
const windows = [
  { offset: 0, limit: 30 },
  { offset: 29, limit: 7 },
  { offset: 150, limit: 60 },
  { offset: 245, limit: 30 },
  { offset: 400, limit: 30 },
];

describe.each(backends)('listing products on %s', (_name, start) => {
  let dynamo: TestDynamo;
  let store: DynamoProductStore;
  let records: ProductRecord[];

  beforeAll(async () => {
    dynamo = await start();
    store = new DynamoProductStore(dynamo.client, dynamo.table);
    records = catalogue(250);
    await store.putMany(records);
  }, SETUP_MS);

  afterAll(async () => {
    await dynamo.stop();
  });

  async function check(query: ListQuery) {
    const page = await store.list(query);

    const want = expected(records, query);
    expect(page.count).toBe(want.count);
    expect(page.items.map((record) => record.code)).toEqual(want.codes);
  }

  it(
    'pages every ordering in both directions as sorted in memory',
    async () => {
      for (const ordering of orderings) {
        for (const window of windows) await check({ ...window, ordering });
      }
    },
    SETUP_MS,
  );

  it(
    'filters exactly, alone and combined, with ordering and paging',
    async () => {
      const sample = records[17] as ProductRecord;
      const filters: ListQuery['filters'][] = [
        { buyingCents: sample.buyingCents },
        { sellingCents: sample.sellingCents },
        { description: sample.description },
        { description: '日本の茶碗' },
        { buyingCents: sample.buyingCents, description: sample.description },
        { sellingCents: sample.sellingCents, buyingCents: sample.buyingCents },
        { buyingCents: -100 },
        { sellingCents: 99_999_999_999_999 },
        { description: 'nothing like this' },
      ];

      for (const filter of filters) {
        for (const ordering of orderings) {
          await check({ offset: 0, limit: 30, filters: filter, ordering });
          await check({ offset: 2, limit: 3, filters: filter, ordering });
        }
      }
    },
    SETUP_MS,
  );

  it(
    'keeps pages right through creates, replaces, deletes and ticks, single and batched',
    async () => {
      const added = catalogue(20, 99).map((record) => ({
        ...record,
        code: `NEW${record.code}`,
      }));
      for (const record of added) await store.create(record);
      const moved = {
        ...(records[3] as ProductRecord),
        buyingCents: 1,
        description: 'Aardvark lamp',
      };
      await store.replace(moved);
      const removed = records[4] as ProductRecord;
      await store.delete(removed.code);
      const ticked = records[5] as ProductRecord;
      await store.applyTick(
        ticked.code,
        { id: 't1', at: '2026-12-04T10:00:00Z' },
        (cents) => cents * 3,
        STAMP,
      );
      const batch = records.slice(10, 90).map((record) => record.code);
      await store.applyTicks(
        batch,
        { id: 't2', at: '2026-12-04T10:01:00Z' },
        (cents) => cents + 1_234,
        STAMP,
      );
      await store.flushPending();
      records = [
        ...records
          .filter((record) => record.code !== removed.code)
          .map((record) =>
            record.code === moved.code
              ? moved
              : record.code === ticked.code
                ? { ...record, sellingCents: record.sellingCents * 3 }
                : record,
          )
          .map((record) =>
            batch.includes(record.code)
              ? { ...record, sellingCents: record.sellingCents + 1_234 }
              : record,
          ),
        ...added,
      ];

      for (const ordering of orderings) {
        for (const window of windows) await check({ ...window, ordering });
      }
    },
    SETUP_MS,
  );

  it(
    'rebuilds counters that a bare write left behind',
    async () => {
      const stray = { ...(catalogue(1, 5)[0] as ProductRecord), code: 'STRAY' };
      await dynamo.client.send(
        new PutCommand({
          TableName: dynamo.table,
          Item: {
            code: stray.code,
            buying_cents: stray.buyingCents,
            selling_cents: stray.sellingCents,
            description: stray.description,
            created_at: STAMP,
            update_at: STAMP,
            lp: 'P',
            kb: `${String(stray.buyingCents).padStart(11, '0')}#STRAY`,
            ks: `${String(stray.sellingCents).padStart(11, '0')}#STRAY`,
            kd: `${stray.description}\u0001STRAY`,
          },
        }),
      );
      records.push(stray);
      const before = await store.list({ offset: 0, limit: 1 });

      const rebuilt = await store.rebuildCounters();

      expect(before.count).toBe(records.length - 1);
      expect(rebuilt.products).toBe(records.length);
      for (const ordering of orderings) {
        for (const window of windows) await check({ ...window, ordering });
      }
    },
    SETUP_MS,
  );
});

/** With the seeder's catalogue: few products share a price or a text. */
describe.each(backends)('page cost on %s', (_name, start) => {
  let dynamo: TestDynamo;
  let store: DynamoProductStore;
  const size = 3000;

  beforeAll(async () => {
    dynamo = await start();
    store = new DynamoProductStore(dynamo.client, dynamo.table);
    const random = seededRandom(11);
    await store.loadEmpty(
      Array.from({ length: size }, () => randomProduct(random, STAMP)),
    );
  }, SETUP_MS);

  afterAll(async () => {
    await dynamo.stop();
  });

  it(
    'reads a few pages of items for any page, whatever the offset',
    async () => {
      for (const ordering of orderings) {
        for (const offset of [0, 1500, 2970]) {
          const before = store.stats.itemsRead;

          const page = await store.list({ offset, limit: 30, ordering });

          const read = store.stats.itemsRead - before;
          expect(page.count).toBe(size);
          expect(page.items).toHaveLength(30);
          expect(read).toBeLessThanOrEqual(3 * 30);
        }
      }
    },
    SETUP_MS,
  );

  it(
    'answers emptiness and the count from counters alone',
    async () => {
      const before = store.stats.itemsRead;

      const empty = await store.isEmpty();
      const page = await store.list({ offset: size, limit: 30 });

      expect(empty).toBe(false);
      expect(page).toEqual({ count: size, items: [] });
      expect(store.stats.itemsRead - before).toBe(2);
    },
    SETUP_MS,
  );
});
