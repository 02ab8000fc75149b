import fc from 'fast-check';
import { startDynalite, type TestDynamo } from '../../test/dynalite.js';
import { DynamoProductStore } from '../store/dynamo-product-store.js';
import type { ProductRecord } from '../store/product-store.js';
import { randomProduct, seedProducts } from './seed-products.js';

async function allProducts(store: DynamoProductStore) {
  const records: ProductRecord[] = [];
  for await (const codes of store.scanCodes(50)) {
    for (const code of codes) {
      const record = await store.get(code);
      if (record) records.push(record);
    }
  }

  return records;
}

const fractions = fc.array(
  fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  { minLength: 1, maxLength: 40 },
);

describe('seedProducts', () => {
  let dynamo: TestDynamo;
  let store: DynamoProductStore;

  beforeAll(async () => {
    dynamo = await startDynalite();
    store = new DynamoProductStore(dynamo.client, dynamo.table);
  });

  afterAll(async () => {
    await dynamo.stop();
  });

  it('writes the number of products asked for, each readable', async () => {
    const now = new Date('2026-12-04T12:00:00Z');

    const written = await seedProducts(store, 120, { now });

    const records = await allProducts(store);
    expect(written).toBe(120);
    expect(records).toHaveLength(120);
    expect(new Set(records.map((record) => record.code)).size).toBe(120);
    for (const record of records) {
      expect(record.createdAt).toBe('2026-12-04T12:00:00.000000+00:00');
      expect(record.updateAt).toBe(record.createdAt);
    }
  });

  it('generates codes, descriptions and prices as the catalogue needs', () => {
    fc.assert(
      fc.property(fractions, (values) => {
        let index = 0;
        const next = () => values[index++ % values.length] as number;

        const product = randomProduct(next, 'now');

        expect(product.code).toMatch(/^[A-Z0-9]{15}$/);
        expect(product.description.length).toBeGreaterThan(8);
        expect(product.buyingCents).toBeGreaterThanOrEqual(100_000);
        const exact = (BigInt(product.buyingCents) * 130n) % 100n;
        const floor = (BigInt(product.buyingCents) * 130n) / 100n;
        expect(BigInt(product.sellingCents)).toBe(
          exact >= 50n ? floor + 1n : floor,
        );
      }),
    );
  });
});
