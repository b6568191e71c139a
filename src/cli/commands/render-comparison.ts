import { folderLabel } from "../../core/folders.js";
import type { Change, Comparison } from "../../sync/compare.js";
import { ExitCode } from "../../errors/index.js";
import type { Styles } from "../io.js";

/**
 * diff and status: an unreadable file means the answer is incomplete (exit 2, after reporting the rest); otherwise,
 * as `git diff --exit-code`, differences are a negative result only when asked.
 */
export function comparisonExitCode(report: Comparison & { exitOnChange: boolean }): ExitCode {
  if (report.invalid.length > 0) return ExitCode.Usage;
  return report.exitOnChange && report.changes.length > 0 ? ExitCode.Negative : ExitCode.Ok;
}

/** With bare paths on stdout, the files that could not be read are told on stderr. */
export function warnUnreadable(report: Comparison, warn: (message: string) => void): void {
  for (const problem of report.invalid) warn(`${problem.path}:${problem.line}:${problem.col}: ${problem.message}`);
}

// Groups in the order a reviewer cares about: what blocks a sync first.
const GROUPS: Array<{ states: Array<Change["state"]>; title: string }> = [
  { states: ["conflict"], title: "Changed on both sides (conflict)" },
  { states: ["remote-changed"], title: "Changed in PromptLayer since the last sync" },
  { states: ["local-changed"], title: "Changed locally" },
  { states: ["local-only"], title: "Only local (new)" },
  { states: ["remote-only"], title: "Only in PromptLayer" },
  { states: ["local-deleted"], title: "Deleted locally" },
  { states: ["remote-deleted"], title: "Deleted in PromptLayer" },
];

/** How many match: templates, and agents when there are any. */
export function matching(report: Pick<Comparison, "inSync" | "agentsInSync">): string {
  const templates = `${report.inSync - report.agentsInSync} template(s)`;
  return report.agentsInSync > 0 ? `${templates} and ${report.agentsInSync} agent(s)` : templates;
}

/**
 * A comparison for people: grouped by kind of change, with the canonical diff (`patch`), line counts (`stat`) or the
 * paths alone (`list`); `name-only` is bare paths for scripts.
 */
export function renderComparison(
  report: Comparison,
  styles: Styles,
  view: "patch" | "stat" | "list" | "name-only",
): string {
  // As git diff --name-only: bare paths, one per line, for scripts (unreadable files are reported on stderr).
  if (view === "name-only") return report.changes.map((change) => change.path).join("\n");
  if (report.changes.length === 0 && report.invalid.length === 0) {
    return report.remote
      ? `No differences: ${matching(report)} match PromptLayer (${report.track}).`
      : `Clean: ${matching(report)} match plx.lock.`;
  }
  const out: string[] = [];
  for (const group of GROUPS) {
    const changes = report.changes.filter((change) => group.states.includes(change.state));
    if (changes.length === 0) continue;
    out.push(styles.bold(`${group.title}:`));
    for (const change of changes) {
      const versions = versionNote(change);
      const stat = view === "stat" ? ` ${styles.green(`+${change.added}`)} ${styles.red(`-${change.removed}`)}` : "";
      out.push(`  ${change.path}${stat}${versions ? styles.dim(` (${versions})`) : ""}`);
      if (change.usedBy) out.push(styles.dim(`    snippet used by: ${change.usedBy.join(", ")}`));
    }
    out.push("");
  }
  if (report.invalid.length > 0) {
    out.push(styles.bold(styles.red("Could not be read (left out of the comparison):")));
    for (const problem of report.invalid)
      out.push(`  ${problem.path}:${problem.line}:${problem.col}: ${problem.message}`);
    out.push("");
  }
  if (view === "patch") {
    for (const change of report.changes) if (change.patch) out.push(colourPatch(change.patch, styles));
  }
  if (!report.remote)
    out.push(styles.dim("Offline: compared with plx.lock only; `plx status --remote` or `plx diff` asks PromptLayer."));
  return out.join("\n").trimEnd();
}

export function versionNote(change: Change): string {
  const parts: string[] = [];
  if (change.baseVersion !== undefined) parts.push(`synced v${change.baseVersion}`);
  if (change.remoteVersion !== undefined && change.remoteVersion !== change.baseVersion)
    parts.push(`remote v${change.remoteVersion}`);
  if (change.movedFrom !== undefined) parts.push(`moved from ${change.movedFrom}`);
  if (change.movedTo !== undefined) parts.push(`moved in PromptLayer to ${folderLabel(change.movedTo)}`);
  if (change.renamedFrom !== undefined) parts.push(`renamed in PromptLayer from ${change.renamedFrom}`);
  return parts.join(", ");
}

function colourPatch(patch: string, styles: Styles): string {
  return patch
    .split("\n")
    .map((line) => {
      if (line.startsWith("+++") || line.startsWith("---")) return styles.bold(line);
      if (line.startsWith("@@")) return styles.cyan(line);
      if (line.startsWith("+")) return styles.green(line);
      if (line.startsWith("-")) return styles.red(line);
      return line;
    })
    .join("\n");
}
