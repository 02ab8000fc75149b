/**
 * Helpers for the price task chain's tests: products to seed, ticks to
 * send, and waiting on a condition without fixed sleeps.
 */
import { randomUUID } from 'node:crypto';
import type { ProductRecord } from '../functions/store/product-store.js';
import type { UpdatePricesTask } from '../protocol/amqp.js';

export function products(
  count: number,
  sellingCents = 130_000,
): ProductRecord[] {
  return Array.from({ length: count }, (_, index) => ({
    code: `P${String(index).padStart(14, '0')}`,
    buyingCents: 100_000,
    sellingCents: sellingCents + index,
    description: `product ${index}`,
    createdAt: '2026-12-01T09:00:00.000000+00:00',
    updateAt: '2026-12-01T09:00:00.000000+00:00',
  }));
}

let clock = Date.parse('2026-12-04T10:00:00Z');

/** A task for a fresh tick, scheduled a second after the previous one. */
export function tickTask(factor = '1.10'): UpdatePricesTask {
  clock += 1_000;
  return {
    task: 'update_prices',
    tick: randomUUID(),
    factor,
    scheduled_at: new Date(clock).toISOString().replace('.000Z', 'Z'),
  };
}

/** Polls `check` until it returns a value other than undefined. */
export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
