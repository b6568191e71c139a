// `plx pull --pr` in process, against the in-process sandbox, a real git repository with a bare origin, and a fake of
// GitHub's or GitLab's REST API that records every request.
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startSandbox } from "../../src/sandbox/index.js";
import { fakeForgeHost, type FakeForgeHost } from "../support/fake-forge.js";
import { isolatedGitEnv, type TestRepo, testRepo } from "../support/git-repo.js";
import { plx as plxInProcess } from "../support/in-process.js";
import { API_KEY, chat, completion, plxEnv, type Registry, registry } from "../support/registry.js";

const TOKEN = "ghs_pull_request_test_token_0123456789";
const REFUND = "prompts/support/refund-reply.prompt.yaml";
const TONE = "prompts/tone.prompt.yaml";
const BRANCH = "plx/promptlayer";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface World {
  reg: Registry;
  repo: TestRepo;
  forge: FakeForgeHost;
  env: Record<string, string | undefined>;
  plx(...args: string[]): ReturnType<typeof plxInProcess>;
  sandboxUrl: string;
}

async function world(kind: "github" | "gitlab" = "github", extraEnv: Record<string, string> = {}): Promise<World> {
  const sandbox = await startSandbox({ port: 0, apiKey: API_KEY });
  cleanups.push(() => sandbox.close());
  const reg = registry(sandbox.url);
  const support = await reg.folder("support");
  await reg.publish("tone", completion("Be warm and brief."));
  await reg.publish("refund-reply", chat(["system", "You handle refunds. @@@tone@@@"], ["user", "Order {order}"]), {
    folderId: support,
    labels: ["prod"],
  });
  const repo = await testRepo();
  const forge = await fakeForgeHost(kind, { token: TOKEN, repository: "acme/prompts" });
  cleanups.push(() => forge.close());
  const forgeEnv: Record<string, string> =
    kind === "github"
      ? { GITHUB_API_URL: forge.apiUrl, GITHUB_REPOSITORY: "acme/prompts", PLX_GITHUB_TOKEN: TOKEN }
      : { CI_API_V4_URL: forge.apiUrl, CI_PROJECT_ID: "acme/prompts", PLX_GITLAB_TOKEN: TOKEN, PLX_FORGE: "gitlab" };
  const env = plxEnv(sandbox.url, { ...(await isolatedGitEnv()), ...forgeEnv, PLX_RETRIES: "0", ...extraEnv });
  const plx = (...args: string[]) => plxInProcess(args, { cwd: repo.dir, env });
  expect((await plx("pull")).exitCode).toBe(0);
  await repo.commitAll("Adopt PromptLayer's prompts");
  return { reg, repo, forge, env, plx, sandboxUrl: sandbox.url };
}

/** An edit made in PromptLayer's editor: a new version, no plx stamp. */
const uiEdit = (reg: Registry, text: string, message = "Shorter refund reply") =>
  reg.post("/rest/prompt-templates", {
    prompt_template: { prompt_name: "refund-reply" },
    prompt_version: {
      prompt_template: chat(["system", `${text} @@@tone@@@`], ["user", "Order {order}"]),
      commit_message: message,
      metadata: { model: { provider: "openai", name: "gpt-4o", parameters: {} } },
    },
  });

/** A workflow body for POST /rest/workflows: one node running `prompt` on the question. */
const oneNodeAgent = (prompt: string, extra: object = {}) => ({
  required_input_variables: { question: "string" },
  nodes: [
    {
      name: "answer",
      node_type: "PROMPT_TEMPLATE",
      configuration: { template: { prompt_name: prompt } },
      dependencies: ["question"],
      is_output_node: true,
    },
  ],
  edges: [],
  ...extra,
});

const lockOn = async (repo: TestRepo, branch: string) => JSON.parse((await repo.fileOnOrigin(branch, "plx.lock"))!);

describe("plx pull --pr on GitHub", () => {
  it("opens one pull request with PromptLayer's content, updates it, leaves it, and closes it when nothing differs", async () => {
    const { reg, repo, forge, plx } = await world();
    const mainBefore = await repo.git("rev-parse", "HEAD");
    await uiEdit(reg, "You handle refunds politely.");

    const opened = await plx("pull", "--pr", "--pr-label", "prompts", "--reviewer", "octocat");
    expect(opened.stderr).toBe("");
    expect(opened.exitCode).toBe(0);
    expect(opened.stdout).toContain("opened the pull request https://github.example/acme/prompts/pull/1");
    expect(forge.changeRequests).toHaveLength(1);
    const [pr] = forge.changeRequests;
    expect(pr).toMatchObject({
      head: BRANCH,
      base: "main",
      state: "open",
      labels: ["prompts"],
      reviewers: ["octocat"],
    });
    expect(pr!.title).toBe("PromptLayer: refund-reply v1 → v2");
    expect(pr!.body).toContain("### refund-reply: v1 → v2");
    expect(pr!.body).toContain("**v2**: Shorter refund reply");
    expect(pr!.body).toMatch(/\[open in PromptLayer\]\(http:\/\/127\.0\.0\.1:\d+\/workspace\/1\/prompt\/\d+\)/);
    expect(pr!.body).toContain("<details><summary>Diff</summary>");
    expect(pr!.body).toContain("+    content: You handle refunds politely. @@@tone@@@");
    expect(pr!.body).toContain("<!-- plx:pull-request -->");

    // The branch holds PromptLayer's content and lock, on top of main; the checkout was not touched.
    expect(await repo.fileOnOrigin(BRANCH, REFUND)).toContain("You handle refunds politely.");
    expect((await lockOn(repo, BRANCH)).templates["refund-reply"].version).toBe(2);
    expect(await repo.originGit("rev-parse", `${BRANCH}^`)).toBe(mainBefore);
    expect(await repo.originGit("log", "-1", "--format=%an <%ae>%n%B", BRANCH)).toMatch(
      /^plx <plx@users\.noreply\.invalid>\nPromptLayer: refund-reply v1 → v2\n\n- refund-reply: v1 → v2 \(prompts\/support\/refund-reply\.prompt\.yaml\)\n {2}v2: Shorter refund reply/,
    );
    expect(await repo.git("status", "--porcelain")).toBe("");
    expect(await repo.git("rev-parse", "--abbrev-ref", "HEAD")).toBe("main");
    expect(await readFile(join(repo.dir, REFUND), "utf8")).not.toContain("politely");
    expect(await repo.git("branch", "--list")).toBe("* main");

    // A second edit in PromptLayer updates the same pull request, rebuilt from main.
    await uiEdit(reg, "You handle refunds kindly.", "Kinder");
    const updated = await plx("pull", "--pr", "--pr-label", "prompts");
    expect(updated.exitCode).toBe(0);
    expect(updated.stdout).toContain("updated the pull request");
    expect(forge.changeRequests).toHaveLength(1);
    expect(forge.changeRequests[0]!.title).toBe("PromptLayer: refund-reply v1 → v3");
    expect(forge.changeRequests[0]!.body).toContain("**v3**: Kinder");
    expect(await repo.fileOnOrigin(BRANCH, REFUND)).toContain("You handle refunds kindly.");
    expect(await repo.originGit("rev-list", "--count", `main..${BRANCH}`)).toBe("1");

    // Nothing new: no push, no edit of the pull request.
    const tip = await repo.originGit("rev-parse", BRANCH);
    const patches = forge.requestsTo("PATCH", /\/pulls\/1$/).length;
    const same = await plx("pull", "--pr");
    expect(same.stdout).toContain("up to date: the pull request");
    expect(await repo.originGit("rev-parse", BRANCH)).toBe(tip);
    expect(forge.requestsTo("PATCH", /\/pulls\/1$/)).toHaveLength(patches);

    // Reverted in PromptLayer: main and PromptLayer agree again, so the pull request is closed with a comment.
    await uiEdit(reg, "You handle refunds.", "Revert");
    const closed = await plx("pull", "--pr", "--json");
    expect(closed.exitCode).toBe(0);
    expect(JSON.parse(closed.stdout)).toMatchObject({ action: "closed", number: 1, changed: false });
    expect(forge.changeRequests[0]).toMatchObject({ state: "closed" });
    expect(forge.changeRequests[0]!.comments[0]).toContain("PromptLayer and `main` agree again");

    const none = await plx("pull", "--pr");
    expect(none.stdout).toContain("PromptLayer and main agree: nothing to propose.");
    expect(forge.changeRequests).toHaveLength(1);
  });

  it("puts PromptLayer's content on the branch over an unpublished edit on main, and names the conflict first", async () => {
    const { reg, repo, forge, plx } = await world();
    const text = await readFile(join(repo.dir, REFUND), "utf8");
    await writeFile(join(repo.dir, REFUND), text.replace("You handle refunds.", "You handle refunds (edited in git)."));
    await repo.commitAll("Edit refund-reply in git");
    await uiEdit(reg, "You handle refunds (edited in PromptLayer).");

    const result = await plx("pull", "--pr", "--json");
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ action: "opened", conflicts: [REFUND] });
    expect(await repo.fileOnOrigin(BRANCH, REFUND)).toContain("(edited in PromptLayer)");
    expect(await repo.fileOnOrigin("main", REFUND)).toContain("(edited in git)");
    const body = forge.changeRequests[0]!.body;
    expect(body.indexOf("[!WARNING]")).toBeLessThan(body.indexOf("### refund-reply"));
    expect(body).toContain(`\`${REFUND}\` (refund-reply)`);
    expect(body).toContain("-    content: You handle refunds (edited in git). @@@tone@@@");
    expect(body).toContain("+    content: You handle refunds (edited in PromptLayer). @@@tone@@@");
  });

  it("proposes renames, deletions and new templates, and the snippet's blast radius", async () => {
    const { reg, repo, forge, plx, sandboxUrl } = await world();
    await reg.publish("tone", completion("Be warm, brief and exact."));
    await reg.publish("greeting", chat(["user", "Hello"]));
    const rename = await fetch(`${sandboxUrl}/__sandbox/templates/refund-reply/rename`, {
      method: "POST",
      body: JSON.stringify({ name: "refund-answer" }),
    });
    expect(rename.status).toBe(200);

    const result = await plx("pull", "--pr", "--json");
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.templates).toEqual([
      {
        kind: "prompt",
        name: "greeting",
        path: "prompts/greeting.prompt.yaml",
        changes: ["created"],
        to: 1,
        conflict: false,
      },
      expect.objectContaining({
        name: "refund-answer",
        path: "prompts/support/refund-answer.prompt.yaml",
        changes: ["renamed"],
      }),
      { kind: "prompt", name: "tone", path: TONE, changes: ["new-version"], from: 1, to: 2, conflict: false },
    ]);
    expect(await repo.filesOnOrigin(BRANCH)).toEqual([
      "plx.config.yaml",
      "plx.lock",
      "prompts/greeting.prompt.yaml",
      "prompts/support/refund-answer.prompt.yaml",
      TONE,
    ]);
    const body = forge.changeRequests[0]!.body;
    expect(body).toContain("### refund-answer: renamed from refund-reply");
    expect(body).toContain("Snippet used by 1: `refund-answer`");

    // Deleted in PromptLayer: the file goes in the proposal.
    const state: any = await (await fetch(`${sandboxUrl}/__sandbox/state`)).json();
    const greeting = state.templates.find((t: { name: string }) => t.name === "greeting");
    await fetch(`${sandboxUrl}/api/public/v2/folders/entities`, {
      method: "DELETE",
      headers: { "X-API-KEY": API_KEY, "content-type": "application/json" },
      body: JSON.stringify({ workspace_id: 1, entities: [{ id: greeting.id, type: "PROMPT" }] }),
    });
    const again = JSON.parse((await plx("pull", "--pr", "--json")).stdout);
    expect(again.action).toBe("updated");
    expect(await repo.filesOnOrigin(BRANCH)).not.toContain("prompts/greeting.prompt.yaml");
  });

  it("proposes an agent built or edited in PromptLayer, with its commit messages", async () => {
    const { reg, repo, forge, plx } = await world();
    const agent = (prompt: string, message: string) =>
      oneNodeAgent(prompt, { name: "triage", commit_message: message });
    await reg.post("/rest/workflows", agent("tone", "First triage"));
    const opened = JSON.parse((await plx("pull", "--pr", "--json")).stdout);
    expect(opened.action).toBe("opened");
    expect(opened.templates).toEqual([
      {
        kind: "agent",
        name: "triage",
        path: "prompts/triage.agent.yaml",
        changes: ["created"],
        to: 1,
        conflict: false,
      },
    ]);
    expect(await repo.filesOnOrigin(BRANCH)).toContain("prompts/triage.agent.yaml");
    expect((await lockOn(repo, BRANCH)).agents.triage).toMatchObject({ version: 1, prompts: ["tone"] });
    expect(forge.changeRequests[0]!.title).toBe("PromptLayer: triage (agent) created (v1)");

    // Edited in the Agent Builder: the proposal follows, naming the new version's message.
    const edit = oneNodeAgent("refund-reply", { commit_message: "Answer with the refund prompt" });
    await reg.post("/rest/workflows", { workflow_name: "triage", ...edit });
    const updated = JSON.parse((await plx("pull", "--pr", "--json")).stdout);
    expect(updated.action).toBe("updated");
    const body = forge.changeRequests[0]!.body;
    expect(body).toContain("### triage (agent): created (v2)");
    expect(body).toContain("- **v2**: Answer with the refund prompt");
    expect(await repo.fileOnOrigin(BRANCH, "prompts/triage.agent.yaml")).toContain("refund-reply");
  });

  it("takes PromptLayer's side of a conflicting agent without touching the template of the same name", async () => {
    const { reg, repo, plx } = await world();
    await reg.post("/rest/workflows", oneNodeAgent("tone", { name: "tone" }));
    expect((await plx("pull")).exitCode).toBe(0);
    await repo.commitAll("Adopt the tone agent");
    // main edits both the tone template and the tone agent; PromptLayer changes only the agent.
    const template = await readFile(join(repo.dir, TONE), "utf8");
    await writeFile(join(repo.dir, TONE), template.replace("Be warm and brief.", "Be warm and brief (git)."));
    const agentFile = join(repo.dir, "prompts/tone.agent.yaml");
    await writeFile(
      join(agentFile),
      (await readFile(agentFile, "utf8")).replace("prompt: tone", "prompt: refund-reply"),
    );
    await repo.commitAll("Edit tone and its agent in git");
    const { nodes } = oneNodeAgent("tone");
    const renamed = [{ ...nodes[0]!, name: "reply" }];
    await reg.post("/rest/workflows", {
      workflow_name: "tone",
      ...oneNodeAgent("tone"),
      nodes: renamed,
      commit_message: "UI",
    });

    const result = await plx("pull", "--pr", "--json");
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.conflicts).toEqual(["prompts/tone.agent.yaml"]);
    expect(await repo.fileOnOrigin(BRANCH, TONE)).toContain("Be warm and brief (git).");
  });

  it("writes pr-url, pr-number and changed to $GITHUB_OUTPUT, and a step summary", async () => {
    const outputs = join(await mkdtemp(join(tmpdir(), "plx-gh-")), "out");
    const summary = `${outputs}-summary`;
    await writeFile(outputs, "");
    const { reg, plx } = await world("github", {
      CI: "true",
      GITHUB_ACTIONS: "true",
      GITHUB_OUTPUT: outputs,
      GITHUB_STEP_SUMMARY: summary,
    });
    await uiEdit(reg, "You handle refunds politely.");
    const run = await plx("pull", "--pr");
    expect(run.exitCode, run.stderr).toBe(0);
    expect(await readFile(outputs, "utf8"), run.stdout + run.stderr).toBe(
      "pr-url=https://github.example/acme/prompts/pull/1\npr-number=1\nchanged=true\n",
    );
    expect(await readFile(summary, "utf8")).toContain(
      "Opened [pull request #1](https://github.example/acme/prompts/pull/1)",
    );
  });

  it("cuts a body over GitHub's limit, diffs first, with a note", async () => {
    const { reg, forge, plx } = await world();
    await uiEdit(reg, `You handle refunds. ${"Long policy text. ".repeat(4000)}`);
    expect((await plx("pull", "--pr")).exitCode).toBe(0);
    const body = forge.changeRequests[0]!.body;
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body).toContain("_Diff left out to fit the pull request's size limit; see the changed files._");
    expect(body).not.toContain("<details>");
    expect(body).toContain("### refund-reply: v1 → v2");
  });

  it("keeps known secrets out of what it sends the forge", async () => {
    const { reg, forge, plx } = await world();
    await uiEdit(reg, `Never print ${API_KEY} or ${TOKEN}.`);
    expect((await plx("pull", "--pr")).exitCode).toBe(0);
    const sent = forge.requests.map((request) => request.body).join("\n");
    expect(sent).toContain("Never print *** or ***.");
    expect(sent).not.toContain(API_KEY);
    expect(sent).not.toContain(TOKEN);
  });

  it("shows the proposal with --dry-run and pushes nothing", async () => {
    const { reg, repo, forge, plx } = await world();
    await uiEdit(reg, "You handle refunds politely.");
    const result = await plx("pull", "--pr", "--dry-run");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("dry run: would open the pull request");
    expect(result.stdout).toContain("### refund-reply: v1 → v2");
    expect(await repo.filesOnOrigin(BRANCH)).toEqual([]);
    expect(forge.requests.every((request) => request.method === "GET")).toBe(true);
  });
});

describe("plx pull --pr refuses, and says what was done", () => {
  it.each([
    [
      "a token is missing",
      { PLX_GITHUB_TOKEN: "" },
      4,
      "No GitHub token was given",
      "PLX_GITHUB_TOKEN (or GITHUB_TOKEN)",
    ],
    ["the repository is unknown", { GITHUB_REPOSITORY: "" }, 2, "cannot tell which GitHub repository", "--repo"],
    ["the author is not Name <email>", { PLX_AUTHOR: "someone" }, 2, '"someone" is not an author', "Name <email>"],
  ])("exits with the right code when %s", async (_name, env, code, message, hint) => {
    const { env: base, repo } = await world();
    const result = await plxInProcess(["pull", "--pr"], { cwd: repo.dir, env: { ...base, ...env } });
    expect(result.exitCode).toBe(code);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain(hint);
  });

  it("refuses a dirty tree and a directory outside git with exit 2", async () => {
    const { reg, repo, plx, env } = await world();
    await uiEdit(reg, "You handle refunds politely.");
    await writeFile(join(repo.dir, TONE), "type: completion\ncontent: edited, not committed\n");
    const dirty = await plx("pull", "--pr");
    expect(dirty.exitCode).toBe(2);
    expect(dirty.stderr).toContain(`not committed: ${TONE}`);
    const outside = await plxInProcess(["pull", "--pr"], { cwd: (await isolatedGitEnv()).HOME!, env });
    expect(outside.exitCode).toBe(2);
    expect(outside.stderr).toContain("is not inside a git repository");
  });

  it("exits 4 naming the variable when GitHub rejects the token", async () => {
    const { reg, env, repo } = await world();
    await uiEdit(reg, "You handle refunds politely.");
    const wrong = { ...env, PLX_GITHUB_TOKEN: "ghs_wrong_token_000000000000000000000" };
    const result = await plxInProcess(["pull", "--pr"], { cwd: repo.dir, env: wrong });
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toContain("GitHub refused the token in PLX_GITHUB_TOKEN (HTTP 401)");
  });

  it("exits 3 when GitHub keeps failing, saying the branch was pushed and the pull request not opened", async () => {
    const { reg, repo, forge, plx } = await world();
    await uiEdit(reg, "You handle refunds politely.");
    forge.failNext(502, 1, "POST");
    const result = await plx("pull", "--pr");
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain("GitHub did not answer POST /repos/acme/prompts/pulls after 1 attempt: HTTP 502");
    expect(result.stderr).toMatch(
      /Pushed plx\/promptlayer \([0-9a-f]{7}\) to origin; the pull request was not opened\./,
    );
    expect(await repo.fileOnOrigin(BRANCH, REFUND)).toContain("politely");
    expect(forge.changeRequests).toEqual([]);

    // The next run finds the branch already pushed and opens the one pull request.
    const retried = await plx("pull", "--pr");
    expect(retried.exitCode).toBe(0);
    expect(retried.stdout).toContain("plx/promptlayer already up to date");
    expect(forge.changeRequests).toHaveLength(1);
  });

  it("exits 3 when origin cannot be reached, or refuses the push, with nothing opened", async () => {
    const { reg, repo, forge, plx } = await world();
    await uiEdit(reg, "You handle refunds politely.");
    const origin = await repo.git("remote", "get-url", "origin");
    await repo.git("remote", "set-url", "origin", join(repo.origin, "..", "nowhere.git"));
    const unreachable = await plx("pull", "--pr");
    expect(unreachable.exitCode).toBe(3);
    expect(unreachable.stderr).toContain("Could not read origin after 1 attempt");

    // origin answers, but a hook refuses the branch.
    await repo.git("remote", "set-url", "origin", origin);
    const hook = join(repo.origin, "hooks", "pre-receive");
    await writeFile(hook, "#!/bin/sh\necho 'branch protected' >&2\nexit 1\n", { mode: 0o755 });
    const refused = await plx("pull", "--pr");
    expect(refused.exitCode).toBe(3);
    expect(refused.stderr).toContain("Could not push plx/promptlayer to origin after 1 attempt");
    expect(refused.stderr).toContain("Nothing was pushed, and no pull or merge request was opened or changed.");
    expect(forge.changeRequests).toEqual([]);
  });

  it("refuses template names and --prune with --pr", async () => {
    const { plx } = await world();
    const withNames = await plx("pull", "--pr", "tone", "--prune");
    expect(withNames.exitCode).toBe(2);
    expect(withNames.stderr).toContain("template names, --prune cannot be used with --pr");
  });
});

describe("plx pull --pr on GitLab", () => {
  it("opens one merge request, updates it, and closes it with a note", async () => {
    const { reg, repo, forge, plx } = await world("gitlab");
    await uiEdit(reg, "You handle refunds politely.");
    const opened = await plx("pull", "--pr", "--draft", "--reviewer", "alice", "--pr-label", "prompts");
    expect(opened.exitCode).toBe(0);
    expect(forge.changeRequests).toEqual([
      expect.objectContaining({
        number: 1,
        title: "Draft: PromptLayer: refund-reply v1 → v2",
        head: BRANCH,
        base: "main",
        labels: ["prompts"],
        reviewers: ["11"],
        draft: true,
      }),
    ]);
    expect(await repo.fileOnOrigin(BRANCH, REFUND)).toContain("politely");

    await uiEdit(reg, "You handle refunds kindly.");
    expect((await plx("pull", "--pr")).stdout).toContain("updated the merge request");
    expect(forge.changeRequests).toHaveLength(1);
    expect(forge.changeRequests[0]!.body).toContain("v1 → v3");

    await uiEdit(reg, "You handle refunds.");
    expect((await plx("pull", "--pr")).stdout).toContain("closed the merge request");
    expect(forge.changeRequests[0]).toMatchObject({ state: "closed" });
    expect(forge.changeRequests[0]!.comments[0]).toContain("Closing this merge request");
  });
});
