// publish --label moves only what the repository says, and never undoes a decision made in PromptLayer.
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { completion } from "../support/registry.js";
import {
  commitAll,
  edit,
  git,
  newRepo,
  plx,
  readJson,
  sandboxPerTest,
  type TestSandbox,
} from "../support/in-process.js";

const sandbox = sandboxPerTest();

const labelsOf = (state: any, name: string) => {
  const template = state.templates.find((t: any) => t.name === name);
  return Object.fromEntries(
    state.labels.filter((l: any) => l.template_id === template.id).map((l: any) => [l.name, l.version_number]),
  );
};

/** a (prod v2, staging v2), b (prod v1, staging v1), c (staging only): pulled and committed. */
async function deployedRepo(server: TestSandbox) {
  await server.publish("a", completion("a v1"));
  await server.publish("a", completion("a v2"), { labels: ["prod", "staging"] });
  await server.publish("b", completion("b v1"), { labels: ["prod", "staging"] });
  await server.publish("c", completion("c v1"), { labels: ["staging"] });
  const repo = await newRepo({ git: true });
  expect((await server.plx(repo, "pull")).exitCode).toBe(0);
  await commitAll(repo, "Adopt plx");
  return repo;
}

const labelId = async (server: TestSandbox, name: string, label: string) => {
  const state = await server.state();
  const template = state.templates.find((t: any) => t.name === name);
  return state.labels.find((l: any) => l.template_id === template.id && l.name === label).id as number;
};

/** Moves a label the way the PromptLayer UI does. */
async function moveInUi(server: TestSandbox, name: string, label: string, version: number) {
  const response = await fetch(`${server.url}/prompt-labels/${await labelId(server, name, label)}`, {
    method: "PATCH",
    headers: { "X-API-KEY": "ui", "content-type": "application/json" },
    body: JSON.stringify({ prompt_version_number: version }),
  });
  expect(response.status).toBe(200);
}

describe("publish --label", () => {
  it("leaves a label rolled back in PromptLayer alone, reports it and exits 5; the rest deploys", async () => {
    const server = await sandbox();
    const repo = await deployedRepo(server);
    await moveInUi(server, "a", "prod", 1); // an emergency rollback, v2 → v1
    await edit(join(repo, "prompts/b.prompt.yaml"), "b v1", "b v2");
    await commitAll(repo, "Better b");

    const published = await server.plx(repo, "publish", "--label", "prod", "--yes");
    expect(published.exitCode, published.stderr).toBe(5);
    expect(published.stdout).toContain("label moved in PromptLayer since the last sync: prod v2 → v1");
    const state = await server.state();
    expect(labelsOf(state, "a")).toEqual({ prod: 1, staging: 2 });
    expect(labelsOf(state, "b")).toEqual({ prod: 2, staging: 1 });

    // plx pull brings the move in; publishing again then changes nothing and succeeds.
    expect((await server.plx(repo, "pull")).exitCode).toBe(0);
    expect((await readJson(join(repo, "plx.lock"))).templates.a.labels).toEqual({ prod: 1, staging: 2 });
  });

  it("--force moves a label over a move made in PromptLayer", async () => {
    const server = await sandbox();
    const repo = await deployedRepo(server);
    await moveInUi(server, "a", "prod", 1);
    const forced = await server.plx(repo, "publish", "--label", "prod", "--yes", "--force");
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(labelsOf(await server.state(), "a").prod).toBe(2);
  });

  it("never spreads a label to templates that do not carry it; a new template gets it", async () => {
    const server = await sandbox();
    const repo = await deployedRepo(server);
    await edit(join(repo, "prompts/c.prompt.yaml"), "c v1", "c v2");
    await writeFile(join(repo, "prompts/d.prompt.yaml"), "type: completion\ncontent: d v1\n");
    await commitAll(repo, "Edit c, add d");

    const published = await server.plx(repo, "publish", "--label", "prod", "--yes", "--json");
    expect(published.exitCode, published.stderr).toBe(0);
    const report = JSON.parse(published.stdout);
    const moveOf = (name: string) => report.labels.find((label: any) => label.name === name);
    expect(moveOf("c")).toMatchObject({ action: "skip", status: "skipped" });
    expect(moveOf("d")).toMatchObject({ action: "add", status: "set", reason: "new template", version: 1 });
    const state = await server.state();
    expect(labelsOf(state, "c")).toEqual({ staging: 1 });
    expect(labelsOf(state, "d")).toEqual({ prod: 1 });
    expect(state.templates.find((t: any) => t.name === "c").versions).toHaveLength(2);
  });

  it("adds a label where plx.config.yaml's labels map assigns it, or everywhere with --all", async () => {
    const server = await sandbox();
    const repo = await deployedRepo(server);
    await server.publish("e", completion("e v1"));
    expect((await server.plx(repo, "pull")).exitCode).toBe(0);
    await writeFile(join(repo, "plx.config.yaml"), "promptsDir: prompts\nlabels:\n  prod: [c]\n");
    expect((await server.plx(repo, "publish", "--label", "prod", "--yes")).exitCode).toBe(0);
    let state = await server.state();
    expect(labelsOf(state, "c")).toEqual({ prod: 1, staging: 1 });
    expect(labelsOf(state, "e")).toEqual({});

    expect((await server.plx(repo, "publish", "--label", "prod", "--yes", "--all")).exitCode).toBe(0);
    state = await server.state();
    expect(labelsOf(state, "e")).toEqual({ prod: 1 });
  });

  it("shows in --dry-run --json exactly the moves the real run then makes", async () => {
    const server = await sandbox();
    const repo = await deployedRepo(server);
    await edit(join(repo, "prompts/a.prompt.yaml"), "a v2", "a v3");
    await edit(join(repo, "prompts/b.prompt.yaml"), "b v1", "b v2");
    const dry = await server.plx(repo, "publish", "--label", "staging", "--dry-run", "--json");
    expect(dry.exitCode, dry.stderr).toBe(0);
    const planned = JSON.parse(dry.stdout).labels.map((l: any) => [l.name, l.label, l.from, l.action, l.reason]);
    expect(planned).toEqual([
      ["a", "staging", 2, "move", "carries it"],
      ["b", "staging", 1, "move", "carries it"],
      ["c", "staging", 1, "keep", "already there"],
    ]);
    expect(dry.stdout).not.toContain('"set"');
    await server.clearRequests();

    const real = JSON.parse((await server.plx(repo, "publish", "--label", "staging", "--yes", "--json")).stdout);
    expect(real.labels.map((l: any) => [l.name, l.label, l.from, l.action, l.reason])).toEqual(planned);
    expect(real.labels.map((l: any) => [l.name, l.status, l.version])).toEqual([
      ["a", "set", 3],
      ["b", "set", 2],
      ["c", "unchanged", 1],
    ]);
    const state = await server.state();
    expect(labelsOf(state, "a").staging).toBe(3);
    expect(labelsOf(state, "c").staging).toBe(1);
    // The labels travelled with the new versions: no separate label request was needed.
    expect(
      (await server.requests()).filter((r) => r.path.startsWith("/prompt-labels") || r.path.endsWith("/label")),
    ).toEqual([]);
  });

  it("records moves it made in plx.lock, so the next publish does not take them for outside changes", async () => {
    const server = await sandbox();
    const repo = await deployedRepo(server);
    expect((await server.plx(repo, "label", "set", "prod", "b@1")).exitCode).toBe(0);
    expect((await server.plx(repo, "label", "promote", "staging", "prod", "--yes")).exitCode).toBe(0);
    const lock = await readJson(join(repo, "plx.lock"));
    expect(lock.labels).toEqual(["prod", "staging"]);
    expect(lock.templates.c.labels).toEqual({ prod: 1, staging: 1 });
    const again = await server.plx(repo, "publish", "--label", "prod", "--yes");
    expect(again.exitCode, again.stdout + again.stderr).toBe(0);
  });
});

describe("label names", () => {
  it("label set on a version that does not exist is exit 2 saying so", async () => {
    const server = await sandbox();
    const repo = await deployedRepo(server);
    const result = await server.plx(repo, "label", "set", "prod", "a@99");
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("a has no version 99; its latest is v2.");
    expect(labelsOf(await server.state(), "a").prod).toBe(2);
  });

  it("--label --yes is a usage error, and nothing is sent", async () => {
    const server = await sandbox();
    const repo = await deployedRepo(server);
    await server.clearRequests();
    const result = await server.plx(repo, "publish", "--label", "--yes");
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--label "--yes" is not valid');
    expect(await server.requests()).toEqual([]);
  });
});

describe("what could not be deployed", () => {
  it("a template deleted in PromptLayer is behind, listed, and exits 1", async () => {
    const server = await sandbox();
    const repo = await deployedRepo(server);
    const state = await server.state();
    const c = state.templates.find((t: any) => t.name === "c");
    await fetch(`${server.url}/api/public/v2/folders/entities`, {
      method: "DELETE",
      headers: { "X-API-KEY": "ui", "content-type": "application/json" },
      body: JSON.stringify({ entities: [{ id: c.id, type: "PROMPT" }] }),
    });
    const pushed = await server.plx(repo, "push");
    expect(pushed.exitCode).toBe(1);
    expect(pushed.stdout).toMatch(/behind prompts\/c\.prompt\.yaml — deleted in PromptLayer since v1/);
  });

  it("a file deleted here is a planned deletion: kept without --delete (exit 1), deleted with it", async () => {
    const server = await sandbox();
    const repo = await deployedRepo(server);
    const { rm } = await import("node:fs/promises");
    await rm(join(repo, "prompts/c.prompt.yaml"));
    await server.clearRequests();

    const kept = await server.plx(repo, "push");
    expect(kept.exitCode).toBe(1);
    expect(kept.stdout).toContain("deleted here prompts/c.prompt.yaml");
    expect((await server.requests()).filter((r) => r.method !== "GET")).toEqual([]);
    const pulled = await server.plx(repo, "pull");
    expect(pulled.exitCode).toBe(0);
    expect(pulled.stdout).toContain("deleted locally since the last sync");

    const refused = await server.plx(repo, "push", "--delete");
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain("needs confirmation");
    const deleted = await server.plx(repo, "push", "--delete", "--yes");
    expect(deleted.exitCode, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain("deleted prompts/c.prompt.yaml");
    expect((await server.state()).templates.map((t: any) => t.name).sort()).toEqual(["a", "b"]);
    expect(Object.keys((await readJson(join(repo, "plx.lock"))).templates)).toEqual(["a", "b"]);
  });

  it("asks for consent only when the plan moves a label: without a terminal, a no-op deploy passes and a move needs --yes", async () => {
    const server = await sandbox();
    const repo = await deployedRepo(server);
    const noop = await server.plx(repo, "publish", "--label", "prod");
    expect(noop.exitCode, noop.stderr).toBe(0);
    expect(noop.stdout).toContain("labels: 0 moved");

    await edit(join(repo, "prompts/b.prompt.yaml"), "b v1", "b v2");
    await commitAll(repo, "b v2");
    await server.clearRequests();
    const refused = await server.plx(repo, "publish", "--label", "prod");
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain("Moving the release label prod needs confirmation");
    expect((await server.requests()).filter((r) => r.method !== "GET")).toEqual([]);
    const deployed = await server.plx(repo, "publish", "--label", "prod", "--yes");
    expect(deployed.exitCode, deployed.stderr).toBe(0);
    expect(deployed.stdout).toContain("label prod -> b v2 (was v1)");

    // Outside a project, that is what it says, not that it needs consent.
    const elsewhere = await server.plx(await mkdtemp(join(tmpdir(), "plx-none-")), "publish", "--label", "prod");
    expect(elsewhere.exitCode).toBe(2);
    expect(elsewhere.stderr).toContain("is not in a plx project");
  });

  it("stops pull, push and publish when most synced templates are missing: another workspace's key", async () => {
    const server = await sandbox();
    const repo = await deployedRepo(server);
    const before = await readFile(join(repo, "plx.lock"), "utf8");
    await fetch(`${server.url}/__sandbox/reset`, { method: "POST" });
    await server.publish("someone-else", completion("not ours"));
    for (const args of [["pull"], ["push"], ["publish", "--label", "prod", "--yes"]]) {
      const result = await server.plx(repo, ...args);
      expect(result.exitCode, args.join(" ")).toBe(5);
      expect(result.stderr).toContain("probably belongs to another workspace");
    }
    expect(await readFile(join(repo, "plx.lock"), "utf8")).toBe(before);
    expect((await server.state()).templates.map((t: any) => t.name)).toEqual(["someone-else"]);
  });
});

describe("label promote", () => {
  it("warns when it moves a label back to an older version", async () => {
    const server = await sandbox();
    const repo = await deployedRepo(server);
    // staging back on a's v1, prod on v2: promoting staging to prod moves prod backwards.
    expect((await server.plx(repo, "label", "set", "staging", "a@1")).exitCode).toBe(0);
    const promoted = await server.plx(repo, "label", "promote", "staging", "prod", "a", "--yes");
    expect(promoted.exitCode, promoted.stderr).toBe(0);
    expect(promoted.stderr).toContain("prod on a moves back from v2 to v1, an older version");
    expect(labelsOf(await server.state(), "a").prod).toBe(1);
  });
});

describe("uncommitted edits", () => {
  it("are published as uncommitted changes on HEAD, stamped with no commit, and refused in CI", async () => {
    const server = await sandbox();
    const repo = await deployedRepo(server);
    const head = await git(repo, "rev-parse", "HEAD");
    await edit(join(repo, "prompts/b.prompt.yaml"), "b v1", "b v2");

    const inCi = await plx(["push"], { cwd: repo, env: { ...server.env, CI: "true", GITHUB_ACTIONS: "true" } });
    expect(inCi.exitCode).toBe(2);
    expect(inCi.stderr).toContain(`holds changes that commit ${head.slice(0, 7)} does not`);

    expect((await server.plx(repo, "push")).exitCode).toBe(0);
    const version = (await server.state()).templates.find((t: any) => t.name === "b").versions[1];
    expect(version.commit_message).toBe(`uncommitted changes on ${head.slice(0, 7)}`);
    expect(version.metadata.plx).toMatchObject({ uncommitted_on: head });
    expect(version.metadata.plx.git_sha).toBeUndefined();
  });
});
