// The one shape every CI sink (GitHub annotations, GitLab Code Quality, the step summary) takes findings in.

export type FindingSeverity = "error" | "warning" | "notice";

export interface CiFinding {
  /** Repository-relative path (or absolute / cwd-relative: the reporter makes it repo-relative). */
  path: string;
  /** 1-based; missing or 0 means "the file as a whole". */
  line?: number;
  col?: number;
  endLine?: number;
  endColumn?: number;
  severity: FindingSeverity;
  /** A stable rule id, e.g. "plx/undeclared-variable". */
  code: string;
  message: string;
}

/** Markdown table cells: pipes and newlines would break the row, and HTML must not render. */
export function markdownCell(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\|/g, "\\|")
    .replace(/\r?\n|\r/g, "<br>");
}

const SEVERITY_ICON: Record<FindingSeverity, string> = { error: "❌", warning: "⚠️", notice: "ℹ️" };

/** A GitHub-flavoured Markdown table of findings, for the step summary or a comment. */
export function findingsMarkdown(findings: readonly CiFinding[], heading?: string): string {
  if (findings.length === 0) return "";
  const rows = findings.map((f) => {
    const where = f.line ? `${f.path}:${f.line}${f.col ? `:${f.col}` : ""}` : f.path;
    return `| ${SEVERITY_ICON[f.severity]} ${f.severity} | \`${markdownCell(where).replace(/`/g, "")}\` | ${markdownCell(f.code)} | ${markdownCell(f.message)} |`;
  });
  return [
    ...(heading ? [heading, ""] : []),
    "| severity | location | rule | message |",
    "|---|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}
