// Markdown renderings of reports, for GitHub step summaries and sticky pull-request comments.
import { markdownCell } from "../../ci/findings.js";
import { folderLabel } from "../../core/folders.js";
import { matching, versionNote } from "./render-comparison.js";
import type { Comparison } from "../../sync/compare.js";
import type { LabelResult, PushReport } from "../../sync/push.js";
import { promptKey } from "../../evals/summary.js";
import type { EvalReport } from "../../evals/report.js";

const STATE_TITLES: Record<string, string> = {
  conflict: "conflict (changed on both sides)",
  "remote-changed": "changed in PromptLayer",
  "local-changed": "changed locally",
  "local-only": "new (only local)",
  "remote-only": "only in PromptLayer",
  "local-deleted": "deleted locally",
  "remote-deleted": "deleted in PromptLayer",
};

// A fence longer than any backtick run inside, so a prompt holding ``` cannot end the block early.
export function fenced(text: string, language: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}${language}\n${text}\n${fence}`;
}

export function comparisonMarkdown(report: Comparison): string {
  if (report.changes.length === 0)
    return `### plx diff\n\nNo differences: ${matching(report)} match PromptLayer (${report.track}).`;
  const lines = [
    "### plx diff",
    "",
    `${report.changes.length} template(s) differ from PromptLayer (${report.track}); ${report.inSync} match.`,
    "",
    "| template | change | versions | lines |",
    "| --- | --- | --- | --- |",
    ...report.changes.map((change) => {
      return `| \`${markdownCell(change.path)}\` | ${STATE_TITLES[change.state] ?? change.state}${change.usedBy ? ` (snippet used by ${change.usedBy.length})` : ""} | ${markdownCell(versionNote(change))} | +${change.added} −${change.removed} |`;
    }),
  ];
  for (const change of report.changes) {
    if (!change.patch) continue;
    lines.push(
      "",
      `<details><summary>${markdownCell(change.path)}</summary>`,
      "",
      fenced(change.patch, "diff"),
      "",
      "</details>",
    );
  }
  return lines.join("\n");
}

/** Where a label goes: a version, the version this run publishes, or (agents) a copy of a version. */
export function labelTarget(label: LabelResult): string {
  if (label.action === "copy")
    return `v${label.version ?? label.creates}, a new version identical to v${label.to} (an agent's label moves only with a new version)`;
  const to = label.version ?? label.to;
  return to === undefined ? "(new version)" : `v${to}`;
}

export function pushMarkdown(report: PushReport, command: string): string {
  const lines = [`### plx ${command}`, ""];
  const rows = report.results.filter((result) => result.result !== "unchanged");
  if (report.blocked === "conflict")
    lines.push(
      "**Refused:** templates were edited in PromptLayer since this repository last synced; nothing was sent.",
      "",
    );
  if (report.blocked === "invalid")
    lines.push("**Refused:** some templates cannot be published as they are; nothing was sent.", "");
  if (report.blocked === "stale-plan")
    lines.push(
      "**Refused:** the saved plan is stale; nothing was sent.",
      "",
      ...(report.stale ?? []).map((line) => `- ${markdownCell(line)}`),
      "",
    );
  if (rows.length > 0) {
    lines.push("| template | result |", "| --- | --- |");
    for (const result of rows) {
      const { item } = result;
      const outcome =
        result.result === "created" || result.result === "updated"
          ? `${result.result} v${result.version}${result.raced ? ` — ${result.raced}` : ""}`
          : result.result === "copied"
            ? `copied v${result.of} as v${result.version} to carry labels`
            : result.result === "planned"
              ? `would ${item.action}`
              : result.result === "failed"
                ? `failed — ${result.error.message}`
                : result.result === "skipped"
                  ? `skipped — ${result.reason}`
                  : result.result;
      const move = "moveTo" in item && item.moveTo ? ` into ${folderLabel(item.moveTo)}` : "";
      const why = "reason" in item && item.reason ? ` — ${item.reason}` : "";
      lines.push(`| \`${markdownCell(item.path)}\` | ${markdownCell(outcome + move + why)} |`);
    }
  } else {
    lines.push("Nothing to publish: every template matches PromptLayer.");
  }
  const labels = report.labels.filter((label) => label.status !== "unchanged" && label.status !== "skipped");
  if (labels.length > 0) {
    lines.push("", "| label | template | from | to | status |", "| --- | --- | --- | --- | --- |");
    for (const label of labels) {
      const status =
        label.status === "pending"
          ? "pending approval"
          : label.status === "conflict"
            ? `left alone — ${label.reason}`
            : label.status;
      lines.push(
        `| ${markdownCell(label.label)} | ${markdownCell(label.name)} | ${label.from === undefined ? "—" : `v${label.from}`} | ${markdownCell(labelTarget(label))} | ${markdownCell(status)} |`,
      );
    }
  }
  return lines.join("\n");
}

export function evalMarkdown(report: Omit<EvalReport, "caseList">): string {
  const lines = [
    "### plx eval-report",
    "",
    "| prompt | cases | passed | pass rate | score | metrics |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const summary of report.prompts) {
    const metrics = Object.entries(summary.metrics)
      .map(([name, value]) => `${markdownCell(name)} ${value.toFixed(3)}`)
      .join(", ");
    lines.push(
      `| ${markdownCell(promptKey(summary.prompt, summary.version))} | ${summary.cases} | ${summary.passed} | ${Math.round(summary.passRate * 100)}% | ${summary.score.toFixed(3)} | ${metrics} |`,
    );
  }
  for (const upload of report.uploads)
    lines.push(
      "",
      `[${markdownCell(upload.tableTitle)} / ${markdownCell(upload.sheetTitle)}](${upload.url})${upload.verdict ? `: ${upload.verdict}` : ""}`,
    );
  lines.push(
    "",
    report.gate.passed ? "**Gate passed.**" : "**Gate failed:**",
    ...report.gate.misses.map((miss) => `- ${markdownCell(miss.message)}`),
  );
  return lines.join("\n");
}
