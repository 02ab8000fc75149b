/**
 * The ticks a product remembers, as `ticks` entries of
 * "<scheduled at>|<tick id>|<writer>", the writer being the store
 * instance that applied it (older entries lack it, and items from before
 * the list kept one tick in last_tick and last_tick_at).
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

export function tickEntry(tick: TickRef, writer: string): string {
  return `${tick.at}|${tick.id}|${writer}`;
}

function parts(entry: string): { id: string; writer?: string } {
  const [, id = '', writer] = entry.split('|');

  return { id, writer };
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
  return applied.some((entry) => parts(entry).id === tick.id);
}

/** The writer that applied the tick, when the product remembers it. */
export function tickWriter(
  applied: readonly string[],
  tick: TickRef,
): string | undefined {
  const entry = applied.find((each) => parts(each).id === tick.id);

  return entry === undefined ? undefined : parts(entry).writer;
}

export function tooOld(applied: readonly string[], tick: TickRef): boolean {
  const oldest = applied[0];
  const full = applied.length >= RECENT_TICKS;

  return full && oldest !== undefined && `${tick.at}|${tick.id}` < oldest;
}
