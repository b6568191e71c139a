import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CiFinding } from "../../../src/ci/findings.js";
import {
  codeQualityIssues,
  codeQualityJson,
  formatDotenv,
  sectionEnd,
  sectionName,
  sectionStart,
  writeCodeQualityReport,
} from "../../../src/ci/gitlab.js";

describe("sections", () => {
  const now = 1_700_000_000_999;

  it("writes start and end markers as GitLab documents them", () => {
    expect(sectionStart("plx_push", "Pushing 12 prompts", { now })).toBe(
      "\x1b[0Ksection_start:1700000000:plx_push\r\x1b[0KPushing 12 prompts",
    );
    expect(sectionStart("plx_push", "Pushing", { now, collapsed: true })).toBe(
      "\x1b[0Ksection_start:1700000000:plx_push[collapsed=true]\r\x1b[0KPushing",
    );
    expect(sectionEnd("plx_push", { now })).toBe("\x1b[0Ksection_end:1700000000:plx_push\r\x1b[0K");
  });

  it("cleans names and headers", () => {
    expect(sectionName("plx push: support/triage v2")).toBe("plx_push__support_triage_v2");
    expect(sectionName("")).toBe("plx");
    expect(sectionStart("a b", "two\nlines", { now })).toBe("\x1b[0Ksection_start:1700000000:a_b\r\x1b[0Ktwo lines");
  });
});

const findings: CiFinding[] = [
  {
    path: "prompts/support/triage.prompt.yaml",
    line: 12,
    col: 5,
    severity: "error",
    code: "plx/undeclared-variable",
    message: "Variable {{customer}} is not declared",
  },
  {
    path: "./prompts/a.prompt.yaml",
    severity: "warning",
    code: "plx/drift",
    message: "Local file  differs\nfrom version 14",
  },
  {
    path: "prompts/support/triage.prompt.yaml",
    line: 30,
    severity: "error",
    code: "plx/undeclared-variable",
    message: "Variable {{customer}} is not declared",
  },
];

describe("code quality report", () => {
  it("has the documented shape", () => {
    const issues = codeQualityIssues(findings);
    expect(issues).toHaveLength(3);
    for (const issue of issues) {
      expect(Object.keys(issue).sort()).toEqual(["check_name", "description", "fingerprint", "location", "severity"]);
      expect(["info", "minor", "major", "critical", "blocker"]).toContain(issue.severity);
      expect(issue.fingerprint).toMatch(/^[0-9a-f]{32}$/);
      expect(issue.location.lines.begin).toBeGreaterThanOrEqual(1);
    }
    expect(issues[0]).toMatchObject({
      description: "Variable {{customer}} is not declared",
      check_name: "plx/undeclared-variable",
      severity: "major",
      location: { path: "prompts/support/triage.prompt.yaml", lines: { begin: 12 } },
    });
    expect(issues[1]).toMatchObject({
      severity: "minor",
      description: "Local file differs from version 14",
      location: { path: "prompts/a.prompt.yaml", lines: { begin: 1 } },
    });
  });

  it("uses stable, unique fingerprints that survive moved lines", () => {
    const first = codeQualityIssues(findings).map((i) => i.fingerprint);
    expect(new Set(first).size).toBe(3);
    const moved = codeQualityIssues(findings.map((f) => ({ ...f, line: (f.line ?? 0) + 7 }))).map((i) => i.fingerprint);
    expect(moved).toEqual(first);
  });

  it("writes a JSON array with no BOM", async () => {
    const dir = await mkdtemp(join(tmpdir(), "plx-gl-"));
    try {
      const path = join(dir, "gl-code-quality-report.json");
      await writeCodeQualityReport(path, findings);
      const bytes = await readFile(path);
      expect(bytes[0]).toBe("[".charCodeAt(0));
      expect(JSON.parse(bytes.toString("utf8"))).toEqual(codeQualityIssues(findings));
      expect(codeQualityJson([])).toBe("[]\n");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("dotenv", () => {
  it("keeps only values GitLab can carry", () => {
    const { text, skipped } = formatDotenv({
      "published-version": 15,
      score: 0.87,
      note: "two words",
      changed: true,
      gone: undefined,
    });
    expect(text).toBe("PLX_PUBLISHED_VERSION=15\nPLX_SCORE=0.87\nPLX_CHANGED=true\n");
    expect(skipped).toEqual(["note"]);
  });
});
