// push, publish and label, run as CI runs them: the built binary against `plx sandbox` over real HTTP.
import { cp, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { runPlx, sandboxesPerTest, type SandboxProcess } from "../support/cli.js";
import { hostileProxy } from "../support/proxy.js";
import { completion, emptyRepo, plxEnv, registry, seedTeamWorkspace } from "../support/registry.js";

const sandbox = sandboxesPerTest();

/** A git repository with the team workspace pulled and committed, as a repo looks after adopting plx. */
async function adoptedRepo(server: SandboxProcess) {
  await seedTeamWorkspace(registry(server.url));
  const repo = await emptyRepo();
  expect((await runPlx(["pull"], { cwd: repo, env: plxEnv(server.url) })).exitCode).toBe(0);
  await commitAll(repo, "Adopt plx");
  return repo;
}

async function commitAll(repo: string, message: string) {
  const git = (...args: string[]) => execa("git", args, { cwd: repo });
  await git("init", "-q").catch(() => undefined);
  await git("add", "-A");
  await git("-c", "user.email=ci@example.com", "-c", "user.name=CI", "commit", "-qm", message);
}

const plx = (server: SandboxProcess, repo: string, ...args: string[]) =>
  runPlx(args, { cwd: repo, env: plxEnv(server.url) });
const templateOf = (state: any, name: string) => state.templates.find((t: any) => t.name === name);
const edit = async (repo: string, path: string, from: string, to: string) => {
  const file = join(repo, path);
  const before = await readFile(file, "utf8");
  expect(before).toContain(from);
  await writeFile(file, before.replace(from, to));
};

describe("plx push", () => {
  it("publishes an edited file as a new version with the commit message and the plx stamp", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    await edit(repo, "prompts/tone.prompt.yaml", "Be warm", "Be kind");
    await commitAll(repo, "Kinder tone for refunds");
    const { stdout: sha } = await execa("git", ["rev-parse", "HEAD"], { cwd: repo });

    const pushed = await plx(server, repo, "push");
    expect(pushed.exitCode).toBe(0);
    expect(pushed.stdout).toContain("updated v2 prompts/tone.prompt.yaml");
    expect(pushed.stdout).toContain("1 published, 2 unchanged");

    const tone = templateOf(await server.state(), "tone");
    expect(tone.versions).toHaveLength(2);
    expect(tone.versions[1].commit_message).toBe(`Kinder tone for refunds (${sha.slice(0, 7)})`);
    expect(tone.versions[1].metadata.plx).toMatchObject({
      git_sha: sha,
      path: "prompts/tone.prompt.yaml",
      content_hash: expect.stringMatching(/^sha256:/),
    });
    const lock = JSON.parse(await readFile(join(repo, "plx.lock"), "utf8"));
    expect(lock.templates.tone).toMatchObject({ version: 2, hash: tone.versions[1].metadata.plx.content_hash });
    expect((await plx(server, repo, "diff", "--exit-code")).exitCode).toBe(0);
  });

  it("mints nothing when run again, in a handful of requests", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    await edit(repo, "prompts/tone.prompt.yaml", "Be warm", "Be kind");
    expect((await plx(server, repo, "publish", "--label", "prod", "--yes")).exitCode).toBe(0);
    await fetch(`${server.url}/__sandbox/requests`, { method: "DELETE" });

    const again = await plx(server, repo, "publish", "--label", "prod", "--yes", "--json");
    expect(again.exitCode).toBe(0);
    const report = JSON.parse(again.stdout);
    expect(report.results.every((result: { result: string }) => result.result === "unchanged")).toBe(true);
    const requests = await server.requests();
    expect(requests.filter((r) => r.method !== "GET")).toEqual([]);
    expect(requests.length).toBeLessThanOrEqual(6);
    expect(templateOf(await server.state(), "tone").versions).toHaveLength(2);
  });

  it("refuses to overwrite an edit made in PromptLayer (exit 5, with the diff), and --force overrides", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    // A UI edit copies the previous version's metadata, stamp included, and changes the content.
    const state = await server.state();
    const ui = templateOf(state, "tone").versions[0];
    await registry(server.url).post("/rest/prompt-templates", {
      prompt_template: { prompt_name: "tone" },
      prompt_version: {
        prompt_template: completion("Be formal."),
        metadata: { ...ui.metadata, plx: { content_hash: "sha256:stale" } },
      },
    });
    await edit(repo, "prompts/tone.prompt.yaml", "Be warm", "Be kind");

    const refused = await plx(server, repo, "push");
    expect(refused.exitCode).toBe(5);
    expect(refused.stdout).toContain("conflict prompts/tone.prompt.yaml");
    expect(refused.stdout).toContain("PromptLayer has v2, edited outside this repo since v1");
    expect(refused.stdout).toContain("-content: Be formal.");
    expect(refused.stdout).toContain("+content: Be kind, brief and precise. 🙂");
    expect(templateOf(await server.state(), "tone").versions).toHaveLength(2);

    const forced = await plx(server, repo, "push", "--force");
    expect(forced.exitCode).toBe(0);
    expect(templateOf(await server.state(), "tone").versions).toHaveLength(3);
  });

  it("leaves a template edited only in PromptLayer alone, even with --force, and never labels it unasked", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    await registry(server.url).post("/rest/prompt-templates", {
      prompt_template: { prompt_name: "tone" },
      prompt_version: { prompt_template: completion("Be formal.") },
    });
    await edit(
      repo,
      "prompts/support/billing/refund-reply.prompt.yaml",
      "You handle refunds.",
      "You handle refunds kindly.",
    );
    const lockBefore = JSON.parse(await readFile(join(repo, "plx.lock"), "utf8")).templates.tone;

    const published = await plx(server, repo, "publish", "--label", "prod", "--force", "--yes");
    expect(published.exitCode, published.stderr).toBe(0);
    expect(published.stdout).toContain(
      "behind prompts/tone.prompt.yaml — PromptLayer has v2, edited there since v1; plx pull brings it in",
    );
    expect(published.stdout).toMatch(/updated v2 prompts\/support\/billing\/refund-reply\.prompt\.yaml/);
    const tone = templateOf(await server.state(), "tone");
    expect(tone.versions).toHaveLength(2);
    // tone never carried prod: a publish of another template does not spread the label to it.
    expect((await server.state()).labels.filter((l: any) => l.template_id === tone.id)).toEqual([]);
    expect(JSON.parse(await readFile(join(repo, "plx.lock"), "utf8")).templates.tone).toEqual(lockBefore);

    const pulled = await plx(server, repo, "pull");
    expect(pulled.stdout).toMatch(/updated\s+prompts\/tone\.prompt\.yaml v2/);
  });

  it("does not create a template again that PromptLayer renamed or deleted since the last sync", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    const state = await server.state();
    templateOf(state, "tone").name = "house-tone";
    state.templates = state.templates.filter((t: { name: string }) => t.name !== "résumé-court");
    await fetch(`${server.url}/__sandbox/state`, { method: "PUT", body: JSON.stringify(state) });

    // What the repository holds could not all be deployed: the run says so and exits 1.
    const untouched = await plx(server, repo, "push");
    expect(untouched.exitCode, untouched.stderr).toBe(1);
    expect(untouched.stdout).toContain(
      'behind prompts/tone.prompt.yaml — renamed in PromptLayer to "house-tone" since v1; plx pull moves the file',
    );
    expect(untouched.stdout).toContain(
      "behind prompts/support/résumé-court.prompt.yaml — deleted in PromptLayer since v1; plx pull --prune removes the file",
    );

    await edit(repo, "prompts/tone.prompt.yaml", "Be warm", "Be kind");
    const edited = await plx(server, repo, "push");
    expect(edited.exitCode).toBe(5);
    expect(edited.stdout).toContain(
      'conflict prompts/tone.prompt.yaml — renamed in PromptLayer to "house-tone" since v1, and edited here',
    );
    expect((await server.state()).templates.map((t: { name: string }) => t.name).sort()).toEqual([
      "house-tone",
      "refund-reply",
    ]);
  });

  it("moves the template when its file moves to another folder, and keeps the external ID on the file", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    await writeFile(join(repo, "prompts/fresh.prompt.yaml"), "type: completion\ncontent: new here\n");
    expect((await plx(server, repo, "push")).exitCode).toBe(0);
    await mkdir(join(repo, "prompts/support"), { recursive: true });
    await rename(join(repo, "prompts/tone.prompt.yaml"), join(repo, "prompts/support/tone.prompt.yaml"));
    await rename(join(repo, "prompts/fresh.prompt.yaml"), join(repo, "prompts/renamed.prompt.yaml"));
    await writeFile(join(repo, "prompts/renamed.prompt.yaml"), "type: completion\ncontent: new here\nname: fresh\n");

    const planned = await plx(server, repo, "push", "--dry-run");
    expect(planned.stdout).toContain("would move prompts/support/tone.prompt.yaml (into support in PromptLayer)");
    const before = await server.state();
    const pushed = await plx(server, repo, "push");
    expect(pushed.exitCode, pushed.stderr).toBe(0);
    expect(pushed.stdout).toContain("moved prompts/support/tone.prompt.yaml (into support in PromptLayer)");
    expect(pushed.stdout).toContain("moved prompts/renamed.prompt.yaml (was prompts/fresh.prompt.yaml)");

    const after = await server.state();
    const support = after.folders.find(
      (f: { name: string; parent_id: number | null }) => f.name === "support" && f.parent_id === null,
    );
    expect(templateOf(after, "tone")).toMatchObject({
      folder_id: support.id,
      versions: templateOf(before, "tone").versions,
    });
    expect(templateOf(after, "fresh").external_ids).toEqual([
      { source: "plx", external_id: "prompts/renamed.prompt.yaml" },
    ]);
    expect(templateOf(after, "fresh").versions).toHaveLength(1);
    const lock = JSON.parse(await readFile(join(repo, "plx.lock"), "utf8"));
    expect([lock.templates.tone.path, lock.templates.fresh.path]).toEqual([
      "prompts/support/tone.prompt.yaml",
      "prompts/renamed.prompt.yaml",
    ]);
    expect((await plx(server, repo, "pull")).stdout).toContain("0 created, 0 updated");
    expect((await plx(server, repo, "diff", "--exit-code")).exitCode).toBe(0);
  });

  it("refuses a commit message over 72 characters before asking PromptLayer anything, dry run or not", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    await edit(repo, "prompts/tone.prompt.yaml", "Be warm", "Be kind");
    await fetch(`${server.url}/__sandbox/requests`, { method: "DELETE" });
    for (const dryRun of [["--dry-run"], []]) {
      const result = await plx(server, repo, "push", ...dryRun, "-m", "x".repeat(73));
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain("The commit message is 73 characters; PromptLayer takes at most 72.");
    }
    expect(await server.requests()).toEqual([]);
  });

  it("refuses, before sending anything, a template in a folder PromptLayer cannot address", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    await mkdir(join(repo, "prompts/v1.2"));
    await writeFile(join(repo, "prompts/v1.2/x.prompt.yaml"), "type: completion\ncontent: dotted\n");
    await edit(repo, "prompts/tone.prompt.yaml", "Be warm", "Be kind");
    await fetch(`${server.url}/__sandbox/requests`, { method: "DELETE" });
    for (const dryRun of [["--dry-run"], []]) {
      const result = await plx(server, repo, "push", ...dryRun);
      expect(result.exitCode, result.stdout).toBe(2);
      expect(result.stdout).toContain(
        'invalid prompts/v1.2/x.prompt.yaml — the folder name "v1.2" cannot be used with PromptLayer',
      );
      expect(result.stdout).toContain("Refused: 1 template(s) cannot be published as they are; nothing was sent.");
    }
    expect((await server.requests()).filter((request: { method: string }) => request.method !== "GET")).toEqual([]);

    // A template already in such a folder in PromptLayer can still get new versions: an update names no folder.
    await rm(join(repo, "prompts/v1.2"), { recursive: true });
    const state = await server.state();
    state.folders.push({
      id: 9001,
      name: "v2.0",
      parent_id: null,
      external_ids: [],
      created_at: state.folders[0].created_at,
      updated_at: state.folders[0].updated_at,
    });
    templateOf(state, "résumé-court").folder_id = 9001;
    await fetch(`${server.url}/__sandbox/state`, { method: "PUT", body: JSON.stringify(state) });
    expect((await plx(server, repo, "pull", "--force")).exitCode).toBe(0);
    await edit(repo, "prompts/v2.0/résumé-court.prompt.yaml", "une phrase", "deux phrases");
    const updated = await plx(server, repo, "push");
    expect(updated.exitCode, updated.stdout).toBe(0);
    expect(updated.stdout).toContain("updated v2 prompts/v2.0/résumé-court.prompt.yaml");
  });

  it("exits 5 when a file's external ID is attached to another template, as after swapping two files' names", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    await writeFile(join(repo, "prompts/a.prompt.yaml"), "type: completion\ncontent: first\n");
    await writeFile(join(repo, "prompts/b.prompt.yaml"), "type: completion\ncontent: second\n");
    expect((await plx(server, repo, "push")).exitCode).toBe(0);
    await writeFile(join(repo, "prompts/a.prompt.yaml"), "type: completion\ncontent: second, edited\nname: b\n");
    await writeFile(join(repo, "prompts/b.prompt.yaml"), "type: completion\ncontent: first, edited\nname: a\n");

    const swapped = await plx(server, repo, "push", "--json");
    expect(swapped.exitCode, swapped.stdout).toBe(5);
    const failed = JSON.parse(swapped.stdout).results.filter(
      (result: { result: string }) => result.result === "failed",
    );
    expect(failed.length).toBeGreaterThan(0);
    for (const result of failed)
      expect(result.error).toMatchObject({ code: "REMOTE.EXTERNAL_ID_CONFLICT", exitCode: 5 });
  });

  it("does not mistake a version plx published from this repo for a foreign edit", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    // CI publishes from a checkout whose lock it cannot commit back: the repo's lock stays at v1.
    const ciCheckout = `${repo}-ci`;
    await cp(repo, ciCheckout, { recursive: true });
    await edit(ciCheckout, "prompts/tone.prompt.yaml", "Be warm", "Be kind");
    await commitAll(ciCheckout, "Kinder tone");
    expect((await plx(server, ciCheckout, "push")).exitCode).toBe(0);

    // The developer's clone gets the merged commit (with the lock still at v1), then edits on top of it.
    await execa("git", ["pull", "-q", "--ff-only", ciCheckout, "HEAD"], { cwd: repo });
    await edit(repo, "prompts/tone.prompt.yaml", "Be kind", "Be gentle");
    const pushed = await plx(server, repo, "push");
    expect(pushed.exitCode).toBe(0);
    expect(pushed.stdout).toContain("updated v3 prompts/tone.prompt.yaml");
  });

  it("treats a version plx published from another branch as someone else's update", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    const branch = `${repo}-branch`;
    await cp(repo, branch, { recursive: true });
    await edit(branch, "prompts/tone.prompt.yaml", "Be warm", "Be kind");
    await commitAll(branch, "A change on another branch");
    expect((await plx(server, branch, "push")).exitCode).toBe(0);

    await edit(repo, "prompts/tone.prompt.yaml", "Be warm", "Be gentle");
    const refused = await plx(server, repo, "push");
    expect(refused.exitCode).toBe(5);
    expect(refused.stdout).toContain("conflict prompts/tone.prompt.yaml");
    expect(templateOf(await server.state(), "tone").versions).toHaveLength(2);
  });

  it("publishes snippets before the templates that use them, into new nested folders", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    await mkdir(join(repo, "prompts/onboarding/emails"), { recursive: true });
    await writeFile(
      join(repo, "prompts/onboarding/emails/welcome.prompt.yaml"),
      "type: chat\nmessages:\n  - role: system\n    content: Welcome them. @@@signature@@@\n",
    );
    await writeFile(
      join(repo, "prompts/onboarding/signature.prompt.yaml"),
      "type: completion\ncontent: '-- The team @@@tone@@@'\n",
    );

    const pushed = await plx(server, repo, "push");
    expect(pushed.exitCode).toBe(0);
    const posts = (await server.requests())
      .filter((r) => r.method === "POST" && r.path === "/rest/prompt-templates")
      .map((r: any) => r.body.prompt_template.prompt_name);
    expect(posts.indexOf("signature")).toBeLessThan(posts.indexOf("welcome"));
    const state = await server.state();
    const onboarding = state.folders.find((f: any) => f.name === "onboarding" && f.parent_id === null);
    const emails = state.folders.find((f: any) => f.name === "emails" && f.parent_id === onboarding.id);
    expect(templateOf(state, "welcome")).toMatchObject({
      folder_id: emails.id,
      external_ids: [{ source: "plx", external_id: "prompts/onboarding/emails/welcome.prompt.yaml" }],
    });
    expect((await plx(server, repo, "diff", "--exit-code")).exitCode).toBe(0);
  });

  it("sends nothing when one file is invalid, and refuses a snippet cycle", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    await edit(repo, "prompts/tone.prompt.yaml", "Be warm", "Be kind");
    await writeFile(join(repo, "prompts/broken.prompt.yaml"), "type: chat\nmessages: nope\n");
    const invalid = await plx(server, repo, "push");
    expect(invalid.exitCode).toBe(2);
    expect(invalid.stderr).toContain("prompts/broken.prompt.yaml:2:");
    await writeFile(
      join(repo, "prompts/broken.prompt.yaml"),
      "type: completion\ncontent: '@@@loop-b@@@'\nname: loop-a\n",
    );
    await writeFile(join(repo, "prompts/loop-b.prompt.yaml"), "type: completion\ncontent: '@@@loop-a@@@'\n");
    const cycle = await plx(server, repo, "push");
    expect(cycle.exitCode).toBe(2);
    expect(cycle.stderr).toMatch(/cycle: loop-a -> loop-b -> loop-a/);
    expect(
      (await server.requests()).filter((r) => r.method !== "GET" && r.headers["user-agent"]?.startsWith("plx/")),
    ).toEqual([]);
  });

  it("applies a saved plan only while the remote has not moved", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    await edit(repo, "prompts/tone.prompt.yaml", "Be warm", "Be kind");
    const planned = await plx(server, repo, "push", "--dry-run", "--plan-out", "plan.json");
    expect(planned.exitCode).toBe(0);
    expect(JSON.parse(await readFile(join(repo, "plan.json"), "utf8")).items).toContainEqual(
      expect.objectContaining({ name: "tone", action: "update", remoteVersion: 1 }),
    );

    await registry(server.url).publish("résumé-court", completion("Changed elsewhere"));
    const stale = await plx(server, repo, "push", "--plan", "plan.json");
    expect(stale.exitCode).toBe(5);
    expect(stale.stdout).toContain("résumé-court: PromptLayer moved from v1 to v2");
    expect(templateOf(await server.state(), "tone").versions).toHaveLength(1);

    await plx(server, repo, "push", "--dry-run", "--plan-out", "plan.json", "tone");
    expect((await plx(server, repo, "push", "--plan", "plan.json", "tone")).exitCode).toBe(0);
    expect(templateOf(await server.state(), "tone").versions).toHaveLength(2);

    // A move is part of what was reviewed: a file moved after the plan makes it stale too.
    await plx(server, repo, "push", "--dry-run", "--plan-out", "plan.json", "tone");
    await mkdir(join(repo, "prompts/moved"));
    await rename(join(repo, "prompts/tone.prompt.yaml"), join(repo, "prompts/moved/tone.prompt.yaml"));
    const moved = await plx(server, repo, "push", "--plan", "plan.json", "tone");
    expect(moved.exitCode).toBe(5);
    expect(moved.stdout).toContain("tone: moved since the plan was made (now prompts/moved/tone.prompt.yaml)");
  });
});

describe("plx publish --label and plx label", () => {
  it("moves labels to the pushed content, needs --yes without a terminal, and manages labels", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    await edit(
      repo,
      "prompts/support/billing/refund-reply.prompt.yaml",
      "You handle refunds.",
      "You handle refunds kindly.",
    );
    await edit(repo, "prompts/tone.prompt.yaml", "Be warm", "Be kind");

    const unconfirmed = await plx(server, repo, "publish", "--label", "prod");
    expect(unconfirmed.exitCode).toBe(2);
    expect(unconfirmed.stderr).toContain("--yes");

    const published = await plx(server, repo, "publish", "--label", "prod", "--yes");
    expect(published.exitCode, published.stderr).toBe(0);
    expect(published.stdout).toContain("label prod -> refund-reply v2 (was v1)");
    expect(published.stdout).toContain("prod not added to 2 template(s) that do not carry it");
    const labelsOf = async (name: string) => {
      const state = await server.state();
      const template = templateOf(state, name);
      return Object.fromEntries(
        state.labels.filter((l: any) => l.template_id === template.id).map((l: any) => [l.name, l.version_number]),
      );
    };
    expect(await labelsOf("refund-reply")).toEqual({ prod: 2 });
    expect(await labelsOf("tone")).toEqual({});
    // --all puts it where nothing else would.
    expect((await plx(server, repo, "publish", "--label", "staging", "--all", "--yes")).exitCode).toBe(0);
    expect(await labelsOf("tone")).toEqual({ staging: 2 });

    expect((await plx(server, repo, "label", "set", "staging", "tone@1")).exitCode).toBe(0);
    const promoted = await plx(server, repo, "label", "promote", "staging", "prod", "tone", "--dry-run");
    expect(promoted.stdout).toContain("would set prod -> tone v1");
    expect(await labelsOf("tone")).toEqual({ staging: 1 });
    // Moving a label is a deploy: like rm, promote asks, and without a terminal needs --yes.
    expect((await plx(server, repo, "label", "promote", "staging", "prod", "tone")).exitCode).toBe(2);
    expect((await plx(server, repo, "label", "promote", "staging", "prod", "tone", "--yes")).exitCode).toBe(0);
    expect(await labelsOf("tone")).toEqual({ prod: 1, staging: 1 });

    const listed = JSON.parse((await plx(server, repo, "label", "ls", "tone", "--json")).stdout);
    expect(listed.labels).toEqual([
      { kind: "prompt", name: "tone", label: "prod", version: 1, matchesLocal: false },
      { kind: "prompt", name: "tone", label: "staging", version: 1, matchesLocal: false },
    ]);
    expect((await plx(server, repo, "label", "rm", "staging", "tone")).exitCode).toBe(2);
    expect((await plx(server, repo, "label", "rm", "staging", "tone", "--yes")).exitCode).toBe(0);
    expect(await labelsOf("tone")).toEqual({ prod: 1 });
  });

  it("still reports what it published when the labels cannot be read back afterwards (exit 3)", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    await edit(
      repo,
      "prompts/support/billing/refund-reply.prompt.yaml",
      "You handle refunds.",
      "You handle refunds kindly.",
    );
    const proxy = await hostileProxy(server.url, (request, response) => {
      if (!/^\/prompt-templates\/\d+\/labels/.test(request.url)) return false;
      response.writeHead(500, { "content-type": "application/json" }).end('{"message":"labels are down"}');
      return true;
    });
    try {
      const result = await runPlx(["publish", "--label", "prod", "--yes", "--retries", "0", "--json"], {
        cwd: repo,
        env: plxEnv(proxy.url),
      });
      expect(result.exitCode, result.stderr).toBe(3);
      const report = JSON.parse(result.stdout);
      expect(report.results.find((r: { item: { name: string } }) => r.item.name === "refund-reply")).toMatchObject({
        result: "updated",
        version: 2,
      });
      expect(report.labels.find((change: { name: string }) => change.name === "refund-reply")).toMatchObject({
        label: "prod",
        status: "failed",
      });
    } finally {
      await proxy.close();
    }
    expect(JSON.parse(await readFile(join(repo, "plx.lock"), "utf8")).templates["refund-reply"].version).toBe(2);
  });

  it("reports a protected label that did not move as pending approval", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    const state = await server.state();
    await fetch(`${server.url}/__sandbox/state`, {
      method: "PUT",
      body: JSON.stringify({ ...state, protected_labels: ["prod"] }),
    });
    await edit(
      repo,
      "prompts/support/billing/refund-reply.prompt.yaml",
      "You handle refunds.",
      "You handle refunds politely.",
    );
    const published = await plx(server, repo, "publish", "--label", "prod", "--yes");
    expect(published.stdout).toContain("pending approval prod -> refund-reply v2");
    // Not everything the deploy asked for happened: a negative result, as for any partial outcome.
    expect(published.exitCode).toBe(1);
    const lock = JSON.parse(await readFile(join(repo, "plx.lock"), "utf8"));
    expect(lock.templates["refund-reply"].labels).toEqual({ prod: 1 });

    // A rollback waits for approval just the same; it is not someone else's move.
    await fetch(`${server.url}/__sandbox/state`, {
      method: "PUT",
      body: JSON.stringify({ ...(await server.state()), protected_labels: [] }),
    });
    expect((await plx(server, repo, "label", "set", "prod", "refund-reply@2")).exitCode).toBe(0);
    await fetch(`${server.url}/__sandbox/state`, {
      method: "PUT",
      body: JSON.stringify({ ...(await server.state()), protected_labels: ["prod"] }),
    });
    const rollback = await plx(server, repo, "label", "set", "prod", "refund-reply@1");
    expect(rollback.stdout).toContain("pending approval prod -> refund-reply v1 (was v2)");
    expect(rollback.exitCode).toBe(1);

    const removal = await plx(server, repo, "label", "rm", "prod", "refund-reply", "--yes", "--json");
    expect(removal.exitCode).toBe(1);
    expect(JSON.parse(removal.stdout)).toMatchObject({ action: "rm", status: "pending", version: 2 });
    expect((await plx(server, repo, "label", "rm", "prod", "refund-reply", "--yes")).stdout).toContain(
      "stays until the removal is approved",
    );
  });
});

describe("publishing through faults", () => {
  async function finalState(knobs: Record<string, number>, seed = 0) {
    const server = await sandbox(["--seed", String(seed)]);
    const repo = await adoptedRepo(server);
    await edit(repo, "prompts/tone.prompt.yaml", "Be warm", "Be kind");
    await edit(repo, "prompts/support/résumé-court.prompt.yaml", "une phrase", "deux phrases");
    await mkdir(join(repo, "prompts/new/deep"), { recursive: true });
    await writeFile(
      join(repo, "prompts/new/deep/fresh.prompt.yaml"),
      "type: chat\nmessages:\n  - role: user\n    content: Fresh @@@tone@@@\n",
    );
    await fetch(`${server.url}/__sandbox/faults`, { method: "PATCH", body: JSON.stringify(knobs) });
    const published = await plx(server, repo, "publish", "--label", "prod", "--yes");
    await fetch(`${server.url}/__sandbox/faults`, {
      method: "PATCH",
      body: JSON.stringify({ failRate: 0, dropRate: 0, dropAfterCommitRate: 0, rateLimit: 0 }),
    });
    const state = await server.state();
    const summary = state.templates
      .map((t: any) => ({
        name: t.name,
        versions: t.versions.map((v: any) => v.metadata?.plx?.content_hash ?? null),
        labels: state.labels
          .filter((l: any) => l.template_id === t.id)
          .map((l: any) => `${l.name}@${l.version_number}`)
          .sort(),
      }))
      .sort((a: any, b: any) => a.name.localeCompare(b.name));
    return { exitCode: published.exitCode, stdout: published.stdout, summary };
  }

  it("ends in the same remote state as a clean run, with no duplicate versions", async () => {
    const clean = await finalState({});
    expect(clean.exitCode).toBe(0);
    for (const seed of [1, 2, 3]) {
      const faulty = await finalState({ failRate: 0.2, dropRate: 0.05, dropAfterCommitRate: 0.15 }, seed);
      expect(faulty.exitCode, faulty.stdout).toBe(0);
      expect(faulty.summary).toEqual(clean.summary);
    }
  });
});
