// pull, diff, status and check against a team's workspace in the sandbox, in-process.
import { mkdir, mkdtemp, readdir, readFile, rename, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fastGlob from "fast-glob";
import { describe, expect, it } from "vitest";
import { newRepo, sandboxPerTest, type TestSandbox } from "../support/in-process.js";
import { seedTeamWorkspace } from "../support/registry.js";
import { chat, completion } from "../support/templates.js";

const sandbox = sandboxPerTest();

/** A sandbox holding the team workspace, and an empty repository beside it. */
async function teamWorkspace(): Promise<{ server: TestSandbox; repo: string }> {
  const server = await sandbox();
  await seedTeamWorkspace(server);
  return { server, repo: await newRepo() };
}

/** The team workspace, pulled. */
async function pulledTeam(): Promise<{ server: TestSandbox; repo: string }> {
  const team = await teamWorkspace();
  expect((await team.server.plx(team.repo, "pull")).exitCode).toBe(0);
  return team;
}

// Everything but plx's own cache (.plx/, which ignores itself in git).
const files = (repo: string) => fastGlob("**/*", { cwd: repo, dot: true, ignore: [".plx/**"] });
const REFUND = "prompts/support/billing/refund-reply.prompt.yaml";

describe("plx pull", () => {
  it("writes a whole workspace as readable files and a lock, after which diff, status and check are clean", async () => {
    const { server, repo } = await teamWorkspace();

    const pulled = await server.plx(repo, "pull");
    expect(pulled.exitCode).toBe(0);
    expect(pulled.stdout).toContain("3 created, 0 updated, 0 unchanged, 0 skipped");
    expect((await files(repo)).sort()).toEqual([
      "plx.config.yaml",
      "plx.lock",
      REFUND,
      "prompts/support/résumé-court.prompt.yaml",
      "prompts/tone.prompt.yaml",
    ]);

    const refund = await readFile(join(repo, REFUND), "utf8");
    expect(refund).toContain("You handle refunds. @@@tone@@@");
    expect(refund).toContain("template_format: jinja2");
    expect(refund).toContain("name: lookup_order");
    expect(refund).toContain("owner: support-team");
    expect(refund).not.toContain("input_variables");
    expect(refund).not.toContain("name: null");
    const lock = JSON.parse(await readFile(join(repo, "plx.lock"), "utf8"));
    expect(lock.templates["refund-reply"]).toMatchObject({
      path: REFUND,
      version: 1,
      labels: { prod: 1 },
      snippets: ["tone"],
    });

    const diff = await server.plx(repo, "diff", "--exit-code");
    expect(diff).toMatchObject({ exitCode: 0 });
    expect(diff.stdout).toContain("No differences: 3 template(s) match PromptLayer");
    expect((await server.plx(repo, "status")).stdout).toContain("Clean: 3 template(s) match plx.lock.");
    expect((await server.plx(repo, "check")).exitCode).toBe(0);
  });

  it("reads nothing again when nothing changed, and rewrites no file", async () => {
    const { server, repo } = await pulledTeam();
    const before = await readFile(join(repo, REFUND), "utf8");
    await server.clearRequests();

    const again = await server.plx(repo, "pull");
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain("0 created, 0 updated, 3 unchanged");
    // One listing, one labels page for the lock's "prod", and the workspace-id discovery (a list page and one read).
    const requests = await server.requests();
    expect(requests.filter((r) => /^\/prompt-templates\/[^/]+$/.test(r.path)).length).toBeLessThanOrEqual(1);
    expect(requests.length).toBeLessThanOrEqual(4);
    expect(await readFile(join(repo, REFUND), "utf8")).toBe(before);
  });

  it("never overwrites an unpushed local edit, and still brings in the remote's other changes", async () => {
    const { server, repo } = await pulledTeam();
    const tonePath = join(repo, "prompts/tone.prompt.yaml");
    const edited = (await readFile(tonePath, "utf8")).replace("Be warm", "Be very warm");
    await writeFile(tonePath, edited);
    await server.publish("tone", completion("Be cold."));
    await server.publish("résumé-court", completion("Résume en deux phrases : {texte}"));

    const pulled = await server.plx(repo, "pull");
    expect(pulled.exitCode).toBe(1);
    expect(pulled.stdout).toMatch(/skipped\s+prompts\/tone\.prompt\.yaml/);
    expect(pulled.stdout).toContain("changed both here and in PromptLayer");
    expect(await readFile(tonePath, "utf8")).toBe(edited);
    expect(await readFile(join(repo, "prompts/support/résumé-court.prompt.yaml"), "utf8")).toContain("deux phrases");

    const forced = await server.plx(repo, "pull", "--force", "tone");
    expect(forced.exitCode).toBe(0);
    expect(await readFile(tonePath, "utf8")).toContain("Be cold.");
  });

  it("shows what it would do with --dry-run and writes nothing", async () => {
    const { server, repo } = await teamWorkspace();
    const dry = await server.plx(repo, "pull", "--dry-run", "--json");
    expect(dry.exitCode).toBe(0);
    const report = JSON.parse(dry.stdout);
    expect(report).toMatchObject({ schemaVersion: 2, command: "pull", ok: true, dryRun: true, counts: { create: 3 } });
    expect(await files(repo)).toEqual(["plx.config.yaml"]);
  });

  it("keeps hostile remote names inside prompts/, and the exact names inside the files", async () => {
    const server = await sandbox();
    const hostile = ["../escape", "a\\b", "CON", "Foo", "foo", "..", "bell\u0007", " lead"];
    const dotFolder = await server.folder("..");
    for (const name of hostile) await server.publish(name, completion(`I am ${JSON.stringify(name)}`));
    await server.publish("inside-dots", completion("x"), { folderId: dotFolder });
    // A parent of its own, so nothing else writing to the temporary directory can change what is compared.
    const parent = await mkdtemp(join(tmpdir(), "plx-hostile-"));
    const repo = join(parent, "repo");
    await mkdir(repo);
    await writeFile(join(repo, "plx.config.yaml"), "promptsDir: prompts\n");
    const parentBefore = await readdir(parent);

    const pulled = await server.plx(repo, "pull");
    expect(pulled.exitCode).toBe(0);
    const written = (await files(repo)).filter((path) => path.endsWith(".prompt.yaml"));
    expect(written).toHaveLength(hostile.length + 1);
    for (const path of written) {
      expect(path.startsWith("prompts/")).toBe(true);
      expect(path.split("/").some((segment) => segment === ".." || segment === ".")).toBe(false);
    }
    expect(new Set(written.map((path) => path.toLowerCase())).size).toBe(written.length);
    expect(await readdir(parent)).toEqual(parentBefore);
    for (const name of hostile) {
      const path = written.find((candidate) => candidate.includes("~") || candidate === `prompts/${name}.prompt.yaml`);
      expect(path).toBeDefined();
    }
    const lock = JSON.parse(await readFile(join(repo, "plx.lock"), "utf8"));
    expect(Object.keys(lock.templates).sort()).toEqual([...hostile, "inside-dots"].sort());
    expect((await server.plx(repo, "diff", "--exit-code")).exitCode).toBe(0);
  });

  it("follows a rename in PromptLayer, and removes files of deleted templates only with --prune", async () => {
    const { server, repo } = await pulledTeam();
    const state = await server.state();
    const tone = state.templates.find((t: { name: string }) => t.name === "tone");
    tone.name = "house-tone";
    state.templates = state.templates.filter((t: { name: string }) => t.name !== "résumé-court");
    await server.setState(state);

    // diff sees what pull will do: one template renamed, not one deleted and another added.
    const diff = await server.plx(repo, "diff");
    expect(diff.stdout).toMatch(
      /Changed in PromptLayer since the last sync:\n {2}prompts\/tone\.prompt\.yaml \(synced v1, renamed in PromptLayer from tone\)/,
    );
    expect(diff.stdout).not.toMatch(/Only in PromptLayer|house-tone/);
    expect(diff.stdout).not.toContain("+++ local/prompts/tone.prompt.yaml");

    const pulled = await server.plx(repo, "pull");
    expect(pulled.stdout).toMatch(
      /updated\s+prompts\/house-tone\.prompt\.yaml v1 \(moved from prompts\/tone\.prompt\.yaml\)/,
    );
    expect(pulled.stdout).toMatch(/gone remotely\s+prompts\/support\/résumé-court\.prompt\.yaml/);
    expect(await files(repo)).toContain("prompts/support/résumé-court.prompt.yaml");
    expect(await files(repo)).not.toContain("prompts/tone.prompt.yaml");

    const pruned = await server.plx(repo, "pull", "--prune");
    expect(pruned.stdout).toMatch(/removed\s+prompts\/support\/résumé-court\.prompt\.yaml/);
    expect(await files(repo)).not.toContain("prompts/support/résumé-court.prompt.yaml");
    expect(JSON.parse(await readFile(join(repo, "plx.lock"), "utf8")).templates).not.toHaveProperty("résumé-court");
  });

  it("moves a file when its template moved to another folder in PromptLayer, and leaves a file the user moved", async () => {
    const { server, repo } = await pulledTeam();
    const state = await server.state();
    const support = state.folders.find((f: { name: string }) => f.name === "support");
    state.templates.find((t: { name: string }) => t.name === "tone").folder_id = support.id;
    await server.setState(state);
    await mkdir(join(repo, "prompts/elsewhere"));
    await rename(join(repo, REFUND), join(repo, "prompts/elsewhere/refund-reply.prompt.yaml"));

    // Both moves are changes, on the side that made them, though no content changed.
    const status = await server.plx(repo, "status", "--exit-code");
    expect(status.exitCode).toBe(1);
    expect(status.stdout).toContain(`prompts/elsewhere/refund-reply.prompt.yaml (synced v1, moved from ${REFUND})`);
    // As git: --name-only is bare paths, one per line.
    expect((await server.plx(repo, "diff", "--name-only")).stdout).toBe(
      "prompts/elsewhere/refund-reply.prompt.yaml\nprompts/tone.prompt.yaml\n",
    );
    const diff = await server.plx(repo, "status", "--remote");
    expect(diff.stdout).toMatch(
      /Changed in PromptLayer since the last sync:\n {2}prompts\/tone\.prompt\.yaml \(synced v1, moved in PromptLayer to support\)/,
    );
    expect(diff.stdout).toMatch(/Changed locally:\n {2}prompts\/elsewhere\/refund-reply\.prompt\.yaml/);

    const pulled = await server.plx(repo, "pull");
    expect(pulled.stdout).toMatch(
      /updated\s+prompts\/support\/tone\.prompt\.yaml v1 \(moved from prompts\/tone\.prompt\.yaml\)/,
    );
    expect(pulled.stdout).toContain("0 created, 1 updated");
    expect(await files(repo)).toEqual(
      expect.arrayContaining(["prompts/support/tone.prompt.yaml", "prompts/elsewhere/refund-reply.prompt.yaml"]),
    );
    expect(await files(repo)).not.toContain("prompts/tone.prompt.yaml");
    expect((await server.plx(repo, "pull")).stdout).toContain("0 created, 0 updated");

    // A new version of the template whose file the user moved is written where the user put it.
    await server.publish("refund-reply", chat(["system", "Refunds, version two."]), { tags: ["support", "billing"] });
    const again = await server.plx(repo, "pull");
    expect(again.stdout).toMatch(/updated\s+prompts\/elsewhere\/refund-reply\.prompt\.yaml v2\n/);
    expect(await readFile(join(repo, "prompts/elsewhere/refund-reply.prompt.yaml"), "utf8")).toContain(
      "Refunds, version two.",
    );
    expect(await files(repo)).not.toContain(REFUND);
    // The move is still the user's to push: pull leaves it alone, status still shows it, push carries it out.
    expect((await server.plx(repo, "pull")).stdout).toContain("0 created, 0 updated");
    expect((await server.plx(repo, "status")).stdout).toContain(`moved from ${REFUND}`);
    expect((await server.plx(repo, "push")).stdout).toContain(
      "moved prompts/elsewhere/refund-reply.prompt.yaml (into elsewhere in PromptLayer)",
    );
    expect((await server.plx(repo, "status", "--exit-code")).exitCode).toBe(0);
  });

  it("leaves templates out of scope alone: --prune removes only what PromptLayer deleted", async () => {
    const { server, repo } = await pulledTeam();
    const before = await files(repo);
    // Only refund-reply carries prod; the others are untracked under --label prod, not deleted.
    const labelled = await server.plx(repo, "pull", "--label", "prod", "--prune");
    expect(labelled.exitCode, labelled.stdout).toBe(0);
    expect(labelled.stdout).not.toMatch(/removed|gone/);
    const named = await server.plx(repo, "pull", "tone", "--prune");
    expect(named.stdout).not.toMatch(/removed|gone/);
    expect(await files(repo)).toEqual(before);
    expect(Object.keys(JSON.parse(await readFile(join(repo, "plx.lock"), "utf8")).templates).sort()).toEqual([
      "refund-reply",
      "résumé-court",
      "tone",
    ]);
  });

  it("with the repository root as its prompts directory, updates files in place and never loses one", async () => {
    const { server, repo } = await teamWorkspace();
    await writeFile(join(repo, "plx.config.yaml"), "promptsDir: .\n");
    expect((await server.plx(repo, "pull")).exitCode).toBe(0);
    expect(await files(repo)).toContain("support/billing/refund-reply.prompt.yaml");
    await server.publish("tone", completion("Be warm, and brief."), { tags: ["shared"] });

    const pulled = await server.plx(repo, "pull");
    expect(pulled.stdout).toMatch(/^updated\s+tone\.prompt\.yaml v2$/m);
    expect(await readFile(join(repo, "tone.prompt.yaml"), "utf8")).toContain("Be warm, and brief.");
    expect(JSON.parse(await readFile(join(repo, "plx.lock"), "utf8")).templates.tone.path).toBe("tone.prompt.yaml");
    expect((await server.plx(repo, "status", "--exit-code")).exitCode).toBe(0);
  });

  const outside = join(tmpdir(), `plx-outside-${process.pid}.prompt.yaml`);
  it.each<[string, (path: string) => Promise<void>, RegExp]>([
    ["empty", (path) => writeFile(path, ""), /the file is empty/],
    ["binary", (path) => writeFile(path, Buffer.from([0x74, 0x79, 0x00, 0xff])), /binary/],
    [
      "huge",
      (path) => writeFile(path, `type: completion\ncontent: "${"x".repeat(34_000_000)}"\n`),
      /over the \d+-byte limit/,
    ],
    [
      "symlink",
      async (path) => {
        await writeFile(outside, "type: completion\ncontent: secret\n");
        await symlink(outside, path);
      },
      /symbolic link that leads outside/,
    ],
    [
      "latin1",
      (path) => writeFile(path, Buffer.from("type: completion\ncontent: caf\xe9\n", "latin1")),
      /not valid UTF-8/,
    ],
    ["tabs", (path) => writeFile(path, "type: chat\nmessages:\n\t- role: user\n"), /prompts\/bad\.prompt\.yaml:3:1/],
  ])("refuses a bad local file (%s) with its path and exit 2, writing nothing", async (_label, make, message) => {
    const { server, repo } = await teamWorkspace();
    await mkdir(join(repo, "prompts"));
    await make(join(repo, "prompts/bad.prompt.yaml"));
    const pulled = await server.plx(repo, "pull");
    expect(pulled.exitCode).toBe(2);
    expect(pulled.stderr).toMatch(message);
    expect(pulled.stderr).not.toMatch(/\n\s+at /);
    expect((await files(repo)).sort()).toEqual(["plx.config.yaml", "prompts/bad.prompt.yaml"]);
  });
});

describe("plx diff and status", () => {
  it("tells remote edits, local edits and conflicts apart, with a diff of each", async () => {
    const { server, repo } = await pulledTeam();
    await server.publish("refund-reply", chat(["system", "You handle refunds kindly."]), {
      tags: ["support", "billing"],
    });
    const tonePath = join(repo, "prompts/tone.prompt.yaml");
    await writeFile(tonePath, (await readFile(tonePath, "utf8")).replace("Be warm", "Be kind"));
    const resumePath = join(repo, "prompts/support/résumé-court.prompt.yaml");
    await writeFile(resumePath, (await readFile(resumePath, "utf8")).replace("une phrase", "trois mots"));
    await server.publish("résumé-court", completion("Résume : {texte}"));

    const diff = await server.plx(repo, "diff", "--exit-code");
    expect(diff.exitCode).toBe(1);
    expect(diff.stdout).toMatch(
      /Changed on both sides \(conflict\):\n {2}prompts\/support\/résumé-court\.prompt\.yaml/,
    );
    expect(diff.stdout).toMatch(
      /Changed in PromptLayer since the last sync:\n {2}prompts\/support\/billing\/refund-reply\.prompt\.yaml \(synced v1, remote v2\)/,
    );
    expect(diff.stdout).toMatch(/Changed locally:\n {2}prompts\/tone\.prompt\.yaml/);
    expect(diff.stdout).toContain("snippet used by: refund-reply");
    expect(diff.stdout).toContain("-content: Be warm, brief and precise. 🙂");
    expect(diff.stdout).toContain("+content: Be kind, brief and precise. 🙂");

    const json = JSON.parse((await server.plx(repo, "diff", "--json")).stdout);
    const states = Object.fromEntries(
      json.changes.map((change: { name: string; state: string }) => [change.name, change.state]),
    );
    expect(states).toEqual({ "refund-reply": "remote-changed", tone: "local-changed", "résumé-court": "conflict" });
    expect(json.exitCode).toBe(0);

    const names = await server.plx(repo, "diff", "--name-only");
    expect(names.stdout).not.toContain("@@");
    const status = await server.plx(repo, "status", "--exit-code");
    expect(status.exitCode).toBe(1);
    expect(status.stdout).toContain("Changed locally:");
    expect(status.stdout).not.toContain("refund-reply.prompt.yaml");
    const requestsBefore = (await server.requests()).length;
    await server.plx(repo, "status");
    expect((await server.requests()).length).toBe(requestsBefore);
  });

  it("shows a template created on one side only as new", async () => {
    const { server, repo } = await pulledTeam();
    await server.publish("fresh-remote", chat(["user", "new remotely"]));
    await writeFile(
      join(repo, "prompts/fresh-local.prompt.yaml"),
      "type: chat\nmessages:\n  - role: user\n    content: new here\n",
    );
    const json = JSON.parse((await server.plx(repo, "diff", "--json")).stdout);
    const states = Object.fromEntries(
      json.changes.map((change: { name: string; state: string }) => [change.name, change.state]),
    );
    expect(states).toEqual({ "fresh-remote": "remote-only", "fresh-local": "local-only" });
  });
});

describe("plx check", () => {
  it("reports every problem with file:line:col, and pull refuses to run over an invalid file", async () => {
    const server = await sandbox();
    const repo = await newRepo();
    const prompts = join(repo, "prompts");
    await mkdir(prompts);
    await writeFile(
      join(prompts, "broken.prompt.yaml"),
      "type: chat\nmessages:\n  - role: user\n    content: [unclosed\n",
    );
    await writeFile(
      join(prompts, "orphan.prompt.yaml"),
      "type: chat\nmessages:\n  - role: system\n    content: Hello\n  - role: user\n    content: 'Use @@@missing@@@ here'\n",
    );
    await writeFile(join(prompts, "notes.txt"), "not a prompt");

    const checked = await server.plx(repo, "check");
    expect(checked.exitCode).toBe(1);
    expect(checked.stdout).toMatch(/prompts\/broken\.prompt\.yaml:\d+:\d+: error/);
    expect(checked.stdout).toMatch(
      /prompts\/orphan\.prompt\.yaml:6:14: error snippet @@@missing@@@ matches no prompt file/,
    );
    expect(checked.stdout).toContain("2 file(s) checked: 2 error(s)");

    const only = await server.plx(repo, "check", "prompts/orphan.prompt.yaml", "prompts/notes.txt", "README.md");
    expect(only.stdout).toContain("1 file(s) checked: 1 error(s)");

    await seedTeamWorkspace(server);
    const pulled = await server.plx(repo, "pull");
    expect(pulled.exitCode).toBe(2);
    expect(pulled.stderr).toContain("prompts/broken.prompt.yaml:");
    expect(await files(repo)).not.toContain("plx.lock");
  });

  it("warns about undeclared and unused variables and format mismatches, without failing", async () => {
    const server = await sandbox();
    const repo = await newRepo();
    await mkdir(join(repo, "prompts"));
    await writeFile(
      join(repo, "prompts/vars.prompt.yaml"),
      "type: completion\ninput_variables: [name, unused]\ncontent: 'Hi {name}, your {order} and {{ jinja }}'\n",
    );
    const checked = await server.plx(repo, "check", "--json");
    expect(checked.exitCode).toBe(0);
    const codes = JSON.parse(checked.stdout)
      .findings.map((finding: { code: string }) => finding.code)
      .sort();
    expect(codes).toEqual(["format-mismatch", "variable-undeclared", "variable-unused"]);

    // Each warning points where it is: the unused entry in a message's list, the text that uses an undeclared one.
    await writeFile(
      join(repo, "prompts/vars.prompt.yaml"),
      "type: chat\nmessages:\n  - role: system\n    content: Be brief.\n  - role: user\n    input_variables: [question, stale]\n    content: 'Q: {question} for {customer}'\n",
    );
    const located = JSON.parse((await server.plx(repo, "check", "--json")).stdout).findings.map(
      (f: { code: string; line: number; col: number }) => [f.code, f.line, f.col],
    );
    expect(located).toEqual([
      ["variable-unused", 6, 33],
      ["variable-undeclared", 7, 33],
    ]);
  });
});
