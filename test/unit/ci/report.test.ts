import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GITLAB_TOKEN_MISSING_WARNING } from "../../../src/ci/comments.js";
import type { CiFinding } from "../../../src/ci/findings.js";
import { createCiReporter } from "../../../src/ci/report.js";
import { Redactor } from "../../../src/redact.js";
import { fakeForge } from "../../support/fake-forge.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "plx-rep-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function sink() {
  const lines: string[] = [];
  return { lines, stream: { write: (chunk: string) => lines.push(...chunk.replace(/\n$/, "").split("\n")) } };
}

const finding = (i: number, severity: CiFinding["severity"] = "error"): CiFinding => ({
  path: `prompts/p${i}.prompt.yaml`,
  line: i + 1,
  col: 2,
  severity,
  code: "plx/check",
  message: `problem ${i}`,
});

describe("GitHub reporter", () => {
  const setup = (extra: Record<string, string> = {}) => {
    const out = sink();
    const warnings: string[] = [];
    const env = {
      GITHUB_ACTIONS: "true",
      GITHUB_STEP_SUMMARY: join(dir, "summary.md"),
      GITHUB_OUTPUT: join(dir, "output"),
      GITHUB_WORKSPACE: "/repo",
      ...extra,
    };
    const redactor = new Redactor();
    redactor.add("pl_supersecretvalue123");
    const reporter = createCiReporter({
      provider: "github",
      env,
      stream: out.stream,
      warn: (m) => warnings.push(m),
      redactor,
      cwd: "/repo/sub",
    });
    return { reporter, out, warnings };
  };

  it("annotates up to the caps and lists the rest in the summary", async () => {
    const { reporter, out } = setup();
    const findings = [...Array.from({ length: 12 }, (_, i) => finding(i)), finding(20, "warning")];
    const result = await reporter.annotate(findings);
    expect(result.emitted).toBe(11);
    expect(result.overflow.map((f) => f.message)).toEqual(["problem 10", "problem 11"]);
    expect(out.lines[0]).toBe("::error file=sub/prompts/p0.prompt.yaml,line=1,col=2,title=plx plx/check::problem 0");
    expect(out.lines.filter((l) => l.startsWith("::error"))).toHaveLength(10);
    const summary = await readFile(join(dir, "summary.md"), "utf8");
    expect(summary).toContain("2 more findings");
    expect(summary).toContain("problem 11");
    expect(summary).not.toContain("problem 9 ");
  });

  it("makes paths repo-relative and redacts messages", async () => {
    const { reporter, out } = setup();
    await reporter.annotate([
      {
        path: "/repo/prompts/a.prompt.yaml",
        severity: "warning",
        code: "x",
        message: "key pl_supersecretvalue123 leaked",
      },
    ]);
    await reporter.annotate([{ path: "/elsewhere/a.yaml", severity: "notice", code: "x", message: "m" }]);
    expect(out.lines).toEqual([
      "::warning file=prompts/a.prompt.yaml,title=plx x::key *** leaked",
      "::notice file=/elsewhere/a.yaml,title=plx x::m",
    ]);
  });

  it("writes summary and outputs", async () => {
    const { reporter } = setup();
    expect(await reporter.summary("## plx diff")).toBe(true);
    expect(await reporter.outputs({ changed: true, score: 0.5 })).toBe(true);
    expect(await readFile(join(dir, "summary.md"), "utf8")).toBe("## plx diff\n");
    expect(await readFile(join(dir, "output"), "utf8")).toBe("changed=true\nscore=0.5\n");
  });

  it("groups sections, closes them on error and does not nest", async () => {
    const { reporter, out } = setup();
    const value = await reporter.section("push", async () => reporter.section("inner", () => 7));
    expect(value).toBe(7);
    await expect(reporter.section("boom", () => Promise.reject(new Error("x")))).rejects.toThrow("x");
    expect(out.lines).toEqual(["::group::push", "::endgroup::", "::group::boom", "::endgroup::"]);
  });

  it("fences untrusted text only when it could hold a command", () => {
    const { reporter } = setup();
    expect(reporter.untrusted("plain text")).toBe("plain text");
    const fenced = reporter.untrusted("::add-mask::x\n::error::y");
    const match = /^::stop-commands::([0-9a-f]{32})\n::add-mask::x\n::error::y\n::\1::\n$/.exec(fenced);
    expect(match).not.toBeNull();
    const gitlab = createCiReporter({ provider: "gitlab", env: {}, stream: sink().stream });
    expect(gitlab.untrusted("::error::y")).toBe("::error::y");
  });

  it("masks values", () => {
    const { reporter, out } = setup();
    reporter.mask("pl_abc");
    reporter.mask(undefined);
    reporter.mask("  ");
    expect(out.lines).toEqual(["::add-mask::pl_abc"]);
  });

  it("falls back to the summary with a warning when the comment is refused", async () => {
    const forge = await fakeForge("github", { token: "ghs_tokentokentoken", owner: "o", repo: "r", number: 4 });
    try {
      forge.failWith = { status: 403, body: { message: "Resource not accessible by integration" } };
      const { reporter, out, warnings } = setup({
        GITHUB_API_URL: `${forge.url}/api/v3`,
        GITHUB_REPOSITORY: "o/r",
        GITHUB_REF: "refs/pull/4/merge",
        GITHUB_TOKEN: "ghs_tokentokentoken",
      });
      const result = await reporter.comment("diff", "### drift pl_supersecretvalue123");
      expect(result.status).toBe("fallback");
      // The command wrote the same report to the summary already: the fallback does not repeat it.
      await reporter.summary("### drift pl_supersecretvalue123");
      await reporter.comment("diff", "### drift pl_supersecretvalue123");
      expect(warnings).toEqual([]);
      const annotations = out.lines.filter((l) => l.startsWith("::warning"));
      expect(annotations).toHaveLength(2);
      expect(annotations[0]).toContain("job summary instead");
      expect(await readFile(join(dir, "summary.md"), "utf8")).toBe("### drift ***\n");
    } finally {
      await forge.close();
    }
  });

  it("turns a server error on the comment into a fallback, not a failed command", async () => {
    const out = sink();
    const reporter = createCiReporter({
      provider: "github",
      env: {
        GITHUB_REPOSITORY: "o/r",
        GITHUB_REF: "refs/pull/4/merge",
        GITHUB_TOKEN: "ghs_tokentokentoken",
        GITHUB_STEP_SUMMARY: join(dir, "summary.md"),
      },
      stream: out.stream,
      fetch: async () => new Response(JSON.stringify({ message: "Server Error" }), { status: 502 }),
    });
    expect(await reporter.comment("diff", "x")).toMatchObject({ status: "fallback", httpStatus: 502 });
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).toMatch(/^::warning title=plx::.*HTTP 502/);
    expect(out.lines[0]).not.toContain("ghs_tokentokentoken");
    expect(await readFile(join(dir, "summary.md"), "utf8")).toBe("x\n");
  });
});

describe("GitLab reporter", () => {
  it("writes sections, the code quality report and warns once about the missing token", async () => {
    const out = sink();
    const warnings: string[] = [];
    const codeQualityPath = join(dir, "gl-code-quality-report.json");
    const reporter = createCiReporter({
      provider: "gitlab",
      env: {
        GITLAB_CI: "true",
        CI_MERGE_REQUEST_IID: "2",
        CI_PROJECT_DIR: "/builds/acme",
        CI_API_V4_URL: "http://x",
        CI_PROJECT_ID: "1",
      },
      stream: out.stream,
      warn: (m) => warnings.push(m),
      cwd: "/builds/acme",
      codeQualityPath,
      now: () => 1_700_000_000_000,
    });
    await reporter.section("plx push", () => undefined, { header: "Pushing", collapsed: true });
    expect(out.lines).toEqual([
      "\x1b[0Ksection_start:1700000000:plx_push[collapsed=true]\r\x1b[0KPushing",
      "\x1b[0Ksection_end:1700000000:plx_push\r\x1b[0K",
    ]);

    await reporter.annotate([finding(1)]);
    expect(await reporter.annotate([finding(2, "warning")])).toEqual({ emitted: 1, overflow: [] });
    const report = JSON.parse(await readFile(codeQualityPath, "utf8")) as unknown[];
    expect(report).toHaveLength(2);

    expect(await reporter.comment("diff", "x")).toMatchObject({ status: "skipped" });
    await reporter.comment("eval-report", "y");
    expect(warnings).toEqual([GITLAB_TOKEN_MISSING_WARNING]);
    expect(await reporter.summary("x")).toBe(false);
  });

  it("takes the Code Quality path from PLX_CODE_QUALITY_REPORT, relative to cwd, and writes [] for no findings", async () => {
    const reporter = createCiReporter({
      provider: "gitlab",
      env: { PLX_CODE_QUALITY_REPORT: "cq.json" },
      stream: sink().stream,
      cwd: dir,
    });
    await reporter.annotate([]);
    expect(await readFile(join(dir, "cq.json"), "utf8")).toBe("[]\n");
  });

  it("writes outputs to a dotenv report when asked", async () => {
    const dotenvPath = join(dir, "plx.env");
    await writeFile(dotenvPath, "");
    const reporter = createCiReporter({ provider: "gitlab", env: {}, stream: sink().stream, dotenvPath });
    expect(await reporter.outputs({ published: true, "published-version": 15 })).toBe(true);
    expect(await readFile(dotenvPath, "utf8")).toBe("PLX_PUBLISHED=true\nPLX_PUBLISHED_VERSION=15\n");
  });
});

describe("outside CI", () => {
  it("does nothing but run sections and skip comments with one warning", async () => {
    const out = sink();
    const warnings: string[] = [];
    const reporter = createCiReporter({
      provider: undefined,
      env: {},
      stream: out.stream,
      warn: (m) => warnings.push(m),
    });
    expect(await reporter.annotate([finding(1)])).toEqual({ emitted: 0, overflow: [] });
    expect(await reporter.summary("x")).toBe(false);
    expect(await reporter.outputs({ a: 1 })).toBe(false);
    expect(await reporter.section("s", () => 3)).toBe(3);
    await reporter.comment("diff", "x");
    await reporter.comment("diff", "x");
    expect(warnings).toHaveLength(1);
    expect(out.lines).toEqual([]);
  });
});
