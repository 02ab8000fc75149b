/**
 * The ticks a product remembers, as `ticks` entries of
 * "<scheduled at>|<tick id>" (items from before the list kept one tick in
 * last_tick and last_tick_at).
 */
import type { TickRef } from './product-store.js';

/** What a product item holds of the ticks applied to it. */
export interface TickMarks {
  ticks?: string[];
  last_tick?: string;
  last_tick_at?: string;
}

/**
 * How many applied ticks each product remembers. A tick is applied once
 * whatever order ticks arrive in, as long as it is not older than all
 * of the last RECENT_TICKS applied (over three hours at the default
 * schedule); one older than that is refused as too old.
 */
export const RECENT_TICKS = 32;

export function tickEntry(tick: TickRef): string {
  return `${tick.at}|${tick.id}`;
}

/** Ticks applied to the product, oldest first, including older items'. */
export function appliedTicks(item: TickMarks): string[] {
  if (item.ticks) return [...item.ticks].sort();
  if (item.last_tick === undefined || item.last_tick_at === undefined) {
    return [];
  }
  return [`${item.last_tick_at}|${item.last_tick}`];
}

/** Applied already, by id: a copy scheduled at another time included. */
export function hasTick(applied: readonly string[], tick: TickRef): boolean {
  return applied.some(
    (entry) => entry.slice(entry.indexOf('|') + 1) === tick.id,
  );
}

export function tooOld(applied: readonly string[], tick: TickRef): boolean {
  const oldest = applied[0];
  const full = applied.length >= RECENT_TICKS;

  return full && oldest !== undefined && tickEntry(tick) < oldest;
}
