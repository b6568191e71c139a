// GitLab CI log sections, the Code Quality report and the dotenv report. Pure builders plus one file writer.
// Formats: docs.gitlab.com/ci/jobs/job_logs/ (sections), docs.gitlab.com/ci/testing/code_quality/ (report),
// docs.gitlab.com/ci/yaml/artifacts_reports/ (dotenv).
import { createHash } from "node:crypto";
import { writeFileAtomic } from "../files/atomic.js";
import type { CiFinding, FindingSeverity } from "./findings.js";

const ESC = "\x1b";

/** Section names may hold only letters, digits, `_`, `.` and `-`; anything else becomes `_`. */
export function sectionName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_.-]/g, "_");
  return cleaned === "" ? "plx" : cleaned;
}

const unixSeconds = (now: number) => Math.floor(now / 1000);

/** `\e[0Ksection_start:<unix>:<name>[collapsed=true]\r\e[0K<header>` (no trailing newline). */
export function sectionStart(
  name: string,
  header: string,
  options: { collapsed?: boolean; now?: number } = {},
): string {
  const ts = unixSeconds(options.now ?? Date.now());
  // A line break in the header would end the marker line early.
  const text = header.replace(/[\r\n]+/g, " ");
  return `${ESC}[0Ksection_start:${ts}:${sectionName(name)}${options.collapsed ? "[collapsed=true]" : ""}\r${ESC}[0K${text}`;
}

/** `\e[0Ksection_end:<unix>:<name>\r\e[0K` (no trailing newline). */
export function sectionEnd(name: string, options: { now?: number } = {}): string {
  return `${ESC}[0Ksection_end:${unixSeconds(options.now ?? Date.now())}:${sectionName(name)}\r${ESC}[0K`;
}

// ---- Code Quality ----

export type CodeQualitySeverity = "info" | "minor" | "major" | "critical" | "blocker";

export interface CodeQualityIssue {
  description: string;
  check_name: string;
  fingerprint: string;
  severity: CodeQualitySeverity;
  location: { path: string; lines: { begin: number } };
}

export const CODE_QUALITY_SEVERITY: Record<FindingSeverity, CodeQualitySeverity> = {
  error: "major",
  warning: "minor",
  notice: "info",
};

const normalizeMessage = (message: string) => message.trim().replace(/\s+/g, " ");

/**
 * Code Quality issues for findings. The fingerprint hashes the rule, the path and the normalized message (not the
 * line, so an issue keeps its identity when lines move) plus an occurrence index, so identical findings in one file
 * stay distinct, since GitLab merges issues that share a fingerprint.
 */
export function codeQualityIssues(findings: readonly CiFinding[]): CodeQualityIssue[] {
  const seen = new Map<string, number>();
  return findings.map((finding) => {
    const path = finding.path.replace(/\\/g, "/").replace(/^\.\//, "");
    const message = normalizeMessage(finding.message);
    const identity = `${finding.code}\u0000${path}\u0000${message}`;
    const occurrence = seen.get(identity) ?? 0;
    seen.set(identity, occurrence + 1);
    const fingerprint = createHash("sha256").update(`${identity}\u0000${occurrence}`).digest("hex").slice(0, 32);
    return {
      description: message,
      check_name: finding.code,
      fingerprint,
      severity: CODE_QUALITY_SEVERITY[finding.severity],
      location: { path, lines: { begin: finding.line && finding.line >= 1 ? Math.floor(finding.line) : 1 } },
    };
  });
}

/** The report file's text: a JSON array, UTF-8, no BOM. */
export const codeQualityJson = (findings: readonly CiFinding[]): string =>
  `${JSON.stringify(codeQualityIssues(findings), null, 2)}\n`;

export async function writeCodeQualityReport(path: string, findings: readonly CiFinding[]): Promise<void> {
  await writeFileAtomic(path, codeQualityJson(findings));
}

// ---- dotenv ----

export const DOTENV_LIMIT_BYTES = 5 * 1024;

/**
 * `artifacts:reports:dotenv` text: `KEY=value` lines, keys upper-cased to `[A-Z0-9_]` with a prefix. Values GitLab
 * cannot carry (line breaks, spaces, quotes, `$`) are left out and named in `skipped`. Never pass secrets here.
 */
export function formatDotenv(
  record: Readonly<Record<string, string | number | boolean | null | undefined>>,
  options: { prefix?: string } = {},
): { text: string; skipped: string[] } {
  const prefix = options.prefix ?? "PLX_";
  const lines: string[] = [];
  const skipped: string[] = [];
  let bytes = 0;
  for (const [name, raw] of Object.entries(record)) {
    if (raw === undefined || raw === null) continue;
    const key = `${prefix}${name}`.toUpperCase().replace(/[^A-Z0-9_]/g, "_");
    const value = String(raw);
    const line = `${key}=${value}\n`;
    if (/[\s"'`$\\]/.test(value) || bytes + Buffer.byteLength(line) > DOTENV_LIMIT_BYTES) {
      skipped.push(name);
      continue;
    }
    bytes += Buffer.byteLength(line);
    lines.push(line);
  }
  return { text: lines.join(""), skipped };
}

/** `$CI_JOB_URL`, when known: the link a truncated MR note points at. */
export const gitlabJobUrl = (env: Readonly<Record<string, string | undefined>>): string | undefined =>
  env.CI_JOB_URL || undefined;
