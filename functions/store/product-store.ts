/**
 * What the handlers, the worker and the seeder know of product storage.
 * Prices are whole cents; the wire format lives in protocol/.
 */

export interface ProductRecord {
  code: string;
  buyingCents: number;
  sellingCents: number;
  description: string;
  createdAt: string;
  updateAt: string;
}

export type SortField =
  | 'code'
  | 'buying_price'
  | 'selling_price'
  | 'description';

export interface ListQuery {
  limit: number;
  offset: number;
  ordering?: { field: SortField; descending: boolean };
  filters?: {
    buyingCents?: number;
    sellingCents?: number;
    description?: string;
  };
}

export interface ListResult {
  count: number;
  items: ProductRecord[];
}

/** One tick of the price task, as the store records it per product. */
export interface TickRef {
  id: string;
  /** ISO time the tick was scheduled; later ticks sort after earlier. */
  at: string;
}

export type PriceChange =
  | { status: 'updated'; record: ProductRecord; capped: boolean }
  | { status: 'already-applied' }
  /** The tick would leave the price as it is (0.00, or at the cap). */
  | { status: 'unchanged' }
  /** Older than every tick the product remembers: not applied. */
  | { status: 'too-old' }
  | { status: 'missing' };

/** What a tick did to one product of a batch, or what stopped it. */
export type TickOutcome = { code: string } & (
  | PriceChange
  | { status: 'failed'; error: unknown }
);

export interface ProductStore {
  get(code: string): Promise<ProductRecord | undefined>;
  list(query: ListQuery): Promise<ListResult>;
  /** Writes records as given, replacing any with the same code. */
  putMany(records: readonly ProductRecord[]): Promise<void>;
  isEmpty(): Promise<boolean>;
  /** Adds a product; ProductExistsError when the code is taken. */
  create(record: ProductRecord): Promise<void>;
  /**
   * Replaces a product's fields, keeping what the price task recorded.
   * ProductMissingError when it does not exist; ConflictError when
   * `expectedUpdateAt` is given and the product changed since.
   * Answers the product as it was before.
   */
  replace(
    record: ProductRecord,
    expectedUpdateAt?: string,
  ): Promise<ProductRecord>;
  /** Removes a product; answers it, or undefined when there was none. */
  delete(code: string): Promise<ProductRecord | undefined>;
  /** Every product code, a batch at a time, for whole-catalogue tasks. */
  scanCodes(batchSize?: number): AsyncIterable<string[]>;
  /**
   * Sets the selling price to `price(current)` once per tick: a tick
   * already applied to the product, or an older one, changes nothing.
   */
  applyTick(
    code: string,
    tick: TickRef,
    price: (sellingCents: number) => number,
    now: string,
  ): Promise<PriceChange>;
  /**
   * applyTick for a batch of products, `concurrency` at a time, with
   * one outcome per code in order; a product's failure is its outcome
   * and does not stop the others.
   */
  applyTicks(
    codes: readonly string[],
    tick: TickRef,
    price: (sellingCents: number) => number,
    now: string,
    concurrency?: number,
  ): Promise<TickOutcome[]>;
  /**
   * Writes the bookkeeping that follows applyTicks (the list counters),
   * including what earlier calls could not; throws while the store is
   * down. Answers tick changes whose writes had no answer and turned
   * out to have landed, still to be announced.
   */
  flushPending(): Promise<LateChange[]>;
  /**
   * Other writers that gathered bookkeeping and have not written it or
   * been heard from for `staleMs`: most likely stopped, leaving the list
   * counters off until a reindex.
   */
  abandonedCounts(staleMs: number): Promise<AbandonedCounts[]>;
}

export interface LateChange {
  tick: string;
  record: ProductRecord;
}

export interface AbandonedCounts {
  writer: string;
  /** When the writer was last heard from, ISO 8601. */
  lastSeen: string;
}
