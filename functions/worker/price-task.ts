/**
 * The update_prices task: every selling price × factor, rounded half up
 * to cents, at most once per tick per product (the store's conditional
 * write), then one `product.updated` event per changed product.
 *
 * Products are swept `concurrency` at a time. A transient store failure
 * on one product is retried a few times with backoff; what still fails
 * fails the task, and the products already done are skipped when the
 * task runs again.
 *
 * An event is published after its write; a worker that dies between the
 * two loses that event, since the rerun finds the product done. Readers
 * that poll (the socket server) still see the change.
 */

import type { UpdatePricesTask } from '../../protocol/amqp.js';
import { multiplyCents, parseFactor } from '../../protocol/money.js';
import type { ProductEvent } from '../../protocol/product.js';
import { formatTimestamp } from '../../protocol/time.js';
import type { ProductEvents } from '../events/product-events.js';
import { backoffDelay, sleep } from '../shared/amqp.js';
import type { Logger } from '../shared/logger.js';
import { toProduct } from '../shared/wire.js';
import { ConflictError, StoreUnavailableError } from '../store/errors.js';
import type {
  PriceChange,
  ProductRecord,
  ProductStore,
  TickRef,
} from '../store/product-store.js';

export const DEFAULT_CONCURRENCY = 16;
/** Tries per product for a transient store failure. */
export const PRODUCT_ATTEMPTS = 4;
const SCAN_BATCH = 100;
const RETRY_INITIAL_MS = 50;
const RETRY_MAX_MS = 1_000;

export interface TickSummary {
  tick: string;
  /** Products whose price this run changed. */
  changed: number;
  /** Products this tick (or a later one) had already changed. */
  skipped: number;
  /** Products deleted between the scan and the write. */
  missing: number;
  /** Changed products whose price stopped at the largest price. */
  capped: number;
  /** Products the tick could not move: at the largest price, or 0.00. */
  unchanged: number;
  /** Products that remember only later ticks: this one came too late. */
  tooOld: number;
  /** Events that could not be published (the prices did change). */
  eventsFailed: number;
  ms: number;
}

/** What the price task needs of the products store. */
export type TickStore = Pick<ProductStore, 'scanCodes' | 'applyTick'>;

export interface PriceTaskDeps {
  store: TickStore;
  events: ProductEvents;
  logger: Logger;
  concurrency?: number;
  now?: () => Date;
}

export type PriceTask = (task: UpdatePricesTask) => Promise<TickSummary>;

export function isTransient(error: unknown): boolean {
  return (
    error instanceof StoreUnavailableError || error instanceof ConflictError
  );
}

export function toEvent(record: ProductRecord, tick: string): ProductEvent {
  return { ...toProduct(record), tick };
}

export function createPriceTask(deps: PriceTaskDeps): PriceTask {
  const { store, events, logger } = deps;
  const concurrency = Math.max(1, deps.concurrency ?? DEFAULT_CONCURRENCY);
  const now = deps.now ?? (() => new Date());

  return async (task) => {
    const started = performance.now();
    const factor = parseFactor(task.factor);
    const tick: TickRef = {
      id: task.tick,
      at: new Date(task.scheduled_at).toISOString(),
    };
    const log = logger.child({ tick: tick.id });
    const summary: TickSummary = {
      tick: tick.id,
      changed: 0,
      skipped: 0,
      missing: 0,
      capped: 0,
      unchanged: 0,
      tooOld: 0,
      eventsFailed: 0,
      ms: 0,
    };
    const price = (cents: number) => multiplyCents(cents, factor);
    const applyOne = async (code: string) => {
      const change = await withRetries(() =>
        store.applyTick(code, tick, price, formatTimestamp(now())),
      );
      await count(change, code);
    };
    const count = async (change: PriceChange, code: string) => {
      if (change.status === 'missing') summary.missing += 1;
      if (change.status === 'already-applied') summary.skipped += 1;
      if (change.status === 'unchanged') summary.unchanged += 1;
      if (change.status === 'too-old') summary.tooOld += 1;
      if (change.status !== 'updated') return;
      summary.changed += 1;
      if (change.capped) {
        summary.capped += 1;
        log.warn('price capped', { code });
      }
      try {
        await events.publish(toEvent(change.record, tick.id));
      } catch (error) {
        summary.eventsFailed += 1;
        log.warn('event not published', { code, error });
      }
    };

    await sweep(codesOf(store), concurrency, applyOne);

    summary.ms = Math.round(performance.now() - started);
    log.info('tick applied', { ...summary });
    if (summary.tooOld > 0) {
      log.warn('tick too old to apply', { products: summary.tooOld });
    }
    return summary;
  };
}

async function withRetries<T>(action: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await action();
    } catch (error) {
      if (!isTransient(error) || attempt >= PRODUCT_ATTEMPTS) throw error;
      await sleep(
        backoffDelay(attempt - 1, {
          initialMs: RETRY_INITIAL_MS,
          maxMs: RETRY_MAX_MS,
        }),
      );
    }
  }
}

async function* codesOf(store: TickStore): AsyncGenerator<string> {
  for await (const batch of store.scanCodes(SCAN_BATCH)) yield* batch;
}

/**
 * Runs `work` on every item, at most `concurrency` at once. The first
 * failure stops new work; the call waits for the work in flight and
 * then throws that failure.
 */
async function sweep(
  items: AsyncGenerator<string>,
  concurrency: number,
  work: (item: string) => Promise<void>,
): Promise<void> {
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    while (!failure) {
      const next = await items.next();
      if (next.done) return;
      try {
        await work(next.value);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const lanes = Array.from({ length: concurrency }, () =>
    lane().catch((error: unknown) => {
      failure ??= { error };
    }),
  );

  await Promise.all(lanes);
  if (failure) throw failure.error;
}
