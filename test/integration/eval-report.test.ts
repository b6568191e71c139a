// eval-report's outputs say what the gate measured, and prompts plx does not know get no PromptLayer table.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { completion } from "../support/registry.js";
import { newRepo, plx, sandboxPerTest } from "../support/in-process.js";

const sandbox = sandboxPerTest();

const line = (prompt: string, id: string, score: number, passed = true) =>
  JSON.stringify({ id, prompt, input: "in", output: "out", scores: { quality: score }, passed });

describe("eval-report", () => {
  it("sets the score output to what the gate measured, uploaded or not, and skips unknown prompts' tables", async () => {
    const server = await sandbox();
    await server.publish("summary", completion("Summarise."));
    await server.publish("reply", completion("Reply."));
    const repo = await newRepo();
    expect((await server.plx(repo, "pull")).exitCode).toBe(0);
    await writeFile(
      join(repo, "results.ndjson"),
      [line("summary", "a", 0.9), line("summary", "b", 0.7), line("reply", "c", 0.6), line("typo-prompt", "d", 1)].join(
        "\n",
      ),
    );
    const outputs = join(repo, "outputs.txt");
    const env = { ...server.env, CI: "true", GITHUB_ACTIONS: "true", GITHUB_OUTPUT: outputs, GITHUB_RUN_ID: "7" };

    const local = await plx(["eval-report", "results.ndjson", "--no-upload", "--fail-under", "score=0.7"], {
      cwd: repo,
      env,
    });
    expect(local.exitCode).toBe(1);
    expect(local.stdout).toContain("reply@1: score 0.6 is 0.1 under 0.7");
    expect(await readFile(outputs, "utf8")).toMatch(/^score=0\.600$/m);
    expect(local.stderr.match(/typo-prompt/g)).toHaveLength(1);

    await writeFile(outputs, "");
    const uploaded = await plx(["eval-report", "results.ndjson", "--json"], { cwd: repo, env });
    expect(uploaded.exitCode, uploaded.stderr).toBe(0);
    expect(JSON.parse(uploaded.stdout)).toMatchObject({ score: 0.6, unknownPrompts: ["typo-prompt"] });
    expect(await readFile(outputs, "utf8")).toMatch(/^score=0\.600$/m);
    const titles = ((await server.state()).tables?.tables ?? []).map((table: { title: string }) => table.title).sort();
    expect(titles).toEqual(["plx: reply", "plx: summary"]);
  });
});
