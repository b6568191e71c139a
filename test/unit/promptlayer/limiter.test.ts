import { describe, expect, it } from "vitest";
import { AdaptiveLimiter, type LoadSignal } from "../../../src/promptlayer/limiter.js";

const settle = (load: LoadSignal) => async () => ({ result: undefined, load });

describe("AdaptiveLimiter", () => {
  it("never runs more than the limit at once", async () => {
    const limiter = new AdaptiveLimiter(3);
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        limiter.run(async () => {
          peak = Math.max(peak, ++running);
          await new Promise((resolve) => setTimeout(resolve, 2));
          running--;
          return { result: undefined, load: "ok" as const };
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(limiter.state().peakInFlight).toBe(3);
  });

  it("halves on a 429, down to 1", async () => {
    const limiter = new AdaptiveLimiter(16);
    const concurrency: number[] = [];
    for (let i = 0; i < 6; i++) {
      await limiter.run(settle("throttled"));
      concurrency.push(limiter.state().concurrency);
    }
    expect(concurrency).toEqual([8, 4, 2, 1, 1, 1]);
  });

  it("halves once for a burst of 429s that were all sent at the old limit", async () => {
    const limiter = new AdaptiveLimiter(16);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const burst = Array.from({ length: 10 }, () =>
      limiter.run(async () => {
        await gate;
        return { result: undefined, load: "throttled" as const };
      }),
    );
    release();
    await Promise.all(burst);
    expect(limiter.state().concurrency).toBe(8);
  });

  it("grows by one after a full window of successes, up to the ceiling", async () => {
    const limiter = new AdaptiveLimiter(4);
    await limiter.run(settle("throttled"));
    await limiter.run(settle("throttled"));
    expect(limiter.state().concurrency).toBe(1);
    await limiter.run(settle("ok"));
    expect(limiter.state().concurrency).toBe(2);
    await limiter.run(settle("ok"));
    expect(limiter.state().concurrency).toBe(2);
    await limiter.run(settle("ok"));
    expect(limiter.state().concurrency).toBe(3);
    for (let i = 0; i < 20; i++) await limiter.run(settle("ok"));
    expect(limiter.state().concurrency).toBe(4);
  });

  it("ignores neutral outcomes", async () => {
    const limiter = new AdaptiveLimiter(4);
    await limiter.run(settle("throttled"));
    for (let i = 0; i < 10; i++) await limiter.run(settle("neutral"));
    expect(limiter.state().concurrency).toBe(2);
  });

  it("releases the slot when the task throws", async () => {
    const limiter = new AdaptiveLimiter(1);
    await expect(limiter.run(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(limiter.run(async () => ({ result: 7, load: "ok" as const }))).resolves.toBe(7);
  });

  it("rejects a nonsensical limit", () => {
    expect(() => new AdaptiveLimiter(0)).toThrow(RangeError);
  });
});
