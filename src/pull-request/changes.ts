// What a sync proposes, template by template and agent by agent, worked out from the lock before and after the pull
// and the files that changed. Pure: the service reads versions and diffs, this decides what they mean.
import type { Lockfile, SyncedEntry, SyncKind } from "../core/lock.js";

export type ChangeKind = "created" | "new-version" | "renamed" | "moved" | "deleted" | "labels";

export interface LabelChange {
  label: string;
  /** Absent: the label was created. */
  from?: number;
  /** Absent: the label was deleted. */
  to?: number;
  /** An admin approved this change to a protected label. */
  approved: boolean;
}

export interface VersionNote {
  version: number;
  message: string | null;
  createdAt?: string;
}

/** One template's or agent's change. */
export interface TemplateChange {
  kind: SyncKind;
  name: string;
  id: number;
  /** The file as the branch has it (for a deleted template, where it was). */
  path: string;
  previousPath?: string;
  previousName?: string;
  kinds: ChangeKind[];
  from?: number;
  to?: number;
  /** The new versions, oldest first (at most a few; `moreVersions` counts the rest). */
  versions: VersionNote[];
  moreVersions: number;
  labels: LabelChange[];
  /** Templates that import this one (a snippet) and agents that run it: they change with it. */
  usedBy: string[];
  /** The base branch had its own unpublished edit of this template or agent; the branch holds PromptLayer's. */
  conflict: boolean;
  link?: string;
  diff?: string;
}

export interface FileChange {
  /** A added, M modified, D deleted, R renamed. */
  status: string;
  path: string;
  previousPath?: string;
}

export interface ChangeInputs {
  before: Lockfile;
  after: Lockfile;
  files: readonly FileChange[];
  /** Templates and agents the base had edited and PromptLayer changed too, as `changeKey` names them. */
  conflicts: ReadonlySet<string>;
  approvals: ReadonlyArray<{ template: string; label: string }>;
}

/** How a change is named where a template and an agent may share a name. */
export const changeKey = (kind: SyncKind, name: string) => `${kind}:${name}`;

/** Every template and agent the sync changes, by name; label-only changes come along when files change too. */
export function templateChanges(inputs: ChangeInputs): TemplateChange[] {
  const { before, after } = inputs;
  const changes = [
    ...kindChanges("prompt", before.templates, after.templates, inputs),
    ...kindChanges("agent", before.agents, after.agents, inputs),
  ];
  for (const change of changes) {
    if (change.kind !== "prompt" || change.kinds.includes("deleted")) continue;
    change.usedBy = [
      ...Object.entries(after.templates)
        .filter(([other, entry]) => other !== change.name && entry.snippets.includes(change.name))
        .map(([other]) => other),
      ...Object.entries(after.agents)
        .filter(([, entry]) => entry.prompts.includes(change.name))
        .map(([agent]) => `${agent} (agent)`),
    ].sort();
  }
  // Only file changes make a proposal; labels that moved alone are carried along, not proposed on their own.
  if (!changes.some((change) => change.kinds.some((kind) => kind !== "labels"))) return [];
  // By name; of a template and an agent with one name, the template first.
  const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return changes.sort((a, b) => order(a.name, b.name) || (a.kind === b.kind ? 0 : a.kind === "prompt" ? -1 : 1));
}

function kindChanges(
  kind: SyncKind,
  before: Readonly<Record<string, SyncedEntry>>,
  after: Readonly<Record<string, SyncedEntry>>,
  inputs: ChangeInputs,
): TemplateChange[] {
  const beforeById = byId(before);
  const afterById = byId(after);
  const changedPaths = new Set(inputs.files.flatMap((file) => [file.path, file.previousPath ?? file.path]));
  // Approvals come from PromptLayer's protected-label events, which only templates have.
  const approved = (name: string, label: string) =>
    kind === "prompt" && inputs.approvals.some((approval) => approval.template === name && approval.label === label);
  const blank = (name: string, id: number, path: string): TemplateChange => ({
    kind,
    name,
    id,
    path,
    kinds: [],
    versions: [],
    moreVersions: 0,
    labels: [],
    usedBy: [],
    conflict: inputs.conflicts.has(changeKey(kind, name)),
  });

  const changes: TemplateChange[] = [];
  for (const [id, [name, entry]] of afterById) {
    const old = beforeById.get(id);
    const change = blank(name, id, entry.path);
    if (!old) {
      if (!changedPaths.has(entry.path)) continue;
      change.kinds.push("created");
      change.to = entry.version;
    } else {
      const [oldName, oldEntry] = old;
      if (oldName !== name) {
        change.kinds.push("renamed");
        change.previousName = oldName;
      }
      if (oldEntry.path !== entry.path) {
        change.previousPath = oldEntry.path;
        if (folderOf(oldEntry.path) !== folderOf(entry.path)) change.kinds.push("moved");
      }
      // A new version whose content the base's file already holds (a deploy from git published it, and could not
      // commit plx.lock back) changes only the lock: nothing to review, so it is carried along like a label move.
      if (oldEntry.hash !== entry.hash && changedPaths.has(entry.path)) {
        change.kinds.push("new-version");
        change.from = oldEntry.version;
        change.to = entry.version;
      }
      change.labels = labelChanges(oldEntry.labels, entry.labels, (label) => approved(name, label));
      if (change.labels.length > 0) change.kinds.push("labels");
    }
    if (change.kinds.length > 0) changes.push(change);
  }
  for (const [id, [name, entry]] of beforeById) {
    if (afterById.has(id) || !changedPaths.has(entry.path)) continue;
    const change = blank(name, id, entry.path);
    change.kinds.push("deleted");
    change.from = entry.version;
    changes.push(change);
  }
  return changes;
}

function byId(entries: Readonly<Record<string, SyncedEntry>>): Map<number, [string, SyncedEntry]> {
  return new Map(Object.entries(entries).map(([name, entry]) => [entry.id, [name, entry]]));
}

const folderOf = (path: string) => path.split("/").slice(0, -1).join("/");

function labelChanges(
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
  approved: (label: string) => boolean,
): LabelChange[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return names.flatMap((label) => {
    const from = before[label];
    const to = after[label];
    if (from === to) return [];
    return [
      {
        label,
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
        approved: approved(label),
      },
    ];
  });
}

/** The version numbers whose commit messages the body shows: the newest `limit` of `(from, to]`. */
export function versionsToDescribe(change: TemplateChange, limit = 10): { versions: number[]; more: number } {
  if (change.to === undefined) return { versions: [], more: 0 };
  const first = change.from === undefined ? change.to : change.from + 1;
  if (first > change.to) return { versions: [], more: 0 };
  const start = Math.max(first, change.to - limit + 1);
  return {
    versions: Array.from({ length: change.to - start + 1 }, (_, index) => start + index),
    more: start - first,
  };
}

/** `git diff` output split per file, keyed by the file's path on the branch (its old path when deleted). */
export function splitDiff(diff: string): Map<string, string> {
  const files = new Map<string, string>();
  const sections = diff.split(/^(?=diff --git )/m).filter((section) => section.startsWith("diff --git "));
  for (const section of sections) {
    const side = (marker: string, prefix: string) => {
      const token = new RegExp(`^${marker} (.+)$`, "m").exec(section)?.[1];
      const path = token === undefined ? undefined : unquote(token);
      return path?.startsWith(prefix) ? path.slice(prefix.length) : undefined;
    };
    const path = side("\\+\\+\\+", "b/") ?? side("rename to", "") ?? side("---", "a/");
    if (path !== undefined) files.set(path, section.trimEnd());
  }
  return files;
}

/** git quotes paths with unusual characters: "prompts/r\303\251sum\303\251.prompt.yaml". */
function unquote(path: string): string {
  if (!path.startsWith('"')) return path;
  const bytes: number[] = [];
  const inner = path.slice(1, -1);
  for (let i = 0; i < inner.length; i++) {
    const char = inner[i]!;
    if (char !== "\\") {
      bytes.push(...Buffer.from(char, "utf8"));
      continue;
    }
    const next = inner[++i]!;
    if (/[0-7]/.test(next)) {
      bytes.push(Number.parseInt(inner.slice(i, i + 3), 8));
      i += 2;
    } else {
      bytes.push(({ n: 10, t: 9, '"': 34, "\\": 92 } as Record<string, number>)[next] ?? next.charCodeAt(0));
    }
  }
  return Buffer.from(bytes).toString("utf8");
}
