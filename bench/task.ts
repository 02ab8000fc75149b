/**
 * `npm run bench -- task [--sizes=1000,10000,100000]
 *   [--store-sizes=1000] [--latency-ms=1] [--budget-s=60]`
 *
 * Time to apply one price tick, at the worker's default concurrency and
 * at 1 (the baseline), with products/s and the ratio between them:
 *
 * - on the products store over dynalite, as the local stack runs it
 *   (`--store-sizes`; seeding and ticking cost the same per product, so
 *   large sizes are opt-in);
 * - on an in-memory store whose every call waits `--latency-ms`, a
 *   stand-in for a network round trip, which shows what the worker's own
 *   sweep does at 1k, 10k and 100k products.
 *
 * A run whose time, projected from the size before it, passes the
 * budget is not run; its projection is printed instead.
 */
import { silentEvents } from '../functions/events/product-events.js';
import { createLogger } from '../functions/shared/logger.js';
import { DynamoProductStore } from '../functions/store/dynamo-product-store.js';
import type {
  PriceChange,
  ProductRecord,
  TickRef,
} from '../functions/store/product-store.js';
import {
  createPriceTask,
  DEFAULT_CONCURRENCY,
  type TickStore,
} from '../functions/worker/price-task.js';
import { MAX_CENTS } from '../protocol/money.js';
import { startDynalite } from '../test/dynalite.js';
import { products, tickTask } from '../test/price-chain.js';

interface Options {
  sizes: number[];
  storeSizes: number[];
  latencyMs: number;
  budgetS: number;
}

interface Row {
  store: string;
  products: number;
  concurrency: number;
  seconds?: number;
  projected?: number;
}

function parseArgs(args: string[]): Options {
  const options: Options = {
    sizes: [1_000, 10_000, 100_000],
    storeSizes: [1_000],
    latencyMs: 1,
    budgetS: 60,
  };
  for (const arg of args) {
    const [name, value = ''] = arg.replace(/^--/, '').split('=');
    const numbers = value.split(',').map(Number);
    if (numbers.some((n) => !Number.isFinite(n) || n < 0)) {
      throw new Error(`bench task: ${arg} wants numbers`);
    }
    if (name === 'sizes') options.sizes = numbers;
    else if (name === 'store-sizes') options.storeSizes = numbers;
    else if (name === 'latency-ms') options.latencyMs = numbers[0] ?? 1;
    else if (name === 'budget-s') options.budgetS = numbers[0] ?? 60;
    else throw new Error(`bench task: unknown option ${arg}`);
  }
  return options;
}

/** The store's tick semantics in memory, each call after `latencyMs`. */
class LatentMemoryStore implements TickStore {
  private readonly items = new Map<
    string,
    { sellingCents: number; record: ProductRecord; ticks: Set<string> }
  >();

  constructor(
    records: readonly ProductRecord[],
    private readonly latencyMs: number,
  ) {
    for (const record of records) {
      this.items.set(record.code, {
        sellingCents: record.sellingCents,
        record,
        ticks: new Set(),
      });
    }
  }

  private wait(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, this.latencyMs));
  }

  async *scanCodes(batchSize = 100): AsyncIterable<string[]> {
    const codes = [...this.items.keys()];
    for (let i = 0; i < codes.length; i += batchSize) {
      await this.wait();
      yield codes.slice(i, i + batchSize);
    }
  }

  async applyTick(
    code: string,
    tick: TickRef,
    price: (sellingCents: number) => number,
    now: string,
  ): Promise<PriceChange> {
    await this.wait();
    const item = this.items.get(code);
    if (!item) return { status: 'missing' };
    if (item.ticks.has(tick.id)) return { status: 'already-applied' };
    const wanted = price(item.sellingCents);
    const capped = wanted > MAX_CENTS;
    item.sellingCents = capped ? MAX_CENTS : wanted;
    item.ticks.add(tick.id);
    const record = {
      ...item.record,
      sellingCents: item.sellingCents,
      updateAt: now,
    };
    return { status: 'updated', record, capped };
  }
}

async function timeTick(
  store: TickStore,
  concurrency: number,
): Promise<number> {
  const logger = createLogger('bench', { level: 'error' });
  const runTask = createPriceTask({
    store,
    events: silentEvents,
    logger,
    concurrency,
  });
  const started = performance.now();
  const summary = await runTask(tickTask());
  if (summary.changed + summary.skipped === 0) {
    throw new Error('bench task: the tick changed nothing');
  }
  return (performance.now() - started) / 1000;
}

/**
 * Runs each size at the default concurrency and at 1, skipping a run
 * whose projection from the last measured rate passes the budget.
 */
async function measure(
  label: string,
  sizes: number[],
  budgetS: number,
  open: (count: number) => Promise<{ store: TickStore; stop(): Promise<void> }>,
): Promise<Row[]> {
  const rows: Row[] = [];
  const rate = new Map<number, number>();
  for (const size of sizes) {
    let opened: { store: TickStore; stop(): Promise<void> } | undefined;
    for (const concurrency of [DEFAULT_CONCURRENCY, 1]) {
      const known = rate.get(concurrency);
      const projected = known === undefined ? undefined : size / known;
      if (projected !== undefined && projected > budgetS) {
        rows.push({ store: label, products: size, concurrency, projected });
        continue;
      }
      opened ??= await open(size);
      const seconds = await timeTick(opened.store, concurrency);
      rate.set(concurrency, size / seconds);
      rows.push({ store: label, products: size, concurrency, seconds });
      process.stdout.write('.');
    }
    await opened?.stop();
  }
  return rows;
}

function print(rows: Row[]): void {
  const header = [
    'store'.padEnd(22),
    'products'.padStart(9),
    'conc'.padStart(5),
    'seconds'.padStart(9),
    'products/s'.padStart(11),
    'vs conc 1'.padStart(10),
  ].join(' ');
  const lines = [header];
  for (const row of rows) {
    const seconds = row.seconds ?? row.projected ?? Number.NaN;
    const base = rows.find(
      (other) =>
        other.store === row.store &&
        other.products === row.products &&
        other.concurrency === 1,
    );
    const baseSeconds = base?.seconds ?? base?.projected;
    const ratio =
      baseSeconds === undefined ? Number.NaN : baseSeconds / seconds;
    const mark = row.seconds === undefined ? '~' : ' ';
    lines.push(
      [
        row.store.padEnd(22),
        row.products.toLocaleString('en-US').padStart(9),
        String(row.concurrency).padStart(5),
        `${mark}${seconds.toFixed(2)}`.padStart(9),
        Math.round(row.products / seconds)
          .toLocaleString('en-US')
          .padStart(11),
        `${ratio.toFixed(2)}x`.padStart(10),
      ].join(' '),
    );
  }
  process.stdout.write(`\n${lines.join('\n')}\n`);
  if (rows.some((row) => row.seconds === undefined)) {
    process.stdout.write(
      '~ projected from the rate of the size before it (over the budget)\n',
    );
  }
}

export async function run(args: string[]): Promise<void> {
  const options = parseArgs(args);
  process.stdout.write(
    `one price tick; default concurrency ${DEFAULT_CONCURRENCY}, ` +
      `baseline concurrency 1; budget ${options.budgetS} s a run\n`,
  );

  const seeding: string[] = [];
  const storeRows = await measure(
    'store on dynalite',
    options.storeSizes,
    options.budgetS,
    async (count) => {
      const dynamo = await startDynalite();
      const store = new DynamoProductStore(dynamo.client, dynamo.table);
      const started = performance.now();
      await store.putMany(products(count));
      const seconds = (performance.now() - started) / 1000;
      seeding.push(`seeded ${count} products in ${seconds.toFixed(1)} s`);
      return { store, stop: () => dynamo.stop() };
    },
  );
  const memoryRows = await measure(
    `memory, ${options.latencyMs} ms a call`,
    options.sizes,
    options.budgetS,
    async (count) => {
      const store = new LatentMemoryStore(products(count), options.latencyMs);
      return { store, stop: async () => {} };
    },
  );

  print([...storeRows, ...memoryRows]);
  for (const line of seeding) process.stdout.write(`${line}\n`);
}
