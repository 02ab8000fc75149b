/**
 * Runs `work` on every item, at most `limit` at once, in item order.
 * The first failure rejects the call; work already started goes on.
 */
export async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  const lanes = Math.max(1, Math.min(limit, items.length));

  await Promise.all(Array.from({ length: lanes }, lane));
}
