// push, publish and label as CI runs them, in-process against the sandbox: versions, conflicts, moves, plans, labels.
import { cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox } from "../../src/sandbox/index.js";
import { commitAll, edit, git, newRepo, plx, sandboxPerTest, type TestSandbox } from "../support/in-process.js";
import { hostileProxy } from "../support/proxy.js";
import { API_KEY, registry, seedTeamWorkspace } from "../support/registry.js";
import { completion } from "../support/templates.js";

const sandbox = sandboxPerTest();

/** The team workspace, and a git repository where it was pulled and committed, made once for the file. */
let adopted: { state: unknown; repo: string };
beforeAll(async () => {
  const server = await startSandbox();
  try {
    await seedTeamWorkspace(registry(server.url));
    const repo = await newRepo({ git: true });
    const pulled = await plx(["pull"], {
      cwd: repo,
      env: { PROMPTLAYER_BASE_URL: server.url, PROMPTLAYER_API_KEY: API_KEY },
    });
    expect(pulled.exitCode, pulled.stderr).toBe(0);
    await commitAll(repo, "Adopt plx");
    adopted = { state: await (await fetch(`${server.url}/__sandbox/state`)).json(), repo };
  } finally {
    await server.close();
  }
});
afterAll(async () => {
  await rm(adopted.repo, { recursive: true, force: true });
});

/** The team workspace in `server`, and a copy of the repository that adopted it, as a repo looks after adopting plx. */
async function adoptedRepo(server: TestSandbox) {
  await server.setState(adopted.state);
  const repo = join(await mkdtemp(join(tmpdir(), "plx-it-")), "repo");
  await cp(adopted.repo, repo, { recursive: true });
  return repo;
}

const templateOf = (state: any, name: string) => state.templates.find((t: any) => t.name === name);

describe("plx push", () => {
  it("publishes an edited file as a new version with the commit message and the plx stamp", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    await edit(join(repo, "prompts/tone.prompt.yaml"), "Be warm", "Be kind");
    await commitAll(repo, "Kinder tone for refunds");
    const sha = await git(repo, "rev-parse", "HEAD");

    const pushed = await server.plx(repo, "push");
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
    expect((await server.plx(repo, "diff", "--exit-code")).exitCode).toBe(0);
  });

  it("mints nothing when run again, in a handful of requests", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    await edit(join(repo, "prompts/tone.prompt.yaml"), "Be warm", "Be kind");
    expect((await server.plx(repo, "publish", "--label", "prod", "--yes")).exitCode).toBe(0);
    await server.clearRequests();

    const again = await server.plx(repo, "publish", "--label", "prod", "--yes", "--json");
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
    await server.post("/rest/prompt-templates", {
      prompt_template: { prompt_name: "tone" },
      prompt_version: {
        prompt_template: completion("Be formal."),
        metadata: { ...ui.metadata, plx: { content_hash: "sha256:stale" } },
      },
    });
    await edit(join(repo, "prompts/tone.prompt.yaml"), "Be warm", "Be kind");

    const refused = await server.plx(repo, "push");
    expect(refused.exitCode).toBe(5);
    expect(refused.stdout).toContain("conflict prompts/tone.prompt.yaml");
    expect(refused.stdout).toContain("PromptLayer has v2, edited outside this repo since v1");
    expect(refused.stdout).toContain("-content: Be formal.");
    expect(refused.stdout).toContain("+content: Be kind, brief and precise. 🙂");
    expect(templateOf(await server.state(), "tone").versions).toHaveLength(2);

    const forced = await server.plx(repo, "push", "--force");
    expect(forced.exitCode).toBe(0);
    expect(templateOf(await server.state(), "tone").versions).toHaveLength(3);
  });

  it("leaves a template edited only in PromptLayer alone, even with --force, and never labels it unasked", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    await server.post("/rest/prompt-templates", {
      prompt_template: { prompt_name: "tone" },
      prompt_version: { prompt_template: completion("Be formal.") },
    });
    await edit(
      join(repo, "prompts/support/billing/refund-reply.prompt.yaml"),
      "You handle refunds.",
      "You handle refunds kindly.",
    );
    const lockBefore = JSON.parse(await readFile(join(repo, "plx.lock"), "utf8")).templates.tone;

    const published = await server.plx(repo, "publish", "--label", "prod", "--force", "--yes");
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

    const pulled = await server.plx(repo, "pull");
    expect(pulled.stdout).toMatch(/updated\s+prompts\/tone\.prompt\.yaml v2/);
  });

  it("does not create a template again that PromptLayer renamed or deleted since the last sync", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    const state = await server.state();
    templateOf(state, "tone").name = "house-tone";
    state.templates = state.templates.filter((t: { name: string }) => t.name !== "résumé-court");
    await server.setState(state);

    // What the repository holds could not all be deployed: the run says so and exits 1.
    const untouched = await server.plx(repo, "push");
    expect(untouched.exitCode, untouched.stderr).toBe(1);
    expect(untouched.stdout).toContain(
      'behind prompts/tone.prompt.yaml — renamed in PromptLayer to "house-tone" since v1; plx pull moves the file',
    );
    expect(untouched.stdout).toContain(
      "behind prompts/support/résumé-court.prompt.yaml — deleted in PromptLayer since v1; plx pull --prune removes the file",
    );

    await edit(join(repo, "prompts/tone.prompt.yaml"), "Be warm", "Be kind");
    const edited = await server.plx(repo, "push");
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
    expect((await server.plx(repo, "push")).exitCode).toBe(0);
    await mkdir(join(repo, "prompts/support"), { recursive: true });
    await rename(join(repo, "prompts/tone.prompt.yaml"), join(repo, "prompts/support/tone.prompt.yaml"));
    await rename(join(repo, "prompts/fresh.prompt.yaml"), join(repo, "prompts/renamed.prompt.yaml"));
    await writeFile(join(repo, "prompts/renamed.prompt.yaml"), "type: completion\ncontent: new here\nname: fresh\n");

    const planned = await server.plx(repo, "push", "--dry-run");
    expect(planned.stdout).toContain("would move prompts/support/tone.prompt.yaml (into support in PromptLayer)");
    const before = await server.state();
    const pushed = await server.plx(repo, "push");
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
    expect((await server.plx(repo, "pull")).stdout).toContain("0 created, 0 updated");
    expect((await server.plx(repo, "diff", "--exit-code")).exitCode).toBe(0);
  });

  it("refuses a commit message over 72 characters before asking PromptLayer anything, dry run or not", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    await edit(join(repo, "prompts/tone.prompt.yaml"), "Be warm", "Be kind");
    await server.clearRequests();
    for (const dryRun of [["--dry-run"], []]) {
      const result = await server.plx(repo, "push", ...dryRun, "-m", "x".repeat(73));
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
    await edit(join(repo, "prompts/tone.prompt.yaml"), "Be warm", "Be kind");
    await server.clearRequests();
    for (const dryRun of [["--dry-run"], []]) {
      const result = await server.plx(repo, "push", ...dryRun);
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
    await server.setState(state);
    expect((await server.plx(repo, "pull", "--force")).exitCode).toBe(0);
    await edit(join(repo, "prompts/v2.0/résumé-court.prompt.yaml"), "une phrase", "deux phrases");
    const updated = await server.plx(repo, "push");
    expect(updated.exitCode, updated.stdout).toBe(0);
    expect(updated.stdout).toContain("updated v2 prompts/v2.0/résumé-court.prompt.yaml");
  });

  it("exits 5 when a file's external ID is attached to another template, as after swapping two files' names", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    await writeFile(join(repo, "prompts/a.prompt.yaml"), "type: completion\ncontent: first\n");
    await writeFile(join(repo, "prompts/b.prompt.yaml"), "type: completion\ncontent: second\n");
    expect((await server.plx(repo, "push")).exitCode).toBe(0);
    await writeFile(join(repo, "prompts/a.prompt.yaml"), "type: completion\ncontent: second, edited\nname: b\n");
    await writeFile(join(repo, "prompts/b.prompt.yaml"), "type: completion\ncontent: first, edited\nname: a\n");

    const swapped = await server.plx(repo, "push", "--json");
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
    await edit(join(ciCheckout, "prompts/tone.prompt.yaml"), "Be warm", "Be kind");
    await commitAll(ciCheckout, "Kinder tone");
    expect((await server.plx(ciCheckout, "push")).exitCode).toBe(0);

    // The developer's clone gets the merged commit (with the lock still at v1), then edits on top of it.
    await git(repo, "pull", "-q", "--ff-only", ciCheckout, "HEAD");
    await edit(join(repo, "prompts/tone.prompt.yaml"), "Be kind", "Be gentle");
    const pushed = await server.plx(repo, "push");
    expect(pushed.exitCode).toBe(0);
    expect(pushed.stdout).toContain("updated v3 prompts/tone.prompt.yaml");
  });

  it("treats a version plx published from another branch as someone else's update", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    const branch = `${repo}-branch`;
    await cp(repo, branch, { recursive: true });
    await edit(join(branch, "prompts/tone.prompt.yaml"), "Be warm", "Be kind");
    await commitAll(branch, "A change on another branch");
    expect((await server.plx(branch, "push")).exitCode).toBe(0);

    await edit(join(repo, "prompts/tone.prompt.yaml"), "Be warm", "Be gentle");
    const refused = await server.plx(repo, "push");
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

    const pushed = await server.plx(repo, "push");
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
    expect((await server.plx(repo, "diff", "--exit-code")).exitCode).toBe(0);
  });

  it("sends nothing when one file is invalid, and refuses a snippet cycle", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    await edit(join(repo, "prompts/tone.prompt.yaml"), "Be warm", "Be kind");
    await writeFile(join(repo, "prompts/broken.prompt.yaml"), "type: chat\nmessages: nope\n");
    const invalid = await server.plx(repo, "push");
    expect(invalid.exitCode).toBe(2);
    expect(invalid.stderr).toContain("prompts/broken.prompt.yaml:2:");
    await writeFile(
      join(repo, "prompts/broken.prompt.yaml"),
      "type: completion\ncontent: '@@@loop-b@@@'\nname: loop-a\n",
    );
    await writeFile(join(repo, "prompts/loop-b.prompt.yaml"), "type: completion\ncontent: '@@@loop-a@@@'\n");
    const cycle = await server.plx(repo, "push");
    expect(cycle.exitCode).toBe(2);
    expect(cycle.stderr).toMatch(/cycle: loop-a -> loop-b -> loop-a/);
    expect(
      (await server.requests()).filter((r) => r.method !== "GET" && r.headers["user-agent"]?.startsWith("plx/")),
    ).toEqual([]);
  });

  it("refuses what plx check calls an error before anything is sent, dry run and real run alike", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    // A valid edit beside the bad ones: it is not sent either, as half a push is worse than none.
    await edit(join(repo, "prompts/tone.prompt.yaml"), "Be warm", "Be kind");
    await writeFile(join(repo, "prompts/typo.prompt.yaml"), "type: completion\ncontent: Hi\ntag: [shared]\n");
    await writeFile(
      join(repo, "prompts/role.prompt.yaml"),
      "type: chat\nmessages:\n  - role: sytem\n    content: Hi\n",
    );
    for (const args of [["push", "--dry-run"], ["push"], ["publish", "--label", "prod", "--yes"]]) {
      const refused = await server.plx(repo, ...args);
      expect(refused.exitCode, args.join(" ")).toBe(2);
      expect(refused.stdout).toContain("invalid prompts/typo.prompt.yaml");
      expect(refused.stdout).toContain("prompts/typo.prompt.yaml:3:1: unknown key tag; did you mean tags?");
      expect(refused.stdout).toContain('prompts/role.prompt.yaml:3:11: "sytem" is not a role PromptLayer knows');
    }
    expect(
      (await server.requests()).filter((r) => r.method !== "GET" && r.headers["user-agent"]?.startsWith("plx/")),
    ).toEqual([]);
    expect(templateOf(await server.state(), "tone").versions).toHaveLength(1);

    // A warning is no reason to refuse: fixed, the push goes out.
    await writeFile(join(repo, "prompts/typo.prompt.yaml"), "type: completion\ncontent: Hi\ntags: [shared]\n");
    await writeFile(
      join(repo, "prompts/role.prompt.yaml"),
      "type: chat\nmessages:\n  - role: system\n    content: Hi\n",
    );
    const pushed = await server.plx(repo, "push");
    expect(pushed.exitCode, pushed.stdout).toBe(0);
    expect(pushed.stdout).toContain("3 published");
  });

  it("publishes an edit to a template PromptLayer holds though plx's own parsers object to it", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    // Valid Jinja2 (a slice) that nunjucks cannot parse, and a chat template's own template_format, as PromptLayer
    // holds them: check warns or errs about them, but neither is a reason to refuse an edit.
    await server.publish("history", {
      type: "chat",
      template_format: "jinja2",
      messages: [
        { role: "user", template_format: "jinja2", content: [{ type: "text", text: "Recent: {{ history[-3:] }}" }] },
      ],
    });
    expect((await server.plx(repo, "pull")).exitCode).toBe(0);
    await edit(join(repo, "prompts/history.prompt.yaml"), "Recent:", "Latest:");
    const pushed = await server.plx(repo, "push");
    expect(pushed.exitCode, pushed.stdout).toBe(0);
    expect(pushed.stdout).toContain("updated v2 prompts/history.prompt.yaml");
  });

  it("applies a saved plan only while the remote has not moved", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    await edit(join(repo, "prompts/tone.prompt.yaml"), "Be warm", "Be kind");
    const planned = await server.plx(repo, "push", "--dry-run", "--plan-out", "plan.json");
    expect(planned.exitCode).toBe(0);
    expect(JSON.parse(await readFile(join(repo, "plan.json"), "utf8")).items).toContainEqual(
      expect.objectContaining({ name: "tone", action: "update", remoteVersion: 1 }),
    );

    await server.publish("résumé-court", completion("Changed elsewhere"));
    const stale = await server.plx(repo, "push", "--plan", "plan.json");
    expect(stale.exitCode).toBe(5);
    expect(stale.stdout).toContain("résumé-court: PromptLayer moved from v1 to v2");
    expect(templateOf(await server.state(), "tone").versions).toHaveLength(1);

    await server.plx(repo, "push", "--dry-run", "--plan-out", "plan.json", "tone");
    expect((await server.plx(repo, "push", "--plan", "plan.json", "tone")).exitCode).toBe(0);
    expect(templateOf(await server.state(), "tone").versions).toHaveLength(2);

    // A move is part of what was reviewed: a file moved after the plan makes it stale too.
    await server.plx(repo, "push", "--dry-run", "--plan-out", "plan.json", "tone");
    await mkdir(join(repo, "prompts/moved"));
    await rename(join(repo, "prompts/tone.prompt.yaml"), join(repo, "prompts/moved/tone.prompt.yaml"));
    const moved = await server.plx(repo, "push", "--plan", "plan.json", "tone");
    expect(moved.exitCode).toBe(5);
    expect(moved.stdout).toContain("tone: moved since the plan was made (now prompts/moved/tone.prompt.yaml)");
  });
});

describe("plx publish --label and plx label", () => {
  it("moves labels to the pushed content, needs --yes without a terminal, and manages labels", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    await edit(
      join(repo, "prompts/support/billing/refund-reply.prompt.yaml"),
      "You handle refunds.",
      "You handle refunds kindly.",
    );
    await edit(join(repo, "prompts/tone.prompt.yaml"), "Be warm", "Be kind");

    const unconfirmed = await server.plx(repo, "publish", "--label", "prod");
    expect(unconfirmed.exitCode).toBe(2);
    expect(unconfirmed.stderr).toContain("--yes");

    const published = await server.plx(repo, "publish", "--label", "prod", "--yes");
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
    expect((await server.plx(repo, "publish", "--label", "staging", "--all", "--yes")).exitCode).toBe(0);
    expect(await labelsOf("tone")).toEqual({ staging: 2 });

    expect((await server.plx(repo, "label", "set", "staging", "tone@1")).exitCode).toBe(0);
    const promoted = await server.plx(repo, "label", "promote", "staging", "prod", "tone", "--dry-run");
    expect(promoted.stdout).toContain("would set prod -> tone v1");
    expect(await labelsOf("tone")).toEqual({ staging: 1 });
    // Moving a label is a deploy: like rm, promote asks, and without a terminal needs --yes.
    expect((await server.plx(repo, "label", "promote", "staging", "prod", "tone")).exitCode).toBe(2);
    expect((await server.plx(repo, "label", "promote", "staging", "prod", "tone", "--yes")).exitCode).toBe(0);
    expect(await labelsOf("tone")).toEqual({ prod: 1, staging: 1 });

    const listed = JSON.parse((await server.plx(repo, "label", "ls", "tone", "--json")).stdout);
    expect(listed.labels).toEqual([
      { kind: "prompt", name: "tone", label: "prod", version: 1, matchesLocal: false },
      { kind: "prompt", name: "tone", label: "staging", version: 1, matchesLocal: false },
    ]);
    expect((await server.plx(repo, "label", "rm", "staging", "tone")).exitCode).toBe(2);
    expect((await server.plx(repo, "label", "rm", "staging", "tone", "--yes")).exitCode).toBe(0);
    expect(await labelsOf("tone")).toEqual({ prod: 1 });
  });

  it("still reports what it published when the labels cannot be read back afterwards (exit 3)", async () => {
    const server = await sandbox();
    const repo = await adoptedRepo(server);
    await edit(
      join(repo, "prompts/support/billing/refund-reply.prompt.yaml"),
      "You handle refunds.",
      "You handle refunds kindly.",
    );
    const proxy = await hostileProxy(server.url, (request, response) => {
      if (!/^\/prompt-templates\/\d+\/labels/.test(request.url)) return false;
      response.writeHead(500, { "content-type": "application/json" }).end('{"message":"labels are down"}');
      return true;
    });
    try {
      const result = await plx(["publish", "--label", "prod", "--yes", "--retries", "0", "--json"], {
        cwd: repo,
        env: { ...server.env, PROMPTLAYER_BASE_URL: proxy.url },
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
    await server.setState({ ...state, protected_labels: ["prod"] });
    await edit(
      join(repo, "prompts/support/billing/refund-reply.prompt.yaml"),
      "You handle refunds.",
      "You handle refunds politely.",
    );
    const published = await server.plx(repo, "publish", "--label", "prod", "--yes");
    expect(published.stdout).toContain("pending approval prod -> refund-reply v2");
    // Not everything the deploy asked for happened: a negative result, as for any partial outcome.
    expect(published.exitCode).toBe(1);
    const lock = JSON.parse(await readFile(join(repo, "plx.lock"), "utf8"));
    expect(lock.templates["refund-reply"].labels).toEqual({ prod: 1 });

    // A rollback waits for approval just the same; it is not someone else's move.
    await server.setState({ ...(await server.state()), protected_labels: [] });
    expect((await server.plx(repo, "label", "set", "prod", "refund-reply@2")).exitCode).toBe(0);
    await server.setState({ ...(await server.state()), protected_labels: ["prod"] });
    const rollback = await server.plx(repo, "label", "set", "prod", "refund-reply@1");
    expect(rollback.stdout).toContain("pending approval prod -> refund-reply v1 (was v2)");
    expect(rollback.exitCode).toBe(1);

    const removal = await server.plx(repo, "label", "rm", "prod", "refund-reply", "--yes", "--json");
    expect(removal.exitCode).toBe(1);
    expect(JSON.parse(removal.stdout)).toMatchObject({ action: "rm", status: "pending", version: 2 });
    expect((await server.plx(repo, "label", "rm", "prod", "refund-reply", "--yes")).stdout).toContain(
      "stays until the removal is approved",
    );
  });
});

describe("publishing through faults and races", () => {
  async function finalState(knobs: Record<string, number>, seed = 0) {
    const server = await sandbox({ seed });
    const repo = await adoptedRepo(server);
    await edit(join(repo, "prompts/tone.prompt.yaml"), "Be warm", "Be kind");
    await edit(join(repo, "prompts/support/résumé-court.prompt.yaml"), "une phrase", "deux phrases");
    await mkdir(join(repo, "prompts/new/deep"), { recursive: true });
    await writeFile(
      join(repo, "prompts/new/deep/fresh.prompt.yaml"),
      "type: chat\nmessages:\n  - role: user\n    content: Fresh @@@tone@@@\n",
    );
    await fetch(`${server.url}/__sandbox/faults`, { method: "PATCH", body: JSON.stringify(knobs) });
    const published = await server.plx(repo, "publish", "--label", "prod", "--yes");
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

  // Retries wait out real backoff delays: generous time on a busy machine.
  it("ends in the same remote state as a clean run, with no duplicate versions", { timeout: 120_000 }, async () => {
    const clean = await finalState({});
    expect(clean.exitCode).toBe(0);
    // The seeded runs mostly wait out retry delays: side by side, each with its own sandbox.
    const seeds = [1, 2, 3];
    const faulty = await Promise.all(
      seeds.map((seed) => finalState({ failRate: 0.2, dropRate: 0.05, dropAfterCommitRate: 0.15 }, seed)),
    );
    for (const [index, result] of faulty.entries()) {
      expect(result.exitCode, `seed ${seeds[index]}: ${result.stdout}`).toBe(0);
      expect(result.summary, `seed ${seeds[index]}`).toEqual(clean.summary);
    }
  });

  it("lets two publishes race without silently losing either update", async () => {
    const server = await sandbox({ latencyMs: 30 });
    await seedTeamWorkspace(server);
    const first = await newRepo();
    expect((await server.plx(first, "pull")).exitCode).toBe(0);
    const second = `${first}-other`;
    await cp(first, second, { recursive: true });
    await edit(join(first, "prompts/tone.prompt.yaml"), "Be warm", "Be kind");
    await edit(join(second, "prompts/tone.prompt.yaml"), "Be warm", "Be firm");
    const results = await Promise.all(
      [first, second].map((repo) => server.plx(repo, "publish", "--label", "prod", "--yes")),
    );
    const codes = results.map((result) => result.exitCode).sort();
    expect(codes, results.map((result) => result.stdout + result.stderr).join("\n---\n")).toEqual([0, 5]);
    expect(results.find((result) => result.exitCode === 0)!.stdout).not.toContain("pending approval");
    // The loser either was refused before sending (its edit stays in its files) or published on top and says so.
    const loser = results.find((result) => result.exitCode === 5)!;
    expect(loser.stdout).toMatch(/conflict prompts\/tone|appeared in PromptLayer while this publish ran/);
    const tone = templateOf(await server.state(), "tone");
    const texts = tone.versions.map((v: any) => v.prompt_template.content[0].text).slice(1);
    expect(texts.length).toBeGreaterThanOrEqual(1);
    for (const text of texts)
      expect(["Be firm, brief and precise. 🙂", "Be kind, brief and precise. 🙂"]).toContain(text);
  });
});
