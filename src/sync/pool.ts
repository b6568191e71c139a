/**
 * Runs `work` over `items` with at most `width` in progress. Unlike mapping every item to a promise at once, memory
 * holds `width` tasks, not one per template, which matters when a registry has tens of thousands.
 *
 * After the first failure no new item starts, and the promise settles only once the tasks already running have
 * finished, so a caller recording what was done sees every file that was written.
 */
export async function eachWithin<T>(
  items: readonly T[],
  width: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      try {
        await work(items[next++]!);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  if (failure) throw failure.error;
}
