/**
 * The update_prices task: every selling price × factor, rounded half up
 * to cents, at most once per tick per product (the store's conditional
 * write), then one `product.updated` event per changed product.
 *
 * Products go to the store a scan batch at a time, `concurrency` at
 * once within it. Products a transient store failure stopped are tried
 * again a few times with backoff; what still fails fails the task once
 * its batch is done, and the products already done are skipped when the
 * task runs again. The store's bookkeeping of the changes (the list
 * counters) is written in groups (FLUSH_EVERY) and when the task ends.
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
import { inParallel } from '../shared/in-parallel.js';
import type { Logger } from '../shared/logger.js';
import { toProduct } from '../shared/wire.js';
import { ConflictError, StoreUnavailableError } from '../store/errors.js';
import type {
  LateChange,
  ProductRecord,
  ProductStore,
  TickOutcome,
  TickRef,
} from '../store/product-store.js';

export const DEFAULT_CONCURRENCY = 16;
/** Tries per product for a transient store failure. */
export const PRODUCT_ATTEMPTS = 4;
const SCAN_BATCH = 100;
/**
 * A tick writes the store's bookkeeping of its changes (the list
 * counters) after this many changed products, or this long after the
 * last write, whichever comes first, and when it ends. Larger groups
 * make a tick cheaper, but until a group is written, offset pages by
 * selling price can be shifted, and a worker that dies leaves it
 * miscounted until a reindex.
 */
export const FLUSH_EVERY = 10_000;
export const FLUSH_INTERVAL_MS = 10_000;
/**
 * A writer holding counter changes back that has not been heard from
 * for this long has stopped without writing them: each tick warns of
 * it until a reindex.
 */
export const ABANDONED_AFTER_MS = 60_000;
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
  /**
   * Changes of earlier runs whose writes had no answer and turned out
   * to have landed: counted and announced by this run.
   */
  late: number;
  /** Events that could not be published (the prices did change). */
  eventsFailed: number;
  ms: number;
}

/** What the price task needs of the products store. */
export type TickStore = Pick<
  ProductStore,
  'scanCodes' | 'applyTicks' | 'flushPending' | 'abandonedCounts'
>;

export interface PriceTaskDeps {
  store: TickStore;
  events: ProductEvents;
  logger: Logger;
  concurrency?: number;
  now?: () => Date;
  /** When to write the store's pending bookkeeping during a tick. */
  flush?: { every: number; intervalMs: number };
  abandonedAfterMs?: number;
  /**
   * True once the host is stopping: the tick in hand then writes its
   * bookkeeping after every batch, so that little is lost if the host
   * is killed before the tick ends.
   */
  stopping?: () => boolean;
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
  const flush = deps.flush ?? {
    every: FLUSH_EVERY,
    intervalMs: FLUSH_INTERVAL_MS,
  };

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
      late: 0,
      eventsFailed: 0,
      ms: 0,
    };
    const price = (cents: number) => multiplyCents(cents, factor);
    const publish = async (record: ProductRecord, tickId: string) => {
      try {
        await events.publish(toEvent(record, tickId));
      } catch (error) {
        summary.eventsFailed += 1;
        log.warn('event not published', { code: record.code, error });
      }
    };
    const count = async (change: TickOutcome) => {
      if (change.status === 'missing') summary.missing += 1;
      if (change.status === 'already-applied') summary.skipped += 1;
      if (change.status === 'unchanged') summary.unchanged += 1;
      if (change.status === 'too-old') summary.tooOld += 1;
      if (change.status !== 'updated') return;
      summary.changed += 1;
      if (change.capped) {
        summary.capped += 1;
        log.warn('price capped', { code: change.code });
      }
      await publish(change.record, tick.id);
    };
    const applyBatch = async (codes: readonly string[]) => {
      let pending = codes;
      for (let attempt = 1; pending.length > 0; attempt++) {
        const outcomes = await store.applyTicks(
          pending,
          tick,
          price,
          formatTimestamp(now()),
          concurrency,
        );
        const done = outcomes.filter((outcome) => outcome.status !== 'failed');
        await inParallel(done, concurrency, count);
        const failed = outcomes.flatMap((outcome) =>
          outcome.status === 'failed' ? [outcome] : [],
        );
        const fatal = failed.find(
          ({ error }) => !isTransient(error) || attempt >= PRODUCT_ATTEMPTS,
        );
        if (fatal) throw fatal.error;
        if (failed.length > 0) await sleep(retryDelay(attempt));
        pending = failed.map((outcome) => outcome.code);
      }
    };

    const announce = async (late: LateChange[]) => {
      summary.late += late.length;
      await inParallel(late, concurrency, ({ tick, record }) =>
        publish(record, tick),
      );
    };
    const flushAndAnnounce = async () => {
      await announce(await withRetries(() => store.flushPending()));
    };
    const warnOfAbandonedCounts = async () => {
      const abandoned = await store
        .abandonedCounts(deps.abandonedAfterMs ?? ABANDONED_AFTER_MS)
        .catch(() => []);
      if (abandoned.length === 0) return;
      log.warn('list counters may be off', {
        writers: abandoned.length,
        lastSeen: abandoned.map(({ lastSeen }) => lastSeen).sort()[0],
        fix: 'npm run products -- reindex',
      });
    };
    const sweep = async () => {
      let unflushed = 0;
      let flushedAt = performance.now();
      for await (const batch of store.scanCodes(SCAN_BATCH)) {
        const changedBefore = summary.changed;
        await applyBatch(batch);
        unflushed += summary.changed - changedBefore;
        const due =
          performance.now() - flushedAt >= flush.intervalMs ||
          deps.stopping?.() === true;
        if (unflushed >= flush.every || (unflushed > 0 && due)) {
          await flushAndAnnounce();
          await warnOfAbandonedCounts();
          unflushed = 0;
          flushedAt = performance.now();
        }
      }
    };

    try {
      await sweep();
    } catch (error) {
      // Counts the changes made so far if the store allows; if not, the
      // next task in this process writes them.
      await announce(await store.flushPending().catch(() => []));
      throw error;
    }
    await flushAndAnnounce();
    await warnOfAbandonedCounts();

    summary.ms = Math.round(performance.now() - started);
    log.info('tick applied', { ...summary });
    if (summary.tooOld > 0) {
      log.warn('tick too old to apply', { products: summary.tooOld });
    }
    return summary;
  };
}

function retryDelay(attempt: number): number {
  return backoffDelay(attempt - 1, {
    initialMs: RETRY_INITIAL_MS,
    maxMs: RETRY_MAX_MS,
  });
}

async function withRetries<T>(action: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await action();
    } catch (error) {
      if (!isTransient(error) || attempt >= PRODUCT_ATTEMPTS) throw error;
      await sleep(retryDelay(attempt));
    }
  }
}
