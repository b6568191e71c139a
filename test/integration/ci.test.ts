// plx inside CI jobs: annotations, step summary, outputs, sticky comments, code quality, never prompting.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fakeForge } from "../support/fake-forge.js";
import { newRepo, plx, sandboxPerTest, type TestSandbox } from "../support/in-process.js";
import { API_KEY, seedTeamWorkspace } from "../support/registry.js";
import { completion } from "../support/templates.js";

const sandbox = sandboxPerTest();

async function teamSandbox(): Promise<TestSandbox> {
  const server = await sandbox();
  await seedTeamWorkspace(server);
  return server;
}

const GITHUB_TOKEN = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";

async function githubJob(server: TestSandbox, repo: string, extra: Record<string, string> = {}) {
  const summary = join(repo, "summary.md");
  const output = join(repo, "output.txt");
  const event = join(repo, "event.json");
  await writeFile(summary, "");
  await writeFile(output, "");
  await writeFile(event, JSON.stringify({ pull_request: { number: 7 } }));
  const env = {
    ...server.env,
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
  };
  return { env, summary, output };
}

describe("in GitHub Actions", () => {
  it("annotates check findings at their file and line, and never prompts", async () => {
    const server = await teamSandbox();
    const repo = await newRepo();
    await mkdir(join(repo, "prompts"));
    await writeFile(join(repo, "prompts/orphan.prompt.yaml"), "type: completion\ncontent: 'Uses @@@missing@@@'\n");
    const { env } = await githubJob(server, repo);
    const checked = await plx(["check"], { cwd: repo, env });
    expect(checked.exitCode).toBe(1);
    expect(checked.stderr).toMatch(
      /::error file=prompts\/orphan\.prompt\.yaml,line=2,col=\d+,title=[^:]*::snippet @@@missing@@@ matches no prompt file/,
    );

    // A check error that PromptLayer would refuse stops a deploy before anything is asked or sent.
    await writeFile(
      join(repo, "prompts/orphan.prompt.yaml"),
      "type: chat\nmessages:\n  - role: sytem\n    content: Hi\n",
    );
    const refused = await plx(["publish", "--label", "prod"], { cwd: repo, env });
    expect(refused.exitCode).toBe(2);
    expect(refused.stdout).toContain("invalid prompts/orphan.prompt.yaml");

    // A label the run would add needs --yes: a job never waits for an answer.
    await writeFile(join(repo, "prompts/orphan.prompt.yaml"), "type: completion\ncontent: Fine\n");
    const publish = await plx(["publish", "--label", "prod"], { cwd: repo, env });
    expect(publish.exitCode).toBe(2);
    expect(publish.stderr).toContain("--yes");
  });

  it("annotates invalid files that stop a push, and templates refused as conflicts", async () => {
    const server = await teamSandbox();
    const repo = await newRepo();
    const { env } = await githubJob(server, repo);
    expect((await plx(["pull"], { cwd: repo, env })).exitCode).toBe(0);
    await writeFile(join(repo, "prompts/broken.prompt.yaml"), "type: chat\nmessages: nope\n");
    const invalid = await plx(["push"], { cwd: repo, env });
    expect(invalid.exitCode).toBe(2);
    expect(invalid.stderr).toMatch(
      /::error file=prompts\/broken\.prompt\.yaml,line=2,col=\d+[^:]*::a chat template needs a list of messages/,
    );

    await writeFile(join(repo, "prompts/broken.prompt.yaml"), "type: completion\ncontent: fixed\n");
    await server.publish("tone", completion("Edited in the UI", null));
    const tone = join(repo, "prompts/tone.prompt.yaml");
    await writeFile(tone, (await readFile(tone, "utf8")).replace("Be warm", "Be kind"));
    const conflict = await plx(["push"], { cwd: repo, env });
    expect(conflict.exitCode).toBe(5);
    expect(conflict.stderr).toMatch(/::error file=prompts\/tone\.prompt\.yaml,line=1[^:]*::tone: PromptLayer has v2/);
  });

  it("writes the diff to the step summary and outputs, and keeps one sticky pull-request comment", async () => {
    const server = await teamSandbox();
    const repo = await newRepo();
    const forge = await fakeForge("github", { token: GITHUB_TOKEN, owner: "acme", repo: "prompts", number: 7 });
    try {
      const { env, summary, output } = await githubJob(server, repo, { GITHUB_API_URL: `${forge.url}/api/v3` });
      expect((await plx(["pull"], { cwd: repo, env })).exitCode).toBe(0);
      const tone = join(repo, "prompts/tone.prompt.yaml");
      await writeFile(tone, (await readFile(tone, "utf8")).replace("Be warm", "Be kind"));

      const first = await plx(["diff", "--comment"], { cwd: repo, env });
      expect(first.exitCode).toBe(0);
      expect(await readFile(summary, "utf8")).toContain("| `prompts/tone.prompt.yaml` | changed locally");
      expect(await readFile(output, "utf8")).toMatch(/changed<<ghadelimiter_[\w-]+\ntrue\n|changed=true/);
      await writeFile(tone, (await readFile(tone, "utf8")).replace("Be kind", "Be kinder"));
      expect((await plx(["diff", "--comment"], { cwd: repo, env })).exitCode).toBe(0);

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
      const fork = await plx(["diff", "--comment"], { cwd: repo, env });
      expect(fork.exitCode).toBe(0);
      expect(fork.stderr).toMatch(/::warning[^\n]*comment/i);
    } finally {
      await forge.close();
    }
  });
});

describe("long output in CI logs", () => {
  it("folds into a group on GitHub and a collapsed section on GitLab, keeping the summary line visible", async () => {
    const server = await teamSandbox();
    const repo = await newRepo();
    for (let i = 0; i < 20; i++) await server.publish(`fold-${i}`, completion(`t${i}`, null));
    const github = await plx(["pull"], {
      cwd: repo,
      env: { ...server.env, CI: "true", GITHUB_ACTIONS: "true" },
    });
    expect(github.stdout).toMatch(/^::group::plx pull: details\n[\s\S]*\n::endgroup::\n\d+ created, /);
    const gitlabRepo = await newRepo();
    const gitlab = await plx(["pull"], {
      cwd: gitlabRepo,
      env: { ...server.env, CI: "true", GITLAB_CI: "true" },
    });
    expect(gitlab.stdout).toMatch(/section_start:\d+:plx_pull\[collapsed=true\]/);
    expect(gitlab.stdout).toMatch(/section_end:\d+:plx_pull/);
  });
});

describe("in GitLab CI", () => {
  it("writes a code quality report for check findings", async () => {
    const server = await sandbox();
    const repo = await newRepo();
    await mkdir(join(repo, "prompts"));
    await writeFile(join(repo, "prompts/orphan.prompt.yaml"), "type: completion\ncontent: 'Uses @@@missing@@@'\n");
    const env = { ...server.env, CI: "true", GITLAB_CI: "true", CI_PROJECT_DIR: repo };
    const checked = await plx(["check", "--codequality", "gl-code-quality.json"], { cwd: repo, env });
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
