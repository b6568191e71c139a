// Secrets never reach output: every command, succeeding and failing, with --debug and --json, in and out of CI,
// with a known API key and GitHub token in the environment; stdout, stderr and every file written are searched.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import fastGlob from "fast-glob";
import { describe, expect, it } from "vitest";
import { newRepo, plx as runPlx, sandboxPerTest } from "../support/in-process.js";
import { seedTeamWorkspace } from "../support/registry.js";

const KEY = "pl_secret_key_for_tests_0123456789abcdef";
const GITHUB_TOKEN = `ghp_${"Z9y8X7w6V5u4T3s2R1q0".repeat(2).slice(0, 36)}`;

const sandboxes = sandboxPerTest();

async function postWith(url: string, path: string, body: unknown) {
  const response = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "X-API-KEY": KEY, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return response.json();
}

const transcript: string[] = [];
async function plx(repo: string, url: string, args: string[], extra: Record<string, string> = {}) {
  const env = { PROMPTLAYER_BASE_URL: url, PROMPTLAYER_API_KEY: KEY, GITHUB_TOKEN, ...extra };
  const result = await runPlx(args, { cwd: repo, env });
  transcript.push(`${result.stdout}\n${result.stderr}`);
  return result;
}

async function everyFileUnder(dir: string): Promise<string> {
  const paths = await fastGlob("**/*", { cwd: dir, dot: true, onlyFiles: true });
  return (await Promise.all(paths.map((path) => readFile(join(dir, path), "utf8")))).join("\n");
}

describe("secrets", () => {
  it("never appear in output, errors, debug logs, JSON reports, CI files or anything plx writes", async () => {
    const sandbox = await sandboxes();
    const locked = await sandboxes({ apiKey: "a-different-key-entirely" });
    await seedTeamWorkspace(sandbox);
    const repo = await newRepo();
    const ci = {
      CI: "true",
      GITHUB_ACTIONS: "true",
      GITHUB_STEP_SUMMARY: join(repo, "summary.md"),
      GITHUB_OUTPUT: join(repo, "output.txt"),
      GITHUB_REPOSITORY: "acme/prompts",
    };
    await writeFile(ci.GITHUB_STEP_SUMMARY, "");
    await writeFile(ci.GITHUB_OUTPUT, "");

    expect((await plx(repo, sandbox.url, ["pull", "--debug"])).exitCode).toBe(0);
    await plx(repo, sandbox.url, ["status", "--json"]);
    const tone = join(repo, "prompts/tone.prompt.yaml");
    await writeFile(tone, (await readFile(tone, "utf8")).replace("Be warm", "Be warm, never curt"));
    await plx(repo, sandbox.url, ["diff", "--debug"], ci);
    await plx(repo, sandbox.url, ["diff", "--comment", "--json"], ci);
    expect((await plx(repo, sandbox.url, ["publish", "--label", "prod", "--yes", "--debug"], ci)).exitCode).toBe(0);
    await plx(repo, sandbox.url, ["label", "ls", "--json"]);
    await writeFile(
      join(repo, "results.ndjson"),
      `{"prompt":"tone","output":"the key is ${KEY}, the token ${GITHUB_TOKEN}","passed":true}\n`,
    );
    expect(
      (await plx(repo, sandbox.url, ["eval-report", "results.ndjson", "--junit", "junit.xml", "--debug"], ci)).exitCode,
    ).toBe(0);
    await plx(repo, sandbox.url, ["check", "--codequality", "cq.json"]);
    await plx(repo, sandbox.url, ["init", "--yes", "--ci", "github", "--hooks", "--force"]);

    // Failures: a rejected key, an unreachable server, an invalid file, a conflict, a bad flag.
    expect((await plx(repo, locked.url, ["pull", "--debug", "--json"])).exitCode).toBe(4);
    expect((await plx(repo, "http://127.0.0.1:9", ["diff", "--debug", "--retries", "0"])).exitCode).toBe(3);
    expect((await plx(repo, `http://user:${KEY}@127.0.0.1:9`, ["diff", "--retries", "0"])).exitCode).toBe(3);
    await mkdir(join(repo, "prompts/bad"), { recursive: true });
    await writeFile(join(repo, "prompts/bad/x.prompt.yaml"), `type: chat\nmessages: [${KEY}\n`);
    expect((await plx(repo, sandbox.url, ["push", "--debug", "--json"])).exitCode).toBe(2);
    await writeFile(join(repo, "prompts/bad/x.prompt.yaml"), "type: completion\ncontent: fine\n");
    // A move in CI needs --yes; a label name holding the key is refused before anything is sent, the key redacted.
    expect((await plx(repo, sandbox.url, ["publish", "--label", "prod", "--all"], ci)).exitCode).toBe(2);
    expect((await plx(repo, sandbox.url, ["publish", "--label", `prod ${KEY}`], ci)).exitCode).toBe(2);
    await postWith(sandbox.url, "/rest/prompt-templates", {
      prompt_template: { prompt_name: "tone" },
      prompt_version: { prompt_template: { type: "completion", content: [{ type: "text", text: "ui edit" }] } },
    });
    await writeFile(tone, (await readFile(tone, "utf8")).replace("Be warm", "Be warmer"));
    expect((await plx(repo, sandbox.url, ["push", "--debug"], ci)).exitCode).toBe(5);
    expect((await plx(repo, sandbox.url, ["publish", "--label", "prod", "--yes"], ci)).exitCode).toBe(5);

    // The results file is the user's own input; everything else under the repository was written by plx.
    await rm(join(repo, "results.ndjson"));
    const everything = [
      transcript.join("\n"),
      await everyFileUnder(repo),
      JSON.stringify(await sandbox.requests()),
      JSON.stringify(await locked.requests()),
    ].join("\n");
    expect(transcript.length).toBeGreaterThanOrEqual(15);
    // --debug logs every request (the lines searched below), and a run without it logs none.
    expect(transcript[0]).toMatch(
      /debug: GET http:\/\/127\.0\.0\.1:\d+\/api\/public\/v2\/folders\/entities\S* 200 \d+ms/,
    );
    expect(transcript[1]).not.toContain("debug:");
    expect(everything).toContain("never");
    const sources: Array<[string, string]> = [
      ["transcript", transcript.join("\n")],
      ["files", await everyFileUnder(repo)],
      ["sandbox", JSON.stringify(await sandbox.requests())],
      ["locked", JSON.stringify(await locked.requests())],
    ];
    for (const [where, text] of sources) {
      const at = text.indexOf(KEY);
      expect(at, `the API key leaked in ${where}: …${text.slice(Math.max(0, at - 300), at + 60)}…`).toBe(-1);
    }
    expect(everything.includes(KEY), "the API key leaked").toBe(false);
    expect(everything.includes(GITHUB_TOKEN), "the GitHub token leaked").toBe(false);
  });
});
