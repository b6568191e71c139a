/**
 * Runs `work` over `items` with at most `width` in progress. Unlike mapping every item to a promise at once, memory
 * holds `width` tasks, not one per template, which matters when a registry has tens of thousands.
 */
export async function eachWithin<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}
