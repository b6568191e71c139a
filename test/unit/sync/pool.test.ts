import { describe, expect, it } from "vitest";
import { eachWithin } from "../../../src/sync/pool.js";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe("eachWithin", () => {
  it("never has more than `width` tasks running, and runs every item once", async () => {
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    await eachWithin(
      Array.from({ length: 50 }, (_, i) => i),
      4,
      async (item) => {
        running += 1;
        peak = Math.max(peak, running);
        await tick();
        seen.push(item);
        running -= 1;
      },
    );
    expect(peak).toBe(4);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it("after a failure starts nothing new, lets running tasks finish, then rejects with the first error", async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const run = eachWithin(
      Array.from({ length: 20 }, (_, i) => i),
      3,
      async (item) => {
        started.push(item);
        if (item === 4) throw new Error("item 4 failed");
        if (item === 5) {
          await tick();
          throw new Error("item 5 failed later");
        }
        await tick();
        await tick();
        finished.push(item);
      },
    );
    await expect(run).rejects.toThrow("item 4 failed");
    expect(Math.max(...started)).toBeLessThan(8);
    // Every task that started and did not fail itself had finished before the promise settled.
    expect(finished.sort((a, b) => a - b)).toEqual(
      started.filter((item) => item !== 4 && item !== 5).sort((a, b) => a - b),
    );
  });
});
