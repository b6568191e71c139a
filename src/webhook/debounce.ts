// Coalescing: a burst of deliveries (ten saves in the editor, a publish touching twenty templates) becomes one batch,
// handed over once the burst has been quiet for `waitMs`, or `maxWaitMs` after it began so a steady trickle still
// gets through. Batches are handled one at a time, in order; deliveries arriving meanwhile form the next batch.

/** The clock and timers, injectable so tests drive time instead of waiting for it. */
export interface Timers {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface DebouncerOptions<T> {
  waitMs: number;
  /** Longest a batch waits from its first item; default ten times `waitMs`, at least one minute. */
  maxWaitMs?: number;
  /** Handles one batch. Its failures are the caller's to catch: a rejection here is reported to `onError`. */
  onBatch: (batch: T[]) => Promise<void> | void;
  onError?: (error: unknown) => void;
  timers?: Timers;
}

export class Debouncer<T> {
  private items: T[] = [];
  private firstAt = 0;
  private timer: unknown;
  private chain: Promise<void> = Promise.resolve();
  private releaseWaiters: Array<() => void> = [];
  private readonly timers: Timers;
  private readonly maxWaitMs: number;

  constructor(private readonly options: DebouncerOptions<T>) {
    this.timers = options.timers ?? realTimers;
    this.maxWaitMs = options.maxWaitMs ?? Math.max(10 * options.waitMs, 60_000);
  }

  push(item: T): void {
    const now = this.timers.now();
    if (this.items.length === 0) this.firstAt = now;
    this.items.push(item);
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    const due = Math.min(now + this.options.waitMs, this.firstAt + this.maxWaitMs);
    this.timer = this.timers.setTimeout(() => this.release(), Math.max(0, due - now));
  }

  /** Items waiting for their batch to be released. */
  get pending(): number {
    return this.items.length;
  }

  /** Releases what is waiting now, and resolves once every batch released so far has been handled. */
  async flush(): Promise<void> {
    this.release();
    await this.settled();
  }

  /**
   * Resolves once nothing is waiting and every batch has been handled, without hurrying the window: what a serverless
   * host hands to `waitUntil`, so the invocation lives until the batch is out.
   */
  async idle(): Promise<void> {
    while (this.items.length > 0) await new Promise<void>((resolve) => this.releaseWaiters.push(resolve));
    await this.settled();
  }

  private async settled(): Promise<void> {
    let settled: Promise<void> | undefined;
    while (settled !== this.chain) {
      settled = this.chain;
      await settled;
    }
  }

  private release(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.items.length === 0) return;
    const batch = this.items;
    this.items = [];
    this.chain = this.chain.then(async () => {
      try {
        await this.options.onBatch(batch);
      } catch (error) {
        this.options.onError?.(error);
      }
    });
    for (const resolve of this.releaseWaiters.splice(0)) resolve();
  }
}
