// The words of a sync: the pull/merge request's title and body, the commit message, the comment that closes it.
// Pure text from the changes; cut to the forge's limit, never refused by it.
import { composeBody } from "../ci/comments.js";
import type { TemplateChange } from "./changes.js";

export const PR_MARKER = "<!-- plx:pull-request -->";

export interface ProposalContext {
  base: string;
  branch: string;
  /** "pull request" / "merge request". */
  noun: string;
  /** Who made the changes in PromptLayer, when the webhook said. */
  users: readonly string[];
  /** Templates PromptLayer holds that could not be written as files, and why. */
  unwritable: ReadonlyArray<{ name: string; reason: string }>;
  /** Where the run's log is, for the truncation note. */
  runUrl?: string;
}

const MAX_TITLE = 100;

/** `3 templates`, `one agent`, `2 templates and one agent`. */
function counted(changes: readonly TemplateChange[]): string {
  const agents = changes.filter((change) => change.kind === "agent").length;
  const templates = changes.length - agents;
  const phrase = (n: number, noun: string) => (n === 0 ? [] : [n === 1 ? `one ${noun}` : `${n} ${noun}s`]);
  return [...phrase(templates, "template"), ...phrase(agents, "agent")].join(" and ");
}

/** `PromptLayer: refund-reply v5` or `PromptLayer: 3 templates changed (a, b, c)`. */
export function proposalTitle(changes: readonly TemplateChange[]): string {
  if (changes.length === 1) {
    const [change] = changes as [TemplateChange];
    const agent = change.kind === "agent" ? " (agent)" : "";
    return clip(`PromptLayer: ${change.name}${agent} ${headline(change)}`, MAX_TITLE);
  }
  const names = changes.map((change) => change.name);
  let listed = names.join(", ");
  while (listed.length > 60 && names.length > 1) {
    names.pop();
    listed = `${names.join(", ")}, …`;
  }
  return clip(`PromptLayer: ${counted(changes)} changed (${listed})`, MAX_TITLE);
}

/** The few words that sum one template's change up: `v3 → v5`, `renamed from tone`, `deleted`. */
export function headline(change: TemplateChange): string {
  const parts: string[] = [];
  if (change.kinds.includes("created")) parts.push(`created (v${change.to})`);
  if (change.kinds.includes("deleted")) parts.push("deleted");
  if (change.kinds.includes("new-version")) parts.push(`v${change.from} → v${change.to}`);
  if (change.kinds.includes("renamed")) parts.push(`renamed from ${change.previousName}`);
  if (change.kinds.includes("moved")) parts.push(`moved to ${folderOf(change.path)}/`);
  if (parts.length === 0 && change.labels.length > 0)
    parts.push(`labels: ${change.labels.map((label) => labelText(label)).join(", ")}`);
  return parts.join(", ");
}

const folderOf = (path: string) => path.split("/").slice(0, -1).join("/");

function labelText(label: TemplateChange["labels"][number]): string {
  const approved = label.approved ? " (approved change)" : "";
  if (label.from === undefined) return `${label.label} set on v${label.to}${approved}`;
  if (label.to === undefined) return `${label.label} removed (was v${label.from})${approved}`;
  return `${label.label} v${label.from} → v${label.to}${approved}`;
}

/** A commit message: the title, a line per template with its PromptLayer commit messages, and who changed them. */
export function commitMessage(changes: readonly TemplateChange[], context: Pick<ProposalContext, "users">): string {
  const lines = [clip(proposalTitle(changes), 72), ""];
  for (const change of changes) {
    lines.push(`- ${change.name}${change.kind === "agent" ? " (agent)" : ""}: ${headline(change)} (${change.path})`);
    for (const note of change.versions) lines.push(`  v${note.version}: ${oneLine(note.message) || "(no message)"}`);
    if (change.moreVersions > 0) lines.push(`  … and ${change.moreVersions} earlier version(s)`);
  }
  if (context.users.length > 0) lines.push("", `Changed in PromptLayer by ${context.users.join(", ")}.`);
  return `${lines.join("\n")}\n`;
}

/**
 * The body: conflicts first, then a section per template (what changed, versions from → to, their commit messages, a
 * link, what else a snippet change reaches, the diff folded away). When it is over `limit`, diffs are dropped from
 * the largest down, and only then is the text cut, with a note either way. `redact` runs before the cut, so the cut
 * is measured on what is sent.
 */
export function proposalBody(
  changes: readonly TemplateChange[],
  context: ProposalContext,
  limit: number,
  redact: (text: string) => string = (text) => text,
): string {
  const withDiffs = new Set(changes.filter((change) => change.diff).map((change) => change.path));
  const bySize = [...changes].filter((change) => change.diff).sort((a, b) => b.diff!.length - a.diff!.length);
  let dropped = 0;
  for (;;) {
    const markdown = redact(render(changes, context, withDiffs, dropped));
    const { body, truncated } = composeBody(markdown, PR_MARKER, limit, context.runUrl);
    if (!truncated || bySize.length === 0) return body;
    withDiffs.delete(bySize.shift()!.path);
    dropped += 1;
  }
}

function render(
  changes: readonly TemplateChange[],
  context: ProposalContext,
  withDiffs: ReadonlySet<string>,
  droppedDiffs: number,
): string {
  const out: string[] = [];
  const count = counted(changes);
  out.push(
    `PromptLayer holds changes to ${count} that \`${context.base}\` does not have. Merging this ${context.noun} brings them into git; the deploy job's \`plx publish\` then finds them already published.`,
  );
  const conflicts = changes.filter((change) => change.conflict);
  if (conflicts.length > 0) {
    out.push(
      "",
      "> [!WARNING]",
      `> **${conflicts.length === 1 ? "A conflict" : `${conflicts.length} conflicts`} to resolve in review.** \`${context.base}\` has edits to ${conflicts.length === 1 ? "this file" : "these files"} that were never published, and PromptLayer changed ${conflicts.length === 1 ? "it" : "them"} too. This branch holds PromptLayer's content; \`${context.base}\` keeps its edit, and the diff shows both. Keep one, or combine them, before merging.`,
      ...conflicts.map((change) => `> - \`${change.path}\` (${change.name}): ${headline(change)}`),
    );
  }
  if (context.unwritable.length > 0) {
    out.push(
      "",
      "> [!NOTE]",
      "> Not in this branch: PromptLayer holds versions plx could not write as files. Fix them in PromptLayer:",
      ...context.unwritable.map((item) => `> - ${item.name}: ${oneLine(item.reason)}`),
    );
  }
  for (const change of changes) {
    const agent = change.kind === "agent" ? " (agent)" : "";
    out.push("", `### ${escapeMarkdown(change.name)}${agent}: ${escapeMarkdown(headline(change))}`);
    const facts = [`\`${change.path}\``];
    if (change.previousPath) facts.push(`was \`${change.previousPath}\``);
    if (change.link) facts.push(`[open in PromptLayer](${change.link})`);
    out.push("", facts.join(" · "));
    if (change.versions.length > 0) {
      out.push("");
      if (change.moreVersions > 0) out.push(`- … ${change.moreVersions} earlier version(s)`);
      for (const note of change.versions)
        out.push(`- **v${note.version}**: ${escapeMarkdown(oneLine(note.message)) || "_no commit message_"}`);
    }
    if (change.labels.length > 0) {
      out.push("", `Labels: ${change.labels.map((label) => `\`${labelText(label)}\``).join(", ")}`);
    }
    if (change.usedBy.length > 0) {
      const shown = change.usedBy.slice(0, 20).map((name) => `\`${name}\``);
      const more = change.usedBy.length > 20 ? ` and ${change.usedBy.length - 20} more` : "";
      const agents = change.usedBy.filter((user) => user.endsWith(" (agent)")).length;
      const role = agents === 0 ? "Snippet used by" : agents === change.usedBy.length ? "Run by" : "Used by";
      out.push("", `${role} ${change.usedBy.length}: ${shown.join(", ")}${more}. They change with it.`);
    }
    if (change.diff && withDiffs.has(change.path)) {
      const fence = "`".repeat(Math.max(3, longestBacktickRun(change.diff) + 1));
      out.push("", "<details><summary>Diff</summary>", "", `${fence}diff`, change.diff, fence, "", "</details>");
    } else if (change.diff) {
      out.push("", `_Diff left out to fit the ${context.noun}'s size limit; see the changed files._`);
    }
  }
  out.push("", "---");
  const by = context.users.length > 0 ? ` Changed in PromptLayer by ${context.users.join(", ")}.` : "";
  const dropped =
    droppedDiffs > 0 ? ` ${droppedDiffs} diff${droppedDiffs === 1 ? " was" : "s were"} left out to fit.` : "";
  out.push(
    `<sub>Proposed by \`plx pull --pr\`.${by}${dropped} \`${context.branch}\` is rebuilt from \`${context.base}\` on every sync: commits pushed to it are replaced. To change the proposal, edit in PromptLayer, or merge and edit in git.</sub>`,
  );
  return out.join("\n");
}

/** The comment that closes a proposal nobody needs any more. */
export function closingComment(base: string, noun: string): string {
  return `PromptLayer and \`${base}\` agree again (the change was reverted in PromptLayer, or \`${base}\` already has it), so there is nothing left to propose. Closing this ${noun}; the next change in PromptLayer opens a new one.\n\n${PR_MARKER}`;
}

const oneLine = (text: string | null | undefined) => (text ?? "").replace(/\s+/g, " ").trim();
const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`);
const escapeMarkdown = (text: string) => text.replace(/([\\`*_[\]<>|])/g, "\\$1");

function longestBacktickRun(text: string): number {
  let longest = 0;
  for (const run of text.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  return longest;
}
