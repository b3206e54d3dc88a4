/**
 * Runs `work` over `items` with at most `parallel` at a time, results in
 * input order: how the benchmarks create many users, or ask for many jobs,
 * without opening a connection per item at once.
 */
export async function mapLimit<T, R>(items: readonly T[], parallel: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, lane));
  return results;
}
