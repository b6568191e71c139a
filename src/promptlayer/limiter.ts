import pLimit, { type LimitFunction } from "p-limit";

/** How an attempt went, as far as the server's load is concerned. */
export type LoadSignal = "ok" | "throttled" | "neutral";

export interface LimiterState {
  /** The limit in force now. */
  concurrency: number;
  /** The configured ceiling. */
  max: number;
  inFlight: number;
  queued: number;
  /** The most attempts ever in flight at once. */
  peakInFlight: number;
}

/**
 * One concurrency limit shared by every request of a client, adapted to the server the way TCP adapts to a
 * network (AIMD): halved when the server answers 429, raised by one after a full window of successes.
 *
 * p-limit owns the queue (its `concurrency` can be changed at run time and queued work starts as soon as it
 * is raised); this class only adds the policy. A burst of 429s from attempts that were all sent at the old
 * limit halves it once, not once per 429: each attempt remembers the generation it started in, and only an
 * attempt from the current generation may cut.
 */
export class AdaptiveLimiter {
  private readonly limit: LimitFunction;
  private generation = 0;
  private successes = 0;
  private peak = 0;

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`concurrency must be a positive integer, got ${max}`);
    this.limit = pLimit(max);
  }

  /** Runs `task` in a slot; the task reports how the server took it. */
  run<T>(task: () => Promise<{ result: T; load: LoadSignal }>): Promise<T> {
    return this.limit(async () => {
      const generation = this.generation;
      this.peak = Math.max(this.peak, this.limit.activeCount);
      const { result, load } = await task();
      this.adapt(load, generation);
      return result;
    });
  }

  state(): LimiterState {
    return {
      concurrency: this.limit.concurrency,
      max: this.max,
      inFlight: this.limit.activeCount,
      queued: this.limit.pendingCount,
      peakInFlight: this.peak,
    };
  }

  private adapt(load: LoadSignal, generation: number): void {
    if (load === "throttled") {
      this.successes = 0;
      if (generation === this.generation) {
        this.generation++;
        this.limit.concurrency = Math.max(1, Math.floor(this.limit.concurrency / 2));
      }
    } else if (load === "ok" && this.limit.concurrency < this.max && ++this.successes >= this.limit.concurrency) {
      this.successes = 0;
      this.limit.concurrency += 1;
    }
  }
}
