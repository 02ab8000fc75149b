/**
 * Shared watching: one entry per watched code, whatever the number of
 * watchers. Each entry asks the API once per interval, with the ETag of
 * the state it holds, and tells its watchers only of changes. States
 * learnt elsewhere (product events) go through `offer`, and an older
 * state never replaces a newer one, whichever path brings it.
 */
import type { Logger } from '../../functions/shared/logger.js';
import {
  changedFields,
  PRODUCT_FIELDS,
  type Product,
} from '../../protocol/index.js';
import type { Upstream } from './upstream.js';

export type WatchProblem = 'not_found' | 'upstream';

export interface Watcher {
  /** A state of the product: the first one, then each change. */
  product(product: Product): void;
  /** `not_found` ends the watch; `upstream` comes once per outage. */
  problem(code: string, problem: WatchProblem): void;
}

interface Entry {
  code: string;
  watchers: Set<Watcher>;
  product?: Product;
  etag?: string;
  timer?: NodeJS.Timeout;
  failing: boolean;
}

export interface HubStats {
  codes: number;
  watchers: number;
  polls: number;
  changes: number;
}

export interface WatchHubOptions {
  upstream: Upstream;
  pollIntervalMs: number;
  logger: Logger;
}

export class WatchHub {
  readonly #entries = new Map<string, Entry>();
  readonly #options: WatchHubOptions;
  #failing = 0;
  #polls = 0;
  #changes = 0;
  #closed = false;

  constructor(options: WatchHubOptions) {
    this.#options = options;
  }

  watch(code: string, watcher: Watcher): void {
    if (this.#closed) return;
    const known = this.#entries.get(code);
    if (known) {
      known.watchers.add(watcher);
      if (known.product) watcher.product(known.product);
      if (known.failing) watcher.problem(code, 'upstream');
      return;
    }
    const entry: Entry = { code, watchers: new Set([watcher]), failing: false };
    this.#entries.set(code, entry);

    void this.#poll(entry);
  }

  unwatch(code: string, watcher: Watcher): void {
    const entry = this.#entries.get(code);
    if (!entry) return;
    entry.watchers.delete(watcher);
    if (entry.watchers.size === 0) this.#drop(entry);
  }

  /** A state learnt elsewhere; told to watchers when it is newer. */
  offer(state: Product): void {
    const entry = this.#entries.get(state.code);
    if (entry) this.#apply(entry, pickProduct(state));
  }

  stats(): HubStats {
    let watchers = 0;
    for (const entry of this.#entries.values()) {
      watchers += entry.watchers.size;
    }

    return {
      codes: this.#entries.size,
      watchers,
      polls: this.#polls,
      changes: this.#changes,
    };
  }

  close(): void {
    this.#closed = true;
    for (const entry of [...this.#entries.values()]) this.#drop(entry);
  }

  async #poll(entry: Entry): Promise<void> {
    const { upstream, logger } = this.#options;
    const started = Date.now();
    this.#polls += 1;
    try {
      const lookup = await upstream.get(entry.code, entry.etag);
      if (!this.#live(entry)) return;
      this.#recovered(entry);
      if (lookup.status === 'not-found') {
        this.#gone(entry);
        return;
      }
      if (lookup.status === 'ok') {
        entry.etag = lookup.etag;
        this.#apply(entry, pickProduct(lookup.product));
      }
    } catch (error) {
      if (this.#live(entry)) this.#failed(entry, error);
      else logger.debug('poll failed after unwatch', { code: entry.code });
    }
    this.#schedule(entry, started);
  }

  /** The next poll one interval after this one began, not ended. */
  #schedule(entry: Entry, started: number): void {
    if (!this.#live(entry)) return;
    const wait = started + this.#options.pollIntervalMs - Date.now();
    entry.timer = setTimeout(() => void this.#poll(entry), Math.max(0, wait));
  }

  #live(entry: Entry): boolean {
    return !this.#closed && this.#entries.get(entry.code) === entry;
  }

  #apply(entry: Entry, product: Product): void {
    if (entry.product && !isNewer(product, entry.product)) return;
    entry.product = product;
    this.#changes += 1;
    for (const watcher of [...entry.watchers]) watcher.product(product);
  }

  #failed(entry: Entry, error: unknown): void {
    if (entry.failing) return;
    entry.failing = true;
    this.#failing += 1;
    if (this.#failing === 1) {
      this.#options.logger.warn('upstream failing', {
        code: entry.code,
        error,
      });
    }
    for (const watcher of [...entry.watchers]) {
      watcher.problem(entry.code, 'upstream');
    }
  }

  #recovered(entry: Entry): void {
    if (!entry.failing) return;
    entry.failing = false;
    this.#failing -= 1;
    if (this.#failing === 0) this.#options.logger.info('upstream back');
  }

  #gone(entry: Entry): void {
    const watchers = [...entry.watchers];
    this.#drop(entry);
    for (const watcher of watchers) watcher.problem(entry.code, 'not_found');
  }

  #drop(entry: Entry): void {
    clearTimeout(entry.timer);
    if (entry.failing) this.#failing -= 1;
    entry.watchers.clear();
    if (this.#entries.get(entry.code) === entry) {
      this.#entries.delete(entry.code);
    }
  }
}

/**
 * Whether `candidate` should replace `current`: it differs, and its
 * `update_at` is not older (unreadable times count as newer).
 */
export function isNewer(candidate: Product, current: Product): boolean {
  if (changedFields(current, candidate).length === 0) return false;
  const before = Date.parse(current.update_at);
  const after = Date.parse(candidate.update_at);

  return !(after < before);
}

/** The product fields alone, without extras such as an event's tick. */
export function pickProduct(value: Product): Product {
  const product = {} as Product;
  for (const field of PRODUCT_FIELDS) product[field] = value[field];

  return product;
}
