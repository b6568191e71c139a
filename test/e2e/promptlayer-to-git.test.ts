// PromptLayer → git end to end, over real HTTP, with the built binary: the sandbox signs webhooks, `plx webhook
// serve` verifies them and dispatches to a fake GitHub (or GitLab), `plx pull --pr` proposes the change in a real git
// repository with a bare origin, and the deploy's `plx publish` closes the loop without an echo.
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import { pythonJsonDumps } from "../../src/core/pyjson.js";
import { startSandbox } from "../../src/sandbox/index.js";
import { signWebhookPayload } from "../../src/webhook/signature.js";
import { cleanEnv, runPlx, type SandboxProcess, startSandboxProcess } from "../support/cli.js";
import { type FakeForgeHost, fakeForgeHost } from "../support/fake-forge.js";
import { isolatedGitEnv, type TestRepo, testRepo } from "../support/git-repo.js";
import { API_KEY, chat, completion, emptyRepo, plxEnv, type Registry, registry } from "../support/registry.js";
import { freePort, startWebhookProcess, type WebhookProcess } from "../support/webhook-process.js";

const SECRET = "whsec_e2e_loop_é";
const TOKEN = "ghs_e2e_sync_token_0123456789abcdef";
const BRANCH = "plx/promptlayer";
const REFUND = "prompts/support/refund-reply.prompt.yaml";
const POLL = { timeout: 30_000, interval: 100 };

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

/** A sandbox state file seeded without webhooks, so the test starts from a quiet workspace. */
async function seededState(seed: (reg: Registry) => Promise<void>): Promise<string> {
  const seeding = await startSandbox({ port: 0 });
  try {
    await seed(registry(seeding.url));
    const file = join(await mkdtemp(join(tmpdir(), "plx-state-")), "state.json");
    await writeFile(file, JSON.stringify(await (await fetch(`${seeding.url}/__sandbox/state`)).json()));
    return file;
  } finally {
    await seeding.close();
  }
}

interface Loop {
  sandbox: SandboxProcess;
  receiver: WebhookProcess;
  forge: FakeForgeHost;
  reg: Registry;
  repo: TestRepo;
  env: Record<string, string | undefined>;
  /** The sync workflow's step, as the repository_dispatch it answers would run it. */
  sync(dispatch?: Record<string, unknown>): ReturnType<typeof runPlx>;
}

async function loop(options: { protectedLabels?: string; track?: string } = {}): Promise<Loop> {
  const forge = await fakeForgeHost("github", { token: TOKEN, repository: "acme/prompts" });
  cleanups.push(() => forge.close());
  const state = await seededState(async (reg) => {
    const support = await reg.folder("support");
    await reg.publish("tone", completion("Be warm and brief."));
    await reg.publish("refund-reply", chat(["system", "You handle refunds. @@@tone@@@"], ["user", "Order {order}"]), {
      folderId: support,
      labels: ["prod"],
    });
  });
  const receiverPort = await freePort();
  const sandbox = await startSandboxProcess([
    "--data",
    state,
    "--webhook-url",
    `http://127.0.0.1:${receiverPort}/hook`,
    "--webhook-secret",
    SECRET,
    ...(options.protectedLabels ? ["--protected-labels", options.protectedLabels] : []),
  ]);
  cleanups.push(() => sandbox.stop());
  const receiver = await startWebhookProcess(
    ["--port", String(receiverPort), "--debounce", "1000", "--dispatch", "github", "--repo", "acme/prompts"],
    cleanEnv({
      PLX_WEBHOOK_SECRET: SECRET,
      GITHUB_API_URL: forge.apiUrl,
      PLX_GITHUB_TOKEN: TOKEN,
      PROMPTLAYER_BASE_URL: sandbox.url,
      PROMPTLAYER_API_KEY: API_KEY,
    }),
  );
  cleanups.push(() => receiver.stop());
  const repo = await testRepo({
    "plx.config.yaml": `promptsDir: prompts\n${options.track ? `track: ${options.track}\n` : ""}`,
  });
  const env = plxEnv(sandbox.url, {
    ...(await isolatedGitEnv()),
    GITHUB_API_URL: forge.apiUrl,
    GITHUB_REPOSITORY: "acme/prompts",
    PLX_GITHUB_TOKEN: TOKEN,
  });
  expect((await runPlx(["pull"], { cwd: repo.dir, env })).exitCode).toBe(0);
  await repo.commitAll("Adopt PromptLayer's prompts");
  const sync = async (dispatch?: Record<string, unknown>) => {
    const eventEnv: Record<string, string> = {};
    if (dispatch) {
      const file = join(await mkdtemp(join(tmpdir(), "plx-event-")), "event.json");
      await writeFile(file, JSON.stringify({ action: dispatch.event_type, client_payload: dispatch.client_payload }));
      Object.assign(eventEnv, { GITHUB_EVENT_NAME: "repository_dispatch", GITHUB_EVENT_PATH: file });
    }
    return runPlx(["pull", "--pr"], { cwd: repo.dir, env: { ...env, ...eventEnv } });
  };
  return { sandbox, receiver, forge, reg: registry(sandbox.url), repo, env, sync };
}

/** An edit in PromptLayer's editor: a new version without plx's stamp. */
const uiEdit = (reg: Registry, text: string, extra: object = {}) =>
  reg.post("/rest/prompt-templates", {
    prompt_template: { prompt_name: "refund-reply" },
    prompt_version: {
      prompt_template: chat(["system", `${text} @@@tone@@@`], ["user", "Order {order}"]),
      commit_message: `UI: ${text}`,
      metadata: { model: { provider: "openai", name: "gpt-4o", parameters: {} } },
    },
    ...extra,
  });

describe("PromptLayer → git", () => {
  it("turns UI edits into one pull request, and a merge and deploy into nothing more", async () => {
    const { receiver, forge, reg, repo, env, sandbox, sync } = await loop();

    await uiEdit(reg, "You handle refunds politely.");
    await expect.poll(() => forge.dispatches.length, POLL).toBe(1);
    expect(forge.dispatches[0]).toEqual({
      event_type: "promptlayer",
      client_payload: {
        source: "plx",
        templates: ["refund-reply"],
        event_types: ["prompt_template_version_created"],
        users: ["plx sandbox"],
        approvals: [],
        events: 1,
        truncated: false,
      },
    });
    expect(receiver.stderrLines).toContain(
      "202 accepted prompt_template_version_created refund-reply v2 by plx sandbox",
    );

    const opened = await sync(forge.dispatches[0]);
    expect(opened.exitCode, opened.stderr).toBe(0);
    expect(forge.changeRequests).toHaveLength(1);
    expect(forge.changeRequests[0]).toMatchObject({ head: BRANCH, base: "main", state: "open" });
    expect(forge.changeRequests[0]!.body).toContain("Changed in PromptLayer by plx sandbox.");

    // The branch's files are exactly what a fresh pull of PromptLayer writes.
    const fresh = await emptyRepo();
    expect((await runPlx(["pull"], { cwd: fresh, env })).exitCode).toBe(0);
    for (const path of (await repo.filesOnOrigin(BRANCH)).filter((file) => file.startsWith("prompts/")))
      expect(await repo.fileOnOrigin(BRANCH, path), path).toBe(await readFile(join(fresh, path), "utf8"));

    // A second edit updates the same pull request.
    await uiEdit(reg, "You handle refunds kindly.");
    await expect.poll(() => forge.dispatches.length, POLL).toBe(2);
    expect((await sync(forge.dispatches[1])).exitCode).toBe(0);
    expect(forge.changeRequests).toHaveLength(1);
    expect(forge.changeRequests[0]!.title).toBe("PromptLayer: refund-reply v1 → v3");
    expect(await repo.fileOnOrigin(BRANCH, REFUND)).toContain("kindly");

    // Merged, then deployed from another checkout: publish finds the content already there and mints nothing.
    await repo.git("fetch", "--quiet", "origin", BRANCH);
    await repo.git("merge", "--quiet", "--ff-only", "FETCH_HEAD");
    await repo.git("push", "--quiet", "origin", "main");
    forge.changeRequests[0]!.state = "closed";
    const deploy = join(await mkdtemp(join(tmpdir(), "plx-deploy-")), "checkout");
    await execa("git", ["clone", "--quiet", repo.origin, deploy], { env: await isolatedGitEnv() });
    const published = await runPlx(["publish", "--label", "prod", "--yes"], { cwd: deploy, env });
    expect(published.exitCode, published.stderr).toBe(0);
    const versions = async () =>
      (await sandbox.state()).templates.find((t: { name: string }) => t.name === "refund-reply").versions.length;
    expect(await versions()).toBe(3);
    // prod moved onto the editor's version: a sync may run, and it has nothing to propose.
    await expect.poll(() => forge.dispatches.length, POLL).toBe(3);
    const quiet = await sync(forge.dispatches[2]);
    expect(quiet.exitCode).toBe(0);
    expect(quiet.stdout).toContain("PromptLayer and main agree: nothing to propose.");
    expect(forge.changeRequests).toHaveLength(1);

    // A change made in git and deployed: the versions plx publishes trigger nothing.
    const file = join(deploy, REFUND);
    await writeFile(file, (await readFile(file, "utf8")).replace("kindly", "kindly and fast"));
    await execa("git", ["-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "-qam", "Faster"], {
      cwd: deploy,
      env: await isolatedGitEnv(),
    });
    expect((await runPlx(["publish", "--label", "prod", "--yes"], { cwd: deploy, env })).exitCode).toBe(0);
    expect(await versions()).toBe(4);
    const skipped = () =>
      receiver.stderrLines.filter((line) => line.startsWith("skipped (plx published these from git)"));
    await expect.poll(() => /label_moved refund-reply v4/.test(skipped().join("\n")), POLL).toBe(true);
    await expect.poll(() => /version_created refund-reply v4/.test(skipped().join("\n")), POLL).toBe(true);
    expect(forge.dispatches).toHaveLength(3);

    const stopped = await receiver.stop("SIGTERM");
    cleanups.pop();
    expect(stopped.exitCode).toBe(0);
    expect(stopped.stdout.trim()).toBe(`listening on ${receiver.url}`);
  });

  it("proposes a protected label's change once an admin approves it (a repository that tracks the label)", async () => {
    const { forge, reg, repo, sandbox, sync } = await loop({ protectedLabels: "prod", track: "label:prod" });
    await uiEdit(reg, "You handle refunds politely.", { release_labels: ["prod"] });
    await expect.poll(() => forge.dispatches.length, POLL).toBe(1);
    // The label waits for approval, so the repository (which follows prod) has nothing to take yet.
    expect((await sync(forge.dispatches[0])).stdout).toContain("nothing to propose");

    const [request] = (await (await fetch(`${sandbox.url}/__sandbox/label-changes`)).json()) as any[];
    expect(request).toMatchObject({ label: "prod", change_type: "move", version_number: 2, status: "pending" });
    expect(
      (await fetch(`${sandbox.url}/__sandbox/label-changes/${request.id}/approve`, { method: "POST" })).status,
    ).toBe(200);
    await expect.poll(() => forge.dispatches.length, POLL).toBe(2);
    expect(forge.dispatches[1]!.client_payload).toMatchObject({
      event_types: ["prompt_template_label_change_approved", "prompt_template_label_moved"],
      approvals: [{ template: "refund-reply", label: "prod" }],
    });
    const proposed = await sync(forge.dispatches[1]);
    expect(proposed.exitCode, proposed.stderr).toBe(0);
    expect(forge.changeRequests).toHaveLength(1);
    expect(forge.changeRequests[0]!.body).toContain("`prod v1 → v2 (approved change)`");
    expect(await repo.fileOnOrigin(BRANCH, REFUND)).toContain("politely");
    expect(JSON.parse((await repo.fileOnOrigin(BRANCH, "plx.lock"))!).templates["refund-reply"]).toMatchObject({
      version: 2,
      labels: { prod: 2 },
    });
  });
});

describe("plx webhook serve", () => {
  const TRIGGER = "glptt-e2e-trigger-token";
  const NOW = () => new Date().toISOString().replace("Z", "");

  function signed(payload: Record<string, unknown>, secret = SECRET) {
    const json = JSON.parse(JSON.stringify(payload));
    return { body: pythonJsonDumps(json), signature: signWebhookPayload(json, secret) };
  }
  const versionCreated = (id: number, timestamp = NOW()) => ({
    event_type: "prompt_template_version_created",
    details: { prompt_template_id: id, prompt_template_name: `template-${id}`, prompt_template_version_number: 2 },
    user_id: 3,
    user_name: "Ada",
    user_email: null,
    workspace_id: 1,
    timestamp,
  });
  const post = (url: string, body: string, signature?: string) =>
    fetch(`${url}/hook`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(signature ? { "X-PromptLayer-Signature": signature } : {}) },
      body,
    });

  it("refuses bad signatures and replays, acts once on a duplicate, and makes one dispatch of a burst", async () => {
    const gitlab = await fakeForgeHost("gitlab", {
      token: "unused",
      repository: "acme/prompts",
      triggerToken: TRIGGER,
    });
    cleanups.push(() => gitlab.close());
    const receiver = await startWebhookProcess(
      // A window that outlasts the test: everything lands in the batch that SIGTERM drains.
      ["--port", "0", "--debounce", "600000", "--dispatch", "gitlab", "--ref", "trunk", "--no-loop-guard", "--json"],
      cleanEnv({
        PLX_WEBHOOK_SECRET: "new-secret",
        PLX_WEBHOOK_SECRET_PREVIOUS: SECRET,
        CI_API_V4_URL: gitlab.apiUrl,
        CI_PROJECT_ID: "acme/prompts",
        PLX_GITLAB_TRIGGER_TOKEN: TRIGGER,
      }),
    );
    cleanups.push(() => receiver.stop());
    const { url } = receiver;

    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/hook`)).status).toBe(405);
    const first = signed(versionCreated(1));
    expect((await post(url, first.body)).status).toBe(401);
    expect((await post(url, first.body, signed(versionCreated(1), "not the secret").signature)).status).toBe(401);
    expect((await post(url, "{not json", first.signature)).status).toBe(400);
    expect((await post(url, "x".repeat(1024 * 1024 + 1), first.signature)).status).toBe(413);
    const replay = signed(versionCreated(1, "2020-01-01T00:00:00"));
    const refused = await post(url, replay.body, replay.signature);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: string }).error).toContain("replay");

    // Signed with the previous secret (a rotation), then the same delivery again.
    expect((await post(url, first.body, first.signature)).status).toBe(202);
    const again = await post(url, first.body, first.signature);
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ status: "duplicate" });
    for (let id = 2; id <= 20; id++) {
      const delivery = signed(versionCreated(id), "new-secret");
      expect((await post(url, delivery.body, delivery.signature)).status).toBe(202);
    }
    expect(gitlab.dispatches).toEqual([]);

    const stopped = await receiver.stop("SIGTERM");
    cleanups.pop();
    expect(stopped.exitCode).toBe(0);
    expect(gitlab.dispatches).toHaveLength(1);
    const trigger = gitlab.dispatches[0]!;
    expect(trigger).toMatchObject({ token: TRIGGER, ref: "trunk", "variables[PLX_SYNC]": "true" });
    expect(JSON.parse(trigger["variables[PLX_SYNC_TEMPLATES]"] as string)).toEqual(
      Array.from({ length: 20 }, (_, i) => `template-${i + 1}`),
    );

    // One JSON line per delivery on stderr; the report on stdout after the listening line.
    const deliveries = receiver.stderrLines
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.type === "delivery");
    expect(deliveries.map((entry) => entry.status)).toEqual([
      405,
      401,
      401,
      400,
      413,
      401,
      202,
      202,
      ...Array(19).fill(202),
    ]);
    expect(deliveries[7]).toMatchObject({ outcome: "duplicate", event_type: "prompt_template_version_created" });
    const [, report] = stopped.stdout.split(/\n(?=\{)/);
    expect(JSON.parse(report!)).toMatchObject({
      command: "webhook serve",
      exitCode: 0,
      deliveries: { accepted: 20, duplicate: 1, ignored: 0, rejected: 6 },
      batches: 1,
      actionsSucceeded: 1,
    });
    expect(receiver.stderrLines.join("\n")).not.toContain(TRIGGER);
  });

  it("refuses to start without a secret (exit 4) or without an action (exit 2)", async () => {
    const noSecret = await runPlx(["webhook", "serve", "--port", "0", "--exec", "true"]);
    expect(noSecret.exitCode).toBe(4);
    expect(noSecret.stderr).toContain("PLX_WEBHOOK_SECRET");
    const noAction = await runPlx(["webhook", "serve", "--port", "0"], { env: cleanEnv({ PLX_WEBHOOK_SECRET: "s" }) });
    expect(noAction.exitCode).toBe(2);
    expect(noAction.stderr).toContain("--dispatch github");
    const noKey = await runPlx(["webhook", "serve", "--port", "0", "--exec", "true"], {
      env: cleanEnv({ PLX_WEBHOOK_SECRET: "s" }),
    });
    expect(noKey.exitCode).toBe(4);
    expect(noKey.stderr).toContain("--no-loop-guard");
  });
});
