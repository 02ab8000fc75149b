/**
 * `npm run bench -- task [--sizes=1000,10000,100000]
 *   [--engine=dynalite|dynalite-process|dynamodb-local] [--budget-s=600]`
 *
 * Time to apply one price tick to a catalogue of the seeder's products,
 * at the worker's default concurrency and at 1 (the baseline), with
 * products/s, the ratio between them and the writes the tick made. The
 * store runs on dynalite in this process, as the local stack runs it,
 * on dynalite in a process of its own, or on DynamoDB Local.
 *
 * A warm-up tick on a small table comes first and is not shown. A run
 * whose time, projected from the size before it, passes the budget is
 * not run; its projection is printed instead.
 */
import { silentEvents } from '../functions/events/product-events.js';
import { createLogger } from '../functions/shared/logger.js';
import { DynamoProductStore } from '../functions/store/dynamo-product-store.js';
import {
  createPriceTask,
  DEFAULT_CONCURRENCY,
} from '../functions/worker/price-task.js';
import { seededCatalogue } from '../test/catalogue.js';
import { startDynalite, type TestDynamo } from '../test/dynalite.js';
import { startDynamoDbLocal } from '../test/dynamodb-local.js';
import { tickTask } from '../test/price-chain.js';
import { startDynaliteProcess } from './dynalite-process.js';

const ENGINES: Record<string, () => Promise<TestDynamo>> = {
  dynalite: startDynalite,
  'dynalite-process': startDynaliteProcess,
  'dynamodb-local': startDynamoDbLocal,
};

const WARM_UP_PRODUCTS = 500;

interface Options {
  sizes: number[];
  engine: string;
  budgetS: number;
}

interface Row {
  products: number;
  concurrency: number;
  seconds?: number;
  projected?: number;
  productWrites?: number;
  counterWrites?: number;
}

function numbers(arg: string, value: string): number[] {
  const list = value.split(',').map(Number);
  if (list.some((n) => !Number.isSafeInteger(n) || n <= 0)) {
    throw new Error(`bench task: ${arg} wants whole numbers above 0`);
  }
  return list;
}

function engine(value: string): string {
  if (Object.hasOwn(ENGINES, value)) return value;
  const names = Object.keys(ENGINES).join(', ');
  throw new Error(`bench task: --engine wants one of ${names}`);
}

function parseArgs(args: string[]): Options {
  const options: Options = {
    sizes: [1_000, 10_000, 100_000],
    engine: 'dynalite',
    budgetS: 600,
  };
  for (const arg of args) {
    const [name, value = ''] = arg.replace(/^--/, '').split('=');
    if (name === 'sizes') options.sizes = numbers(arg, value);
    else if (name === 'budget-s') options.budgetS = numbers(arg, value)[0] ?? 0;
    else if (name === 'engine') options.engine = engine(value);
    else throw new Error(`bench task: unknown option ${arg}`);
  }
  return options;
}

async function timeTick(store: DynamoProductStore, concurrency: number) {
  const logger = createLogger('bench', { level: 'error' });
  const runTask = createPriceTask({
    store,
    events: silentEvents,
    logger,
    concurrency,
  });
  const before = { ...store.stats };
  const started = performance.now();
  const summary = await runTask(tickTask());
  const seconds = (performance.now() - started) / 1000;
  if (summary.changed === 0) {
    throw new Error('bench task: the tick changed nothing');
  }

  return {
    seconds,
    productWrites: store.stats.productWrites - before.productWrites,
    counterWrites: store.stats.counterWrites - before.counterWrites,
  };
}

/** A tick at each concurrency on a small table, so no run is the first. */
async function warmUp(engine: string): Promise<void> {
  const dynamo = await ENGINES[engine]?.();
  if (!dynamo) throw new Error(`bench task: no engine ${engine}`);
  const store = new DynamoProductStore(dynamo.client, dynamo.table);
  await store.loadEmpty(seededCatalogue(WARM_UP_PRODUCTS, 1));
  for (const concurrency of [DEFAULT_CONCURRENCY, 1]) {
    await timeTick(store, concurrency);
  }
  await dynamo.stop();
}

/**
 * Runs each size at the default concurrency and at 1 on one seeded
 * table, skipping a run whose projection from the last measured rate
 * passes the budget.
 */
async function measure(options: Options): Promise<[Row[], string[]]> {
  const rows: Row[] = [];
  const notes: string[] = [];
  await warmUp(options.engine);
  const rate = new Map<number, number>();
  for (const size of options.sizes) {
    let dynamo: TestDynamo | undefined;
    let store: DynamoProductStore | undefined;
    for (const concurrency of [DEFAULT_CONCURRENCY, 1]) {
      const known = rate.get(concurrency);
      const projected = known === undefined ? undefined : size / known;
      if (projected !== undefined && projected > options.budgetS) {
        rows.push({ products: size, concurrency, projected });
        continue;
      }
      if (!store) {
        dynamo = await ENGINES[options.engine]?.();
        if (!dynamo) throw new Error(`bench task: no engine ${options.engine}`);
        store = new DynamoProductStore(dynamo.client, dynamo.table);
        const started = performance.now();
        await store.loadEmpty(seededCatalogue(size));
        const seconds = (performance.now() - started) / 1000;
        notes.push(`seeded ${size} products in ${seconds.toFixed(1)} s`);
      }
      const measured = await timeTick(store, concurrency);
      rate.set(concurrency, size / measured.seconds);
      rows.push({ products: size, concurrency, ...measured });
      process.stdout.write('.');
    }
    await dynamo?.stop();
  }
  return [rows, notes];
}

function print(rows: Row[]): void {
  const header = [
    'products'.padStart(9),
    'conc'.padStart(5),
    'seconds'.padStart(9),
    'products/s'.padStart(11),
    'vs conc 1'.padStart(10),
    'product writes'.padStart(15),
    'counter writes'.padStart(15),
  ].join(' ');
  const lines = [header];
  for (const row of rows) {
    const seconds = row.seconds ?? row.projected ?? Number.NaN;
    const base = rows.find(
      (other) => other.products === row.products && other.concurrency === 1,
    );
    const baseSeconds = base?.seconds ?? base?.projected;
    const ratio =
      baseSeconds === undefined ? Number.NaN : baseSeconds / seconds;
    const mark = row.seconds === undefined ? '~' : ' ';
    lines.push(
      [
        row.products.toLocaleString('en-US').padStart(9),
        String(row.concurrency).padStart(5),
        `${mark}${seconds.toFixed(2)}`.padStart(9),
        Math.round(row.products / seconds)
          .toLocaleString('en-US')
          .padStart(11),
        `${ratio.toFixed(2)}x`.padStart(10),
        (row.productWrites?.toLocaleString('en-US') ?? '-').padStart(15),
        (row.counterWrites?.toLocaleString('en-US') ?? '-').padStart(15),
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
    `one price tick on the products store (${options.engine}); ` +
      `default concurrency ${DEFAULT_CONCURRENCY}, baseline ` +
      `concurrency 1; budget ${options.budgetS} s a run\n`,
  );

  const [rows, notes] = await measure(options);

  print(rows);
  for (const line of notes) process.stdout.write(`${line}\n`);
}
