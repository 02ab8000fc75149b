import { startDynalite, type TestDynamo } from '../../test/dynalite.js';
import { startDynamoDbLocal } from '../../test/dynamodb-local.js';
import { DynamoProductStore } from './dynamo-product-store.js';
import { ConflictError } from './errors.js';
import type { ProductRecord } from './product-store.js';

function product(code: string, sellingCents: number): ProductRecord {
  return {
    code,
    buyingCents: 100_000,
    sellingCents,
    description: `item ${code}`,
    createdAt: '2026-12-01T09:00:00.000000+00:00',
    updateAt: '2026-12-01T09:00:00.000000+00:00',
  };
}

const tick = (id: string, at: string) => ({ id, at });
const times110 = (cents: number) => Math.round(cents * 1.1);

/** Starting DynamoDB Local and loading take long on a busy machine. */
const SETUP_MS = 180_000;

const backends = [
  ['dynalite', startDynalite],
  ['DynamoDB Local', startDynamoDbLocal],
] as const;

describe.each(backends)('DynamoProductStore on %s', (_name, start) => {
  let dynamo: TestDynamo;
  let store: DynamoProductStore;

  beforeAll(async () => {
    dynamo = await start();
    store = new DynamoProductStore(dynamo.client, dynamo.table);
  }, SETUP_MS);

  afterAll(async () => {
    await dynamo.stop();
  });

  it('reports an empty table, then reads back what it wrote', async () => {
    expect(await store.isEmpty()).toBe(true);

    await store.putMany([product('AAA', 130_000), product('BBB', 150_000)]);

    expect(await store.isEmpty()).toBe(false);
    expect(await store.get('BBB')).toEqual(product('BBB', 150_000));
    expect(await store.get('NOPE')).toBeUndefined();
  });

  it('applies a tick once even when it arrives twice', async () => {
    await store.putMany([product('TICK1', 100_000)]);
    const first = tick('t-1', '2026-12-04T10:00:00.000Z');

    const applied = await store.applyTick('TICK1', first, times110, 'now-1');
    const again = await store.applyTick('TICK1', first, times110, 'now-2');

    expect(applied).toMatchObject({ status: 'updated', capped: false });
    expect(again).toEqual({ status: 'already-applied' });
    expect((await store.get('TICK1'))?.sellingCents).toBe(110_000);
    expect((await store.get('TICK1'))?.updateAt).toBe('now-1');
  });

  it('applies a tick that arrives after a later one, once', async () => {
    await store.putMany([product('TICK2', 100_000)]);
    const later = tick('b', '2026-12-04T10:02:00Z');
    const earlier = tick('a', '2026-12-04T10:01:00Z');

    await store.applyTick('TICK2', later, times110, 'n1');
    const late = await store.applyTick('TICK2', earlier, times110, 'n2');
    const again = await store.applyTick('TICK2', earlier, times110, 'n3');
    const laterAgain = await store.applyTick('TICK2', later, times110, 'n4');

    expect(late).toMatchObject({ status: 'updated' });
    expect(again).toEqual({ status: 'already-applied' });
    expect(laterAgain).toEqual({ status: 'already-applied' });
    expect((await store.get('TICK2'))?.sellingCents).toBe(121_000);
  });

  it('knows a tick by its id, whatever time a copy carries', async () => {
    await store.putMany([product('TICK4', 100_000)]);

    await store.applyTick(
      'TICK4',
      tick('d1', '2026-12-04T10:00:00Z'),
      times110,
      'n1',
    );
    const copy = await store.applyTick(
      'TICK4',
      tick('d1', '2026-12-04T10:00:01Z'),
      times110,
      'n2',
    );

    expect(copy).toEqual({ status: 'already-applied' });
    expect((await store.get('TICK4'))?.sellingCents).toBe(110_000);
  });

  it('applies a tick while other writers keep changing the product', async () => {
    await store.putMany([product('BUSY', 100_000)]);
    let writing = true;
    const writer = async (lane: number) => {
      for (let n = 0; writing && n < 200; n++) {
        const current = await store.get('BUSY');
        if (!current) continue;
        const next = { ...current, description: `lane ${lane} ${n}` };
        // As the API's PATCH does: only over the state it read.
        await store.replace(next, current.updateAt).catch((error) => {
          if (!(error instanceof ConflictError)) throw error;
        });
      }
    };
    const writers = Array.from({ length: 6 }, (_, lane) => writer(lane));

    const change = await store.applyTick(
      'BUSY',
      tick('busy', '2026-12-04T11:00:00Z'),
      times110,
      'n',
    );
    writing = false;
    await Promise.all(writers);

    expect(change).toMatchObject({ status: 'updated' });
    expect((await store.get('BUSY'))?.sellingCents).toBe(110_000);
  });

  it('refuses a tick older than every one it remembers', async () => {
    await store.putMany([product('TICK3', 100)]);
    const at = (minute: number) =>
      `2026-12-04T${String(10 + Math.floor(minute / 60)).padStart(2, '0')}:` +
      `${String(minute % 60).padStart(2, '0')}:00Z`;
    for (let minute = 1; minute <= 32; minute++) {
      await store.applyTick(
        'TICK3',
        tick(`t${minute}`, at(minute)),
        (c) => c + 1,
        'n',
      );
    }

    const ancient = await store.applyTick(
      'TICK3',
      tick('t0', at(0)),
      (c) => c + 1,
      'n',
    );

    expect(ancient).toEqual({ status: 'too-old' });
    expect((await store.get('TICK3'))?.sellingCents).toBe(132);
  });

  it('caps a price at 99,999,999.99', async () => {
    await store.putMany([product('BIG', 9_500_000_000)]);

    const change = await store.applyTick(
      'BIG',
      tick('c', '2026-12-04T10:03:00Z'),
      times110,
      'n',
    );

    expect(change).toMatchObject({ status: 'updated', capped: true });
    expect((await store.get('BIG'))?.sellingCents).toBe(9_999_999_999);
  });

  it('leaves a price at the cap as it is, changing nothing', async () => {
    await store.putMany([product('TOP', 9_999_999_999)]);
    const before = await store.get('TOP');

    const change = await store.applyTick(
      'TOP',
      tick('e', '2026-12-04T10:05:00Z'),
      times110,
      'later',
    );

    expect(change).toEqual({ status: 'unchanged' });
    expect(await store.get('TOP')).toEqual(before);
  });

  it('answers missing for a code that does not exist', async () => {
    const change = await store.applyTick(
      'GONE',
      tick('d', '2026-12-04T10:04:00Z'),
      times110,
      'n',
    );

    expect(change).toEqual({ status: 'missing' });
  });
});
