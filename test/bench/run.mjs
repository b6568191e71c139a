// plx's benchmarks: every scenario against `plx sandbox` with added latency, several runs each, medians and ratios
// printed as a table and written to test/bench/results.json. Comparisons are made in the same run on the same
// machine, since absolute times on shared machines drift. Run with `npm run bench` (after `npm run build`).
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { cacheScenarios } from "./cache.mjs";
import { workspace } from "./workspace.mjs";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const PLX = join(ROOT, "bin/plx.js");
const KEY = "pl_bench_key";
const LATENCY_MS = 20;
const RUNS = Number(process.env.PLX_BENCH_RUNS ?? 5);
const CONCURRENCY = 16;
const results = [];

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function timed(fn) {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

async function startSandbox(latencyMs, extraArgs = []) {
  const child = spawn(
    process.execPath,
    [PLX, "sandbox", "--port", "0", "--api-key", KEY, "--latency", String(latencyMs), ...extraArgs],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  const url = await new Promise((resolve, reject) => {
    child.stdout.once("data", (chunk) => resolve(/listening on (\S+)/.exec(String(chunk))[1]));
    child.once("exit", () => reject(new Error("the sandbox exited")));
  });
  const admin = (method, path, body) =>
    fetch(`${url}/__sandbox/${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  return {
    url,
    admin,
    recorded: async () => (await admin("GET", "requests")).json(),
    requests: async () => (await (await admin("GET", "requests")).json()).length,
    clearRequests: () => admin("DELETE", "requests"),
    child,
    stop: () => child.kill(),
  };
}

async function plx(args, cwd, sandbox) {
  const env = {
    ...process.env,
    PROMPTLAYER_BASE_URL: sandbox.url,
    PROMPTLAYER_API_KEY: KEY,
    PLX_CI: "false",
    NO_COLOR: "1",
  };
  // Every scenario runs a command that must succeed: a failure would otherwise show up as a fast, cheap run.
  try {
    return await run(process.execPath, [PLX, ...args], { cwd, env, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    throw new Error(
      `plx ${args.join(" ")} exited ${error.code}: ${error.stdout?.slice(-500)}${error.stderr || error.message}`,
    );
  }
}

async function repo() {
  const dir = await mkdtemp(join(tmpdir(), "plx-bench-"));
  await writeFile(join(dir, "plx.config.yaml"), "promptsDir: prompts\n");
  return dir;
}

function record(name, { ms, requests, goal, met, note }) {
  results.push({ scenario: name, medianMs: Math.round(ms), requests, goal, met, ...(note ? { note } : {}) });
}

/** The median wall time of a process, started RUNS × 4 times. */
async function processMs(args) {
  const samples = [];
  for (let i = 0; i < RUNS * 4; i++) samples.push((await timed(() => run(process.execPath, args))).ms);
  return median(samples);
}

/** A bare `node -e 0` on this machine now: what start-up goals are measured against. */
let nodeMsMemo;
const nodeMs = async () => (nodeMsMemo ??= await processMs(["-e", "0"]));
const versusNode = (ms, node) => `node -e 0: ${Math.round(node)} ms, ratio ${(ms / node).toFixed(2)}`;

async function startup() {
  const node = await nodeMs();
  for (const flag of ["--version", "--help"]) {
    const ms = await processMs([PLX, flag]);
    record(`plx ${flag}`, {
      ms,
      requests: 0,
      goal: "<= 1.5x node -e 0",
      met: ms <= node * 1.5,
      note: versusNode(ms, node),
    });
  }
}

async function pullScenarios(sandbox) {
  await sandbox.admin("PUT", "state", workspace(1000));

  // What a user would write today: list with the official SDK, then get each template in turn.
  const { PromptLayer } = await import("promptlayer");
  const sdk = new PromptLayer({ apiKey: KEY, baseURL: sandbox.url });
  const loop = await timed(async () => {
    const all = [];
    for (let page = 1; ; page++) {
      const items = await sdk.templates.all({ page, per_page: 100 });
      all.push(...items);
      if (items.length < 100) break;
    }
    for (const item of all) await sdk.templates.get(item.prompt_name);
  });

  const samples = [];
  let requests = 0;
  let dir;
  for (let i = 0; i < RUNS; i++) {
    dir = await repo();
    await sandbox.clearRequests();
    samples.push((await timed(() => plx(["pull"], dir, sandbox))).ms);
    requests = await sandbox.requests();
    if (i < RUNS - 1) await rm(dir, { recursive: true, force: true });
  }
  const ms = median(samples);
  const ideal = (requests * LATENCY_MS) / CONCURRENCY;
  const bare = await bareClient(sandbox, await sandbox.recorded());
  record("pull 1,000 templates (empty dir)", {
    ms,
    requests,
    goal: ">= 6x faster than the SDK loop",
    met: loop.ms / ms >= 6,
    note: `SDK loop: ${Math.round(loop.ms)} ms (${(loop.ms / ms).toFixed(1)}x)`,
  });
  record("pull 1,000: share of ideal", {
    ms,
    requests,
    goal: ">= 80% of requests x latency / concurrency",
    met: ideal / ms >= 0.8,
    note: `ideal ${Math.round(ideal)} ms, ${Math.round((100 * ideal) / ms)}%; a bare HTTP client sending the same requests: ${Math.round(bare)} ms, ${Math.round((100 * ideal) / bare)}%`,
  });

  const noop = await measure(sandbox, () => plx(["pull"], dir, sandbox));
  record("pull, nothing changed (1,000 synced)", { ...noop, goal: "<= 50 requests", met: noop.requests <= 50 });

  const node = await nodeMs();
  const push = await measure(sandbox, () => plx(["push"], dir, sandbox));
  record("push, nothing changed (1,000 synced)", {
    ...push,
    goal: "<= 5 requests, <= 2x node -e 0",
    met: push.requests <= 5 && push.ms <= 2 * node,
    note: versusNode(push.ms, node),
  });

  const publish = await measure(sandbox, () => plx(["publish", "--label", "prod", "--yes"], dir, sandbox));
  record("publish --label prod, nothing changed", { ...publish, goal: "<= 20 requests", met: publish.requests <= 20 });

  const status = await measure(sandbox, () => plx(["status"], dir, sandbox));
  record("status, 1,000 files offline", {
    ...status,
    goal: "<= 2x node -e 0",
    met: status.ms <= 2 * node,
    note: versusNode(status.ms, node),
  });
  const check = await measure(sandbox, () => plx(["check"], dir, sandbox));
  record("check, 1,000 unchanged files offline", { ...check, goal: "< 300 ms", met: check.ms < 300 });

  // 200 changed templates, published at once.
  const changed = [];
  for (let i = 0; i < 200; i++) changed.push(`prompt-${i * 4 + 6}`);
  const samplesPublish = [];
  let publishRequests = 0;
  for (let round = 0; round < Math.max(1, Math.floor(RUNS / 2)); round++) {
    await editMany(dir, changed, round);
    await sandbox.clearRequests();
    const { ms, value } = await timed(() => plx(["push", "--json"], dir, sandbox));
    const published = JSON.parse(value.stdout).results.filter((r) => r.result === "updated").length;
    if (published !== changed.length)
      throw new Error(`push published ${published} of ${changed.length} changed templates: ${value.stderr}`);
    samplesPublish.push(ms);
    publishRequests = await sandbox.requests();
  }
  const publishMs = median(samplesPublish);
  const publishIdeal = (publishRequests * LATENCY_MS) / CONCURRENCY;
  record("push 200 changed templates", {
    ms: publishMs,
    requests: publishRequests,
    goal: "<= 2x ideal",
    met: publishMs <= publishIdeal * 2,
    note: `ideal ${Math.round(publishIdeal)} ms, ${(publishMs / publishIdeal).toFixed(2)}x; the no-op push above is its fixed cost`,
  });
  await rm(dir, { recursive: true, force: true });
}

async function editMany(dir, names, round) {
  const lock = JSON.parse(await readFile(join(dir, "plx.lock"), "utf8"));
  await Promise.all(
    names.map(async (name) => {
      const path = join(dir, lock.templates[name].path);
      const text = await readFile(path, "utf8");
      const edited = text.replace(/(Summarise|You are)( \(round \d+\))?/, `$1 (round ${round})`);
      if (edited === text) throw new Error(`could not edit ${path}`);
      await writeFile(path, edited);
    }),
  );
}

/**
 * The same requests plx sent, replayed by a client that does nothing else (no parsing, no files) at plx's
 * concurrency: the best any client could do against this sandbox on this machine, next to the ideal that assumes
 * a server with no time of its own.
 */
async function bareClient(sandbox, recorded) {
  const samples = [];
  for (let i = 0; i < Math.min(RUNS, 3); i++) {
    let next = 0;
    const { ms } = await timed(() =>
      Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < recorded.length) {
            const { method, path, query } = recorded[next++];
            const search = new URLSearchParams(
              Object.entries(query).flatMap(([key, values]) => [values].flat().map((value) => [key, value])),
            );
            const response = await fetch(`${sandbox.url}${path}?${search}`, { method, headers: { "x-api-key": KEY } });
            await response.arrayBuffer();
          }
        }),
      ),
    );
    samples.push(ms);
  }
  return median(samples);
}

async function measure(sandbox, fn) {
  const samples = [];
  let requests = 0;
  for (let i = 0; i < RUNS; i++) {
    await sandbox.clearRequests();
    samples.push((await timed(fn)).ms);
    requests = await sandbox.requests();
  }
  return { ms: median(samples), requests };
}

async function memory(sandbox) {
  await sandbox.admin("PUT", "state", workspace(10_000));
  const dir = await repo();
  const env = { ...process.env, PROMPTLAYER_BASE_URL: sandbox.url, PROMPTLAYER_API_KEY: KEY, PLX_CI: "false" };
  // GNU time reports the peak resident set of the process it ran, in kilobytes.
  const started = performance.now();
  const measured = await run("/usr/bin/time", ["-f", "%M", process.execPath, PLX, "pull"], {
    cwd: dir,
    env,
    maxBuffer: 64 * 1024 * 1024,
  }).catch((error) => error);
  const ms = performance.now() - started;
  const peakKb = Number(
    String(measured.stderr ?? "")
      .trim()
      .split("\n")
      .at(-1),
  );
  if (!Number.isFinite(peakKb))
    record("pull 10,000 templates: peak memory", {
      ms,
      goal: "< 300 MB",
      met: false,
      note: "not measured: /usr/bin/time is missing",
    });
  else
    record("pull 10,000 templates: peak memory", {
      ms,
      goal: "< 300 MB",
      met: peakKb < 300 * 1024,
      note: `peak RSS ${(peakKb / 1024).toFixed(0)} MB`,
    });
  await rm(dir, { recursive: true, force: true });
}

// PLX_BENCH_SCENARIOS=cache (comma-separated: startup, pull, memory, cache) runs only those; all by default.
const only = new Set((process.env.PLX_BENCH_SCENARIOS ?? "startup,pull,memory,cache").split(","));
const sandbox = await startSandbox(LATENCY_MS);
try {
  if (only.has("startup")) await startup();
  if (only.has("pull")) await pullScenarios(sandbox);
  if (only.has("memory")) await memory(sandbox);
} finally {
  sandbox.stop();
}
if (only.has("cache")) await cacheScenarios({ PLX, KEY, LATENCY_MS, record, startSandbox });

const table = [
  ["scenario", "median", "requests", "goal", "met", "note"],
  ...results.map((r) => [r.scenario, `${r.medianMs} ms`, r.requests ?? "", r.goal, r.met ? "yes" : "NO", r.note ?? ""]),
];
const widths = table[0].map((_, column) => Math.max(...table.map((row) => String(row[column]).length)));
console.log(table.map((row) => row.map((cell, column) => String(cell).padEnd(widths[column])).join(" | ")).join("\n"));
// A partial run is printed only: the results file always holds one whole run.
if (only.size === 4) {
  const out = join(ROOT, "test/bench/results.json");
  await writeFile(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, latencyMs: LATENCY_MS, runs: RUNS, results }, null, 2)}\n`,
  );
  console.log(`\nwritten to ${out}`);
}
