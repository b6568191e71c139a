// After the 202: coalescing, the loop guard, and the actions with their retries. Time is a ManualClock; sleeps are
// recorded, not slept.
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { contentHash } from "../../../src/core/canonical.js";
import { templateFromRaw } from "../../../src/core/template.js";
import { startSandbox } from "../../../src/sandbox/index.js";
import {
  ActionError,
  dispatchPayload,
  githubDispatchAction,
  gitlabTriggerAction,
  summarizeBatch,
  type SyncAction,
  type SyncBatch,
} from "../../../src/webhook/actions.js";
import { Debouncer } from "../../../src/webhook/debounce.js";
import { parseEnvelope, type WebhookEvent } from "../../../src/webhook/envelope.js";
import { execAction } from "../../../src/webhook/exec-action.js";
import { createLoopGuard } from "../../../src/webhook/loop-guard.js";
import { createSyncPipeline, type PipelineLog } from "../../../src/webhook/pipeline.js";
import { json, tinyServer, type TinyServer } from "../../support/tiny-server.js";
import { envelope, ManualClock } from "../../support/webhook.js";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function event(type: string, details: Record<string, unknown>, user = "Ada Lovelace"): WebhookEvent {
  const parsed = parseEnvelope(envelope(type, details, "2026-08-21T10:00:00", { user_name: user }));
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.event;
}
const versionCreated = (id: number, name: string, version: number) =>
  event("prompt_template_version_created", {
    prompt_template_id: id,
    prompt_template_name: name,
    prompt_template_version_number: version,
  });

describe("Debouncer", () => {
  it("makes one batch of a burst inside the window, released once the burst is quiet", async () => {
    const clock = new ManualClock(0);
    const batches: number[][] = [];
    const debouncer = new Debouncer<number>({
      waitMs: 10_000,
      timers: clock,
      onBatch: (batch) => void batches.push(batch),
    });
    for (let i = 0; i < 20; i++) {
      debouncer.push(i);
      clock.advance(400);
    }
    expect(batches).toEqual([]);
    clock.advance(9_599);
    expect(batches).toEqual([]);
    clock.advance(1);
    await debouncer.flush();
    expect(batches).toEqual([Array.from({ length: 20 }, (_, i) => i)]);
  });

  it("releases a steady trickle at the longest wait instead of holding it forever", async () => {
    const clock = new ManualClock(0);
    const batches: number[][] = [];
    const debouncer = new Debouncer<number>({
      waitMs: 1_000,
      maxWaitMs: 5_000,
      timers: clock,
      onBatch: (batch) => void batches.push(batch),
    });
    for (let i = 0; i < 8; i++) {
      debouncer.push(i);
      clock.advance(900);
    }
    await debouncer.flush();
    expect(batches[0]).toEqual([0, 1, 2, 3, 4, 5]);
    expect(batches.flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("handles batches one at a time, in order; flush releases what waits and waits for it", async () => {
    const clock = new ManualClock(0);
    const order: string[] = [];
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const debouncer = new Debouncer<string>({
      waitMs: 100,
      timers: clock,
      onBatch: async (batch) => {
        order.push(`start ${batch.join("+")}`);
        if (batch[0] === "a") await blocked;
        order.push(`end ${batch.join("+")}`);
      },
    });
    debouncer.push("a");
    clock.advance(100);
    debouncer.push("b");
    debouncer.push("c");
    const flushed = debouncer.flush();
    await Promise.resolve();
    expect(order).toEqual(["start a"]);
    release();
    await flushed;
    expect(order).toEqual(["start a", "end a", "start b+c", "end b+c"]);
    expect(clock.pendingTimers).toBe(0);
  });

  it("idle() waits for the window to close on its own", async () => {
    const clock = new ManualClock(0);
    const batches: string[][] = [];
    const debouncer = new Debouncer<string>({
      waitMs: 50,
      timers: clock,
      onBatch: (batch) => void batches.push(batch),
    });
    debouncer.push("x");
    let idle = false;
    const waiting = debouncer.idle().then(() => (idle = true));
    await Promise.resolve();
    expect(idle).toBe(false);
    clock.advance(50);
    await waiting;
    expect(batches).toEqual([["x"]]);
  });
});

function recordingAction(failures: Array<ActionError | Error> = []): SyncAction & { batches: SyncBatch[] } {
  const batches: SyncBatch[] = [];
  return {
    describe: "test action",
    batches,
    run: async (batch) => {
      batches.push(batch);
      const failure = failures.shift();
      if (failure) throw failure;
    },
  };
}

describe("the sync pipeline", () => {
  it("coalesces a burst of 20 events into one action naming every template involved", async () => {
    const clock = new ManualClock(0);
    const action = recordingAction();
    const pipeline = createSyncPipeline({ action, debounceMs: 10_000, timers: clock });
    for (let i = 0; i < 20; i++) {
      pipeline.push(versionCreated(i % 4, `t${i % 4}`, i));
      clock.advance(100);
    }
    clock.advance(10_000);
    await pipeline.drain();
    expect(action.batches).toHaveLength(1);
    expect(action.batches[0]!.events).toHaveLength(20);
    expect(action.batches[0]!.templates.map((t) => t.name)).toEqual(["t0", "t1", "t2", "t3"]);
    expect(pipeline.stats()).toMatchObject({ batches: 1, actionsSucceeded: 1 });
  });

  it("retries a failing action with backoff, then succeeds", async () => {
    const slept: number[] = [];
    const logs: PipelineLog[] = [];
    const action = recordingAction([new ActionError("HTTP 502", true), new Error("socket hang up")]);
    const pipeline = createSyncPipeline({
      action,
      debounceMs: 0,
      retryDelaysMs: [10, 20, 40],
      sleep: async (ms) => void slept.push(ms),
      log: (entry) => logs.push(entry),
    });
    pipeline.push(versionCreated(1, "a", 2));
    await pipeline.drain();
    expect(action.batches).toHaveLength(3);
    expect(slept).toEqual([10, 20]);
    expect(logs.map((entry) => (entry.kind === "action" ? entry.outcome : entry.kind))).toEqual([
      "retrying",
      "retrying",
      "done",
    ]);
  });

  it("gives up at once on a failure retrying cannot fix, and after its retries on the rest, never throwing", async () => {
    const logs: PipelineLog[] = [];
    const action = recordingAction([new ActionError("HTTP 401: Bad credentials", false)]);
    const pipeline = createSyncPipeline({ action, debounceMs: 0, sleep: async () => {}, log: (e) => logs.push(e) });
    pipeline.push(versionCreated(1, "a", 2));
    await pipeline.drain();
    expect(action.batches).toHaveLength(1);
    expect(logs).toEqual([
      expect.objectContaining({ outcome: "failed", attempt: 1, reason: "HTTP 401: Bad credentials" }),
    ]);

    const flaky = recordingAction(Array.from({ length: 10 }, () => new ActionError("HTTP 503", true)));
    const stubborn = createSyncPipeline({ action: flaky, debounceMs: 0, retryDelaysMs: [1, 1], sleep: async () => {} });
    stubborn.push(versionCreated(1, "a", 2));
    await stubborn.drain();
    expect(flaky.batches).toHaveLength(3);
    expect(stubborn.stats()).toMatchObject({ actionsFailed: 1 });
  });

  it("on shutdown tries a waiting retry at once and then gives up, rather than waiting out the backoff", async () => {
    const logs: PipelineLog[] = [];
    const failing = recordingAction(Array.from({ length: 10 }, () => new ActionError("HTTP 503", true)));
    let waiting: (() => void) | undefined;
    const pipeline = createSyncPipeline({
      action: failing,
      debounceMs: 0,
      retryDelaysMs: [60_000, 60_000, 60_000],
      // A wait that only the shutdown ends, as a minute-long backoff would be cut short.
      sleep: (_ms, stopping) =>
        new Promise<void>((resolve) => {
          waiting = resolve;
          stopping.addEventListener("abort", () => resolve());
        }),
      log: (entry) => logs.push(entry),
    });
    pipeline.push(versionCreated(1, "a", 2));
    for (let i = 0; i < 100 && !waiting; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(waiting).toBeDefined();
    await pipeline.shutdown();
    expect(failing.batches).toHaveLength(2);
    expect(
      logs.map((entry) =>
        entry.kind === "action" && entry.outcome !== "done" ? `${entry.outcome} ${entry.reason}` : entry.kind,
      ),
    ).toEqual(["retrying HTTP 503", "failed HTTP 503 (not retried: stopping)"]);
    expect(pipeline.stats()).toMatchObject({ actionsFailed: 1 });
  });

  it("leaves out what the loop guard recognises, and runs nothing when only echoes remain", async () => {
    const echo = versionCreated(1, "from-git", 5);
    const real = versionCreated(2, "from-ui", 3);
    const action = recordingAction();
    const logs: PipelineLog[] = [];
    const pipeline = createSyncPipeline({
      action,
      debounceMs: 0,
      loopGuard: { echoes: async (events) => new Set(events.filter((e) => e === echo)) },
      log: (entry) => logs.push(entry),
    });
    pipeline.push(echo);
    pipeline.push(real);
    await pipeline.drain();
    pipeline.push(echo);
    await pipeline.drain();
    expect(action.batches.map((batch) => batch.templates.map((t) => t.name))).toEqual([["from-ui"]]);
    expect(logs[0]).toEqual({ kind: "echo", events: ["prompt_template_version_created from-git v5"] });
    expect(pipeline.stats()).toMatchObject({ batches: 2, echoesSkipped: 2, actionsSucceeded: 1 });
  });
});

describe("summarizeBatch and the payloads", () => {
  it("names templates once (as now named), the users, and approved label changes", () => {
    const batch = summarizeBatch([
      versionCreated(1, "a", 2),
      event("prompt_template_name_changed", {
        prompt_template_id: 1,
        prompt_template_name: "b",
        old_prompt_template_name: "a",
      }),
      event(
        "prompt_template_label_change_approved",
        { prompt_template_id: 3, prompt_template_name: "c", prompt_template_label: "prod", change_type: "move" },
        "Grace Hopper",
      ),
    ]);
    expect(batch.templates).toEqual([
      { id: 1, name: "b" },
      { id: 3, name: "c" },
    ]);
    expect(batch.users).toEqual(["Ada Lovelace", "Grace Hopper"]);
    expect(batch.approvals).toEqual([{ template: "c", label: "prod" }]);
  });

  it("keeps client_payload within GitHub's 10 keys and 64 KB", () => {
    const many = Array.from({ length: 5000 }, (_, i) => versionCreated(i, `template-with-a-long-name-${i}`, 1));
    const payload = dispatchPayload(summarizeBatch(many));
    expect(Object.keys(payload).length).toBeLessThanOrEqual(10);
    expect(Buffer.byteLength(JSON.stringify(payload))).toBeLessThan(64 * 1024);
    expect(payload.truncated).toBe(true);
    expect(payload.events).toBe(5000);
  });
});

async function forge(handle: Parameters<typeof tinyServer>[0]): Promise<TinyServer> {
  const server = await tinyServer(handle);
  cleanups.push(() => server.close());
  return server;
}

describe("actions", () => {
  it("sends a repository_dispatch of type promptlayer", async () => {
    const github = await forge((_request, response) => {
      response.writeHead(204).end();
    });
    const action = githubDispatchAction({
      apiUrl: `${github.url}/api/v3/`,
      repository: "acme/prompts",
      token: "ghs_x",
    });
    await action.run(summarizeBatch([versionCreated(1, "a", 2)]));
    const [request] = github.requests;
    expect(request).toMatchObject({ method: "POST", url: "/api/v3/repos/acme/prompts/dispatches" });
    expect(request!.headers.authorization).toBe("Bearer ghs_x");
    expect(request!.headers["x-github-api-version"]).toBe("2022-11-28");
    expect(JSON.parse(request!.body)).toEqual({
      event_type: "promptlayer",
      client_payload: {
        source: "plx",
        templates: ["a"],
        event_types: ["prompt_template_version_created"],
        users: ["Ada Lovelace"],
        approvals: [],
        events: 1,
        truncated: false,
      },
    });
  });

  it("says whether a failed dispatch is worth retrying", async () => {
    let status = 401;
    const github = await forge((_request, response) => json(response, status, { message: "Bad credentials" }));
    const action = githubDispatchAction({ apiUrl: github.url, repository: "acme/prompts", token: "t" });
    const batch = summarizeBatch([versionCreated(1, "a", 2)]);
    await expect(action.run(batch)).rejects.toMatchObject({
      retryable: false,
      message: expect.stringContaining("Bad credentials"),
    });
    status = 502;
    await expect(action.run(batch)).rejects.toMatchObject({ retryable: true });
    await github.close();
    await expect(action.run(batch)).rejects.toMatchObject({
      retryable: true,
      message: expect.stringMatching(/^repository_dispatch failed: /),
    });
  });

  it("triggers a GitLab pipeline with its token, ref and the sync variables", async () => {
    const gitlab = await forge((_request, response) => json(response, 201, { id: 1 }));
    const action = gitlabTriggerAction({
      apiUrl: gitlab.url,
      projectId: "group/prompts",
      token: "glptt-x",
      ref: "main",
    });
    await action.run(summarizeBatch([versionCreated(1, "a", 2)]));
    const [request] = gitlab.requests;
    expect(request!.url).toBe("/projects/group%2Fprompts/trigger/pipeline");
    const form = new URLSearchParams(request!.body);
    expect(form.get("token")).toBe("glptt-x");
    expect(form.get("ref")).toBe("main");
    expect(form.get("variables[PLX_SYNC]")).toBe("true");
    expect(JSON.parse(form.get("variables[PLX_SYNC_TEMPLATES]")!)).toEqual(["a"]);
  });

  it("runs a command with the batch as one JSON document on stdin, failing on a non-zero exit", async () => {
    const dir = await mkdtemp(join(tmpdir(), "plx-exec-"));
    const out = join(dir, "events.json");
    const lines: string[] = [];
    const action = execAction({
      command: `cat > "${out}" && echo received`,
      cwd: dir,
      env: { PATH: process.env.PATH },
      onOutput: (line) => lines.push(line),
    });
    await action.run(summarizeBatch([versionCreated(1, "a", 2)]));
    const document = JSON.parse(await readFile(out, "utf8"));
    expect(document.templates).toEqual([{ id: 1, name: "a" }]);
    expect(document.events[0]).toMatchObject({
      event_type: "prompt_template_version_created",
      details: { prompt_template_id: 1, prompt_template_name: "a", prompt_template_version_number: 2 },
      user_name: "Ada Lovelace",
    });
    expect(lines).toEqual(["received"]);
    const failing = execAction({ command: "exit 3", cwd: dir, env: { PATH: process.env.PATH } });
    await expect(failing.run(summarizeBatch([]))).rejects.toMatchObject({
      retryable: true,
      message: "the command exited with code 3",
    });
  });
});

describe("the loop guard, against the sandbox", () => {
  it("recognises versions and labels plx published from git, and nothing else", async () => {
    const sandbox = await startSandbox({ port: 0, apiKey: "pl_guard" });
    cleanups.push(() => sandbox.close());
    const call = async (method: string, path: string, body?: unknown): Promise<any> =>
      (
        await fetch(`${sandbox.url}${path}`, {
          method,
          headers: { "X-API-KEY": "pl_guard", "content-type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        })
      ).json();
    const content = { type: "chat", messages: [{ role: "user", content: [{ type: "text", text: "Hello" }] }] };
    const publish = (metadata: object, labels: string[] | null = null) =>
      call("POST", "/rest/prompt-templates", {
        prompt_template: { prompt_name: "greeting" },
        prompt_version: { prompt_template: content, metadata },
        release_labels: labels,
      });
    await publish({ model: null }, ["prod"]);
    const raw = await call("GET", "/prompt-templates/greeting?resolve_snippets=false");
    const hash = contentHash(templateFromRaw(raw, []));
    // v2: what plx publishes, stamped with its content's hash; v3: stamped, but edited after (the stamp lies).
    await publish({ model: null, plx: { content_hash: hash, path: "prompts/greeting.prompt.yaml" } });
    const id = raw.id;
    const labelEvent = (type: string, version: number | undefined, label = "prod") =>
      event(type, {
        prompt_template_id: id,
        prompt_template_name: "greeting",
        prompt_template_label: label,
        ...(version === undefined ? {} : { prompt_template_version_number: version }),
      });
    const unreadable: string[] = [];
    const guard = createLoopGuard({
      baseUrl: sandbox.url,
      apiKey: "pl_guard",
      onUnreadable: (_event, reason) => unreadable.push(reason),
    });
    const events = {
      uiVersion: versionCreated(id, "greeting", 1),
      plxVersion: versionCreated(id, "greeting", 2),
      labelOnPlxLatest: labelEvent("prompt_template_label_moved", 2),
      rollbackToUi: labelEvent("prompt_template_label_moved", 1),
      missing: versionCreated(999, "gone", 1),
    };
    const echoes = await guard.echoes(Object.values(events));
    expect([...echoes]).toEqual([events.plxVersion, events.labelOnPlxLatest]);
    expect(unreadable).toEqual(["GET /prompt-templates/999 answered HTTP 404"]);

    // An approval names no version: the guard reads where the label points now.
    const labelId = (await call("GET", `/prompt-templates/${id}/labels`)).release_labels[0].release_label_id;
    await call("PATCH", `/prompt-labels/${labelId}`, { prompt_version_number: 2 });
    const approved = labelEvent("prompt_template_label_change_approved", undefined);
    expect([...(await guard.echoes([approved]))]).toEqual([approved]);

    // A UI edit after plx's publish: the latest is no longer plx's, so a label on it is a real change.
    await publish({ model: null });
    expect((await guard.echoes([labelEvent("prompt_template_label_moved", 3)])).size).toBe(0);
  });
});
