// plx inside CI jobs: annotations, step summary, outputs, sticky comments, code quality, never prompting.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeForge } from "../support/fake-forge.js";
import { runPlx, startSandboxProcess, type SandboxProcess } from "../support/cli.js";
import { API_KEY, emptyRepo, plxEnv, registry, seedTeamWorkspace } from "../support/registry.js";

let sandbox: SandboxProcess;
beforeAll(async () => {
  sandbox = await startSandboxProcess();
  await seedTeamWorkspace(registry(sandbox.url));
});
afterAll(async () => {
  await sandbox.stop();
});

const GITHUB_TOKEN = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";

async function githubJob(repo: string, extra: Record<string, string> = {}) {
  const summary = join(repo, "summary.md");
  const output = join(repo, "output.txt");
  const event = join(repo, "event.json");
  await writeFile(summary, "");
  await writeFile(output, "");
  await writeFile(event, JSON.stringify({ pull_request: { number: 7 } }));
  const env = plxEnv(sandbox.url, {
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_OUTPUT: output,
    GITHUB_EVENT_PATH: event,
    GITHUB_EVENT_NAME: "pull_request",
    GITHUB_REPOSITORY: "acme/prompts",
    GITHUB_WORKSPACE: repo,
    GITHUB_TOKEN,
    ...extra,
  });
  return { env, summary, output };
}

describe("in GitHub Actions", () => {
  it("annotates check findings at their file and line, and never prompts", async () => {
    const repo = await emptyRepo();
    await mkdir(join(repo, "prompts"));
    await writeFile(join(repo, "prompts/orphan.prompt.yaml"), "type: completion\ncontent: 'Uses @@@missing@@@'\n");
    const { env } = await githubJob(repo);
    const checked = await runPlx(["check"], { cwd: repo, env });
    expect(checked.exitCode).toBe(1);
    expect(checked.stderr).toMatch(
      /::error file=prompts\/orphan\.prompt\.yaml,line=2,col=\d+,title=[^:]*::snippet @@@missing@@@ matches no prompt file/,
    );

    const publish = await runPlx(["publish", "--label", "prod"], { cwd: repo, env });
    expect(publish.exitCode).toBe(2);
    expect(publish.stderr).toContain("--yes");
  });

  it("annotates invalid files that stop a push, and templates refused as conflicts", async () => {
    // Its own registry: the UI edit below must not leak into the other tests' workspace.
    const own = await startSandboxProcess();
    await seedTeamWorkspace(registry(own.url));
    const repo = await emptyRepo();
    const { env: shared } = await githubJob(repo);
    const env = { ...shared, PROMPTLAYER_BASE_URL: own.url };
    expect((await runPlx(["pull"], { cwd: repo, env })).exitCode).toBe(0);
    await writeFile(join(repo, "prompts/broken.prompt.yaml"), "type: chat\nmessages: nope\n");
    const invalid = await runPlx(["push"], { cwd: repo, env });
    expect(invalid.exitCode).toBe(2);
    expect(invalid.stderr).toMatch(
      /::error file=prompts\/broken\.prompt\.yaml,line=2,col=\d+[^:]*::a chat template needs a list of messages/,
    );

    await writeFile(join(repo, "prompts/broken.prompt.yaml"), "type: completion\ncontent: fixed\n");
    await registry(own.url).publish("tone", {
      type: "completion",
      content: [{ type: "text", text: "Edited in the UI" }],
    });
    const tone = join(repo, "prompts/tone.prompt.yaml");
    await writeFile(tone, (await readFile(tone, "utf8")).replace("Be warm", "Be kind"));
    const conflict = await runPlx(["push"], { cwd: repo, env });
    expect(conflict.exitCode).toBe(5);
    expect(conflict.stderr).toMatch(/::error file=prompts\/tone\.prompt\.yaml,line=1[^:]*::tone: PromptLayer has v2/);
    await own.stop();
  });

  it("writes the diff to the step summary and outputs, and keeps one sticky pull-request comment", async () => {
    const repo = await emptyRepo();
    const forge = await fakeForge("github", { token: GITHUB_TOKEN, owner: "acme", repo: "prompts", number: 7 });
    try {
      const { env, summary, output } = await githubJob(repo, { GITHUB_API_URL: `${forge.url}/api/v3` });
      expect((await runPlx(["pull"], { cwd: repo, env })).exitCode).toBe(0);
      const tone = join(repo, "prompts/tone.prompt.yaml");
      await writeFile(tone, (await readFile(tone, "utf8")).replace("Be warm", "Be kind"));

      const first = await runPlx(["diff", "--comment"], { cwd: repo, env });
      expect(first.exitCode).toBe(0);
      expect(await readFile(summary, "utf8")).toContain("| `prompts/tone.prompt.yaml` | changed locally");
      expect(await readFile(output, "utf8")).toMatch(/changed<<ghadelimiter_[\w-]+\ntrue\n|changed=true/);
      await writeFile(tone, (await readFile(tone, "utf8")).replace("Be kind", "Be kinder"));
      expect((await runPlx(["diff", "--comment"], { cwd: repo, env })).exitCode).toBe(0);

      expect(forge.comments).toHaveLength(1);
      expect(forge.comments[0]!.body).toContain("<!-- plx:diff -->");
      expect(forge.comments[0]!.body).toContain("+content: Be kinder");
      expect(forge.requests.map((r) => r.method)).toContain("PATCH");
      const everything =
        first.stdout + first.stderr + (await readFile(summary, "utf8")) + forge.requests.map((r) => r.body).join("");
      expect(everything).not.toContain(API_KEY);
      expect(everything).not.toContain(GITHUB_TOKEN);

      // A fork's pull request gets a read-only token: plx warns and falls back to the summary instead of failing.
      forge.failWith = { status: 403, body: { message: "Resource not accessible by integration" } };
      const fork = await runPlx(["diff", "--comment"], { cwd: repo, env });
      expect(fork.exitCode).toBe(0);
      expect(fork.stderr).toMatch(/::warning[^\n]*comment/i);
    } finally {
      await forge.close();
    }
  });
});

describe("long output in CI logs", () => {
  it("folds into a group on GitHub and a collapsed section on GitLab, keeping the summary line visible", async () => {
    const repo = await emptyRepo();
    const reg = registry(sandbox.url);
    for (let i = 0; i < 20; i++)
      await reg.publish(`fold-${i}`, { type: "completion", content: [{ type: "text", text: `t${i}` }] });
    const github = await runPlx(["pull"], {
      cwd: repo,
      env: plxEnv(sandbox.url, { CI: "true", GITHUB_ACTIONS: "true" }),
    });
    expect(github.stdout).toMatch(/^::group::plx pull: details\n[\s\S]*\n::endgroup::\n\d+ created, /);
    const gitlabRepo = await emptyRepo();
    const gitlab = await runPlx(["pull"], {
      cwd: gitlabRepo,
      env: plxEnv(sandbox.url, { CI: "true", GITLAB_CI: "true" }),
    });
    expect(gitlab.stdout).toMatch(/section_start:\d+:plx_pull\[collapsed=true\]/);
    expect(gitlab.stdout).toMatch(/section_end:\d+:plx_pull/);
  });
});

describe("in GitLab CI", () => {
  it("writes a code quality report for check findings", async () => {
    const repo = await emptyRepo();
    await mkdir(join(repo, "prompts"));
    await writeFile(join(repo, "prompts/orphan.prompt.yaml"), "type: completion\ncontent: 'Uses @@@missing@@@'\n");
    const env = plxEnv(sandbox.url, { CI: "true", GITLAB_CI: "true", CI_PROJECT_DIR: repo });
    const checked = await runPlx(["check", "--codequality", "gl-code-quality.json"], { cwd: repo, env });
    expect(checked.exitCode).toBe(1);
    const report = JSON.parse(await readFile(join(repo, "gl-code-quality.json"), "utf8"));
    expect(report).toEqual([
      expect.objectContaining({
        check_name: "snippet-missing",
        severity: "major",
        location: { path: "prompts/orphan.prompt.yaml", lines: { begin: 2 } },
        fingerprint: expect.any(String),
      }),
    ]);
  });
});
