// eval-report in-process: import each format, upload to the sandbox's Tables, read back, gate, retry without duplicates.
import { copyFile, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { newRepo, plx as runPlx, sandboxPerTest, type TestSandbox } from "../support/in-process.js";
import { API_KEY, seedTeamWorkspace } from "../support/registry.js";
import { completion } from "../support/templates.js";

const FIXTURES = fileURLToPath(new URL("../../fixtures/evals/", import.meta.url));
const sandboxes = sandboxPerTest();
let sandbox: TestSandbox;

/** The team workspace in a fresh sandbox, pulled into a repository that holds the named result fixtures. */
async function repoWith(...fixtures: string[]) {
  sandbox = await sandboxes();
  await seedTeamWorkspace(sandbox);
  // Two fixtures report on this prompt: results for a prompt plx does not know are not uploaded.
  await sandbox.publish("summarise-ticket", completion("Summarise: {ticket}"));
  const repo = await newRepo();
  expect((await sandbox.plx(repo, "pull")).exitCode).toBe(0);
  for (const name of fixtures) await copyFile(join(FIXTURES, name), join(repo, name));
  return repo;
}
const plx = (repo: string, ...args: string[]) =>
  runPlx(args, { cwd: repo, env: { ...sandbox.env, GITHUB_RUN_ID: "873" } });
const tables = async () => ((await sandbox.state()).tables?.tables ?? []) as any[];

describe("plx eval-report", () => {
  it("uploads nothing for a version PromptLayer does not have, and says so", async () => {
    const repo = await repoWith();
    await writeFile(
      join(repo, "results.ndjson"),
      '{"prompt":"refund-reply@99","output":"x","passed":true}\n{"prompt":"refund-reply@1","output":"y","passed":true}\n',
    );
    const result = await plx(repo, "eval-report", "results.ndjson", "--json");
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.missingVersions).toEqual(["refund-reply@99"]);
    expect(report.uploads.map((upload: any) => upload.version)).toEqual([1]);
    expect(result.stderr).toContain("the results name refund-reply@99, which PromptLayer does not have");
    expect((await tables())[0].sheets.map((sheet: any) => sheet.title)).toEqual(["refund-reply v1 · run 873"]);

    // A prompt plx does not know has no versions to look up: with --table its cases go there as they are.
    await writeFile(join(repo, "other.ndjson"), '{"prompt":"ghost@2","output":"x","passed":true}\n');
    const tabled = await plx(repo, "eval-report", "other.ndjson", "--table", "shared", "--json");
    expect(tabled.exitCode, tabled.stderr).toBe(0);
    expect(JSON.parse(tabled.stdout)).toMatchObject({ missingVersions: [], unknownPrompts: ["ghost"] });
    expect(JSON.parse(tabled.stdout).uploads.map((upload: any) => upload.version)).toEqual([2]);
  });

  it.each([
    ["promptfoo-v3.json", "refund-reply", 3],
    ["promptfoo.jsonl", "summarise-ticket", 2],
    ["pytest-junit.xml", "refund-reply", 3],
    ["deepeval-junit.xml", "summarise-ticket", 2],
    ["plx.ndjson", "refund-reply", 3],
  ])("uploads %s as a sheet with a scorecard, tied to the prompt version", async (fixture, prompt, rows) => {
    const repo = await repoWith(fixture);
    const result = await plx(repo, "eval-report", fixture, "--json");
    const report = JSON.parse(result.stdout);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(report.uploads).toHaveLength(1);
    expect(report.uploads[0]).toMatchObject({
      prompt,
      version: 1,
      rows,
      tableTitle: `plx: ${prompt}`,
      verdict: expect.stringMatching(/pass|warn|fail/),
    });
    expect(report.uploads[0].sheetTitle).toMatch(new RegExp(`^${prompt} v1 · run 873$`));
    expect(report.uploads[0].url).toMatch(/\/workspace\/1\/smart-tables\/[0-9a-f-]{36}$/);
    const [table] = await tables();
    expect(table.title).toBe(`plx: ${prompt}`);
    expect(table.sheets).toHaveLength(1);
    const titles = table.sheets[0].columns.map((c: any) => c.title);
    expect(titles.slice(0, 4)).toEqual(["case_id", "input", "expected", "output"]);
    expect(titles.slice(-4)).toEqual(["passed", "prompt_name", "prompt_version", "git_sha"]);
    expect(table.sheets[0].rows).toHaveLength(rows);
    expect(table.sheets[0].scorecard.steps.at(-1).title).toBe("pass rate");
    expect(report.uploads[0].score).toBeGreaterThan(0);
  });

  it("does not add a second sheet when the same CI run reports again", async () => {
    const repo = await repoWith("plx.ndjson");
    expect((await plx(repo, "eval-report", "plx.ndjson")).exitCode).toBe(0);
    expect((await plx(repo, "eval-report", "plx.ndjson")).exitCode).toBe(0);
    const [table] = await tables();
    expect(table.sheets).toHaveLength(1);
    expect((await tables()).length).toBe(1);
    const scores = (await sandbox.state()).tables.scores;
    expect(scores.map((s: any) => s.request_id).sort()).toEqual([4711, 4711, 4712, 4712]);
  });

  it("keeps one sheet per job of a run: a second job or a second report adds its own, a retried job does not", async () => {
    const repo = await repoWith("plx.ndjson", "pytest-junit.xml");
    const inJob = (job: string, ...args: string[]) =>
      runPlx(args, { cwd: repo, env: { ...sandbox.env, GITHUB_RUN_ID: "873", GITHUB_JOB: job } });
    expect((await inJob("evals-gpt", "eval-report", "plx.ndjson")).exitCode).toBe(0);
    expect((await inJob("evals-claude", "eval-report", "plx.ndjson")).exitCode).toBe(0);
    expect((await inJob("evals-claude", "eval-report", "plx.ndjson")).exitCode).toBe(0);
    expect((await inJob("evals-claude", "eval-report", "pytest-junit.xml")).exitCode).toBe(0);
    const [table] = await tables();
    expect(table.sheets).toHaveLength(3);
  });

  it("passes and fails the gate, saying which threshold missed by how much", async () => {
    const repo = await repoWith("plx.ndjson");
    const passed = await plx(repo, "eval-report", "plx.ndjson", "--no-upload", "--fail-under", "score=0.7");
    expect(passed.exitCode).toBe(0);
    expect(passed.stdout).toContain("Gate passed (3 case(s)).");
    const failed = await plx(
      repo,
      "eval-report",
      "plx.ndjson",
      "--no-upload",
      "--fail-under",
      "pass_rate=95%",
      "--fail-under",
      "tone=0.95",
    );
    expect(failed.exitCode).toBe(1);
    expect(failed.stdout).toContain("refund-reply@1: pass_rate 0.667 is 0.283 under 0.95");
    expect(failed.stdout).toContain("refund-reply@1: tone 0.9 is 0.05 under 0.95");
    expect((await sandbox.requests()).some((r) => r.path.startsWith("/api/public/v2/tables"))).toBe(false);
  });

  it("writes JUnit, redacts secrets in outputs, and reports prompts it does not know", async () => {
    const repo = await repoWith();
    await writeFile(
      join(repo, "mixed.ndjson"),
      // The unknown prompt's cases are not uploaded: the key travels in a known prompt's case.
      `{"prompt":"ghost-prompt","output":"fine","passed":true}\n{"prompt":"tone","id":"case[${API_KEY}]","output":"leaked ${API_KEY} here","scores":{"q":1}}\n`,
    );
    const result = await plx(repo, "eval-report", "mixed.ndjson", "--junit", "plx-junit.xml");
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain(
      'the results name "ghost-prompt", which matches no prompt file and no template in plx.lock; their cases are not uploaded',
    );
    const junit = await readFile(join(repo, "plx-junit.xml"), "utf8");
    expect(XMLValidator.validate(junit)).toBe(true);
    expect(junit).toContain('testsuite name="tone@1"');
    const state = JSON.stringify(await sandbox.state());
    expect(state).toContain("leaked");
    expect(state).toContain("case[***]");
    expect(state).not.toContain(API_KEY);
    expect(junit).not.toContain(API_KEY);
  });

  it("refuses unreadable input with the file and position, uploading nothing", async () => {
    const repo = await repoWith();
    await writeFile(join(repo, "bad.ndjson"), '{"output":"ok"}\n{"output":"x","scores":{"tone":"high"}}\n');
    const result = await plx(repo, "eval-report", "bad.ndjson");
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('bad.ndjson:2: scores.tone is "high", not a number');
    expect(await tables()).toEqual([]);
    expect((await plx(repo, "eval-report", "missing.json")).exitCode).toBe(2);
  });
});
