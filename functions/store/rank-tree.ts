/**
 * Rank trees: counters that let a list page start at any offset without
 * reading the products before it.
 *
 * Each ordering has a sort key per product (sort-keys.ts), a string whose
 * code-point order is the list order. For every prefix of a key up to
 * the ordering's depth there is one counter item holding, per next code
 * point, how many products continue the prefix with it:
 *
 *   code = "~n#selling_price#00001"  "=3": 120  "=4": 97  ...
 *   (`=` + symbol; `=` alone counts keys that end at the prefix)
 *
 * To find position p, walk down from the root prefix subtracting the
 * counts of earlier children (at most `depth` reads), then query the
 * ordering's index from the prefix reached and skip what is left, which
 * is at most the population of one leaf.
 */
import type { SortField } from './product-store.js';

export const NODE_PREFIX = '~n#';
/** Stop walking down once a subtree holds this many products or fewer. */
export const SMALL_SUBTREE = 48;
/** The symbol for "the key ends here"; sorts before every code point. */
export const END = '';

/**
 * Levels of counters per ordering. Deeper trees make leaves smaller and
 * writes dearer. Products whose keys share more than this many leading
 * characters (a long common description, many equal prices) share a
 * leaf, and a page inside such a leaf reads the leaf up to its offset.
 */
export const TREE_DEPTH: Record<SortField, number> = {
  code: 3,
  buying_price: 9,
  selling_price: 9,
  description: 16,
};

export function nodeId(field: SortField, prefix: string): string {
  return `${NODE_PREFIX}${field}#${prefix}`;
}

export function isNodeId(code: string): boolean {
  return code.startsWith(NODE_PREFIX);
}

/** (prefix, symbol) pairs on a key's path, root first. */
export function path(key: string, depth: number): [string, string][] {
  const points = [...key];
  const steps: [string, string][] = [];
  for (let level = 0; level < depth; level++) {
    const prefix = points.slice(0, level).join('');
    const symbol = points[level];
    steps.push([prefix, symbol ?? END]);
    if (symbol === undefined) break;
  }

  return steps;
}

/** node id -> symbol -> change in count. */
export type Deltas = Map<string, Map<string, number>>;

export function addPath(
  deltas: Deltas,
  field: SortField,
  key: string,
  change: number,
): void {
  for (const [prefix, symbol] of path(key, TREE_DEPTH[field])) {
    const step = new Map([[symbol, change]]);
    mergeDeltas(deltas, new Map([[nodeId(field, prefix), step]]));
  }
}

/** Adds the changes of `from` into `into`, dropping what sums to 0. */
export function mergeDeltas(into: Deltas, from: Deltas): void {
  for (const [id, symbols] of from) {
    const node = into.get(id) ?? new Map<string, number>();
    for (const [symbol, change] of symbols) {
      const sum = (node.get(symbol) ?? 0) + change;
      if (sum === 0) node.delete(symbol);
      else node.set(symbol, sum);
    }
    if (node.size === 0) into.delete(id);
    else into.set(id, node);
  }
}

export function compareSymbols(a: string, b: string): number {
  return (a.codePointAt(0) ?? -1) - (b.codePointAt(0) ?? -1);
}

/** Strings in code-point order, which is DynamoDB's (UTF-8) order. */
export function compareKeys(a: string, b: string): number {
  const left = [...a];
  const right = [...b];
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const order = compareSymbols(left[i] as string, right[i] as string);
    if (order !== 0) return order;
  }

  return left.length - right.length;
}

export type NodeCounts = [symbol: string, count: number][];

/** Where position `position` sits: a prefix and how many to skip in it. */
export async function locate(
  field: SortField,
  position: number,
  readNode: (id: string) => Promise<NodeCounts>,
): Promise<{ prefix: string; skip: number }> {
  let prefix = '';
  let skip = position;
  for (let level = 0; level < TREE_DEPTH[field]; level++) {
    const children = (await readNode(nodeId(field, prefix)))
      .filter(([, count]) => count > 0)
      .sort(([a], [b]) => compareSymbols(a, b));
    const chosen = children.find(([, count]) => {
      if (skip < count) return true;
      skip -= count;
      return false;
    });
    if (!chosen || chosen[0] === END) break;
    prefix += chosen[0];
    if (chosen[1] <= SMALL_SUBTREE) break;
  }

  return { prefix, skip };
}
