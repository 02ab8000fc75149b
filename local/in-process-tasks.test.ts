import { silentEvents } from '../functions/events/product-events.js';
import { memoryLogger } from '../functions/shared/logger.js';
import { DynamoProductStore } from '../functions/store/dynamo-product-store.js';
import { ensureTable } from '../functions/store/ensure-table.js';
import { createPriceTask } from '../functions/worker/price-task.js';
import { multiplyCents, parseFactor } from '../protocol/money.js';
import { startDynalite, type TestDynamo } from '../test/dynalite.js';
import { products, tickTask } from '../test/price-chain.js';
import { InProcessTaskPublisher } from './in-process-tasks.js';

let dynamo: TestDynamo;

beforeEach(async () => {
  dynamo = await startDynalite();
});

afterEach(async () => {
  await dynamo.stop();
});

describe('in-process task hand-off', () => {
  it('runs a tick handed over twice once', async () => {
    const store = new DynamoProductStore(dynamo.client, dynamo.table);
    const seeded = products(10);
    await store.putMany(seeded);
    const logger = memoryLogger();
    const runs: string[] = [];
    const priceTask = createPriceTask({ store, events: silentEvents, logger });
    const publisher = new InProcessTaskPublisher(async (task) => {
      runs.push(task.tick);
      return priceTask(task);
    }, logger);
    const task = tickTask();

    await Promise.all([publisher.publish(task), publisher.publish(task)]);
    await publisher.publish(task);

    expect(runs).toEqual([task.tick]);
    const factor = parseFactor('1.10');
    for (const product of seeded) {
      expect((await store.get(product.code))?.sellingCents).toBe(
        multiplyCents(product.sellingCents, factor),
      );
    }
  });

  it('forgets a tick whose run failed, so a retry runs it', async () => {
    const table = `${dynamo.table}-late`;
    const store = new DynamoProductStore(dynamo.client, table);
    const logger = memoryLogger();
    const publisher = new InProcessTaskPublisher(
      createPriceTask({ store, events: silentEvents, logger }),
      logger,
    );
    const task = tickTask();

    await expect(publisher.publish(task)).rejects.toThrow(/table not found/);
    await ensureTable(dynamo.client, table);
    await store.putMany(products(2));
    await publisher.publish(task);

    const applied = logger.entries.filter((e) => e.msg === 'tick applied');
    expect(applied).toEqual([
      expect.objectContaining({ tick: task.tick, changed: 2 }),
    ]);
  });
});
