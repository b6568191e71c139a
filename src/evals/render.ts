// Eval results as CI shows them: a JUnit report for test views, and CSV for PromptLayer's sheet import.
import type { EvalCase } from "./cases.js";
import { promptKey } from "./summary.js";

const escapeXml = (text: string) =>
  text
    // XML 1.0 cannot hold most control characters at all, even escaped.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "\ufffd")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");

/** One testsuite per prompt, one testcase per case, failed cases with a failure element. */
export function junitReport(cases: readonly EvalCase[]): string {
  const suites = new Map<string, EvalCase[]>();
  for (const item of cases) {
    const key = promptKey(item.prompt ?? "(unknown prompt)", item.version);
    suites.set(key, [...(suites.get(key) ?? []), item]);
  }
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="plx eval-report" tests="${cases.length}" failures="${cases.filter((c) => !c.passed).length}">`,
  ];
  for (const [name, group] of suites) {
    lines.push(
      `  <testsuite name="${escapeXml(name)}" tests="${group.length}" failures="${group.filter((c) => !c.passed).length}">`,
    );
    for (const item of group) {
      const time = item.latencyMs === undefined ? "" : ` time="${(item.latencyMs / 1000).toFixed(3)}"`;
      lines.push(`    <testcase name="${escapeXml(item.caseId)}" classname="${escapeXml(name)}"${time}>`);
      const scores = Object.entries(item.scores);
      if (scores.length > 0) {
        lines.push(
          "      <properties>",
          ...scores.map(([metric, value]) => `        <property name="${escapeXml(metric)}" value="${value}"/>`),
          "      </properties>",
        );
      }
      if (!item.passed) lines.push(`      <failure message="${escapeXml(item.reason ?? "the case did not pass")}"/>`);
      lines.push("    </testcase>");
    }
    lines.push("  </testsuite>");
  }
  lines.push("</testsuites>", "");
  return lines.join("\n");
}

/** RFC 4180 CSV: every field quoted, quotes doubled, so any text (newlines, commas) survives the import. */
export function csv(rows: ReadonlyArray<ReadonlyArray<string | number | boolean>>): string {
  return `${rows.map((row) => row.map((cell) => `"${String(cell).replace(/"/g, '""')}"`).join(",")).join("\r\n")}\r\n`;
}
