// Running an agent and polling its results, against the sandbox, with the clock and the waits injected: the backoff
// and the --wait limit are checked without any real waiting.
import { afterEach, describe, expect, it } from "vitest";
import { POLL_BACKOFF, runAgent } from "../../../src/agents/run.js";
import { PromptLayerClient } from "../../../src/promptlayer/index.js";
import { startSandbox } from "../../../src/sandbox/index.js";

const KEY = "pl_agent_run_service_key";
const closers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((closer) => closer.close()));
});

async function setUp(polls: number) {
  const server = await startSandbox({ apiKey: KEY });
  closers.push(server);
  const pl = new PromptLayerClient({ apiKey: KEY, baseUrl: server.url });
  closers.push(pl);
  await fetch(`${server.url}/__sandbox/agents`, { method: "PATCH", body: JSON.stringify({ polls }) });
  await pl.workflows.create({
    name: "echo",
    nodes: [
      {
        name: "out",
        node_type: "VARIABLE",
        configuration: { value: { type: "string", value: "default" } },
        is_output_node: true,
      },
    ],
    edges: [],
    required_input_variables: {},
  });
  return pl;
}

/** A clock that moves only when the run "sleeps", recording each wait. */
function fakeTime() {
  let now = 1_000_000;
  const waits: number[] = [];
  return {
    waits,
    now: () => now,
    sleep: async (ms: number) => {
      waits.push(ms);
      now += ms;
    },
  };
}

const request = { name: "echo", inputs: { out: "hi" }, metadata: {} };

describe("runAgent", () => {
  it("polls with a growing wait until the run ends, and returns its output", async () => {
    const pl = await setUp(4);
    const time = fakeTime();
    const seen: string[][] = [];
    const result = await runAgent(
      pl.workflows,
      { ...request, waitMs: 600_000 },
      {
        ...time,
        onProgress: ({ nodes }) => seen.push(nodes.map((node) => node.status)),
      },
    );
    expect(result).toMatchObject({ status: "succeeded", output: "hi", polls: 5, failed: [] });
    expect(time.waits).toEqual([
      POLL_BACKOFF.firstMs,
      POLL_BACKOFF.firstMs * 1.5,
      POLL_BACKOFF.firstMs * 1.5 ** 2,
      POLL_BACKOFF.firstMs * 1.5 ** 3,
    ]);
    expect(seen.at(0)).toEqual(["RUNNING"]);
    expect(seen.at(-1)).toEqual(["SUCCESS"]);
  });

  it("never waits longer than --wait leaves, and reports the run as still going with its execution id", async () => {
    const pl = await setUp(1_000_000);
    const time = fakeTime();
    const result = await runAgent(pl.workflows, { ...request, waitMs: 500 }, time);
    expect(result.status).toBe("timed-out");
    expect(result.executionId).toEqual(expect.any(Number));
    expect(time.waits).toEqual([250, 250]);
    expect(result.elapsedMs).toBe(500);
    expect(result.output).toBeUndefined();
  });

  it("caps the wait between reads at five seconds", async () => {
    const pl = await setUp(12);
    const time = fakeTime();
    await runAgent(pl.workflows, { ...request, waitMs: 600_000 }, time);
    expect(Math.max(...time.waits)).toBe(POLL_BACKOFF.maxMs);
    expect(time.waits.at(-1)).toBe(POLL_BACKOFF.maxMs);
  });
});
