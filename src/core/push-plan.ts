// Push as a plan: per template and per agent, what publishing the repository would do to it. Pure; `plx push
// --dry-run` prints this value, a saved plan is this value on disk, and the real push applies it.
import { sameFolder, unusableFolderName } from "./folders.js";
import type { SyncedEntry, SyncKind } from "./lock.js";

interface FileFacts {
  name: string;
  path: string;
  hash: string;
  folder: string[];
}

/** A local file as plans see it: a prompt with the snippets it uses, or an agent with the prompts its nodes name. */
export type PushLocal =
  | (FileFacts & { kind: "prompt"; snippets: string[] })
  | (FileFacts & { kind: "agent"; prompts: string[] });

/** What names one item among all: a prompt and an agent may share a name. */
export const itemKey = (item: { kind: SyncKind; name: string }) => `${item.kind}\u0000${item.name}`;

/** What plx knows of the remote template: its id and latest version, and, when it was read, that version's content. */
export interface PushRemote {
  id: number;
  version: number;
  /** Canonical hash of the latest version; absent when it was not read because it is the lock's version. */
  hash?: string;
  /** The latest version was published by plx from this history: its content hash equals its own metadata.plx stamp's. */
  publishedByPlx?: boolean;
  /** The folder the template is in now. */
  folder?: readonly string[];
}

type Local = PushLocal;

/** Where a file moved since the last sync: the template follows it to `moveTo` (a folder) and its external ID follows. */
interface Relocation {
  /** The file is in another folder than its template, which did not move in PromptLayer: move the template there. */
  moveTo?: string[];
  /** The path the file had at the last sync, when it moved or was renamed since. */
  previousPath?: string;
}

/**
 * One template's or agent's fate, by what will happen to it. Every variant carries the local file's facts; the rest is what
 * that fate needs (an update knows the version it builds on, a conflict why it is one).
 */
export type PushItem =
  /** New in this repository, or (with --force) created again after PromptLayer deleted or renamed it. */
  | (Local & { action: "create"; reason?: string })
  /** Edited here: a new version on top of `remoteVersion`. `forced`: over an edit made in PromptLayer. */
  | (Local &
      Relocation & { action: "update"; id: number; remoteVersion: number; baseVersion?: number; forced?: boolean })
  /** PromptLayer holds exactly the local content, in `syncedVersion`; a moved file still moves its template. */
  | (Local & Relocation & { action: "unchanged"; id: number; remoteVersion: number; syncedVersion: number })
  /**
   * PromptLayer moved on while the file did not: edited there (pull brings it in), or deleted or renamed there
   * (`gone`). Nothing is sent; `syncedVersion` holds the local content when the template still exists.
   */
  | (Local & {
      action: "behind";
      id?: number;
      remoteVersion?: number;
      baseVersion: number;
      syncedVersion?: number;
      gone?: "deleted" | "renamed";
      reason: string;
    })
  /** Changed on both sides; nothing is sent while any exists. */
  | (Local & { action: "conflict"; id?: number; remoteVersion?: number; baseVersion?: number; reason: string })
  /** Cannot be published as it is; nothing is sent while any exists. */
  | (Local & { action: "invalid"; reason: string })
  /** The file was deleted here since the last sync while the template still exists: removed only with --delete. */
  | { action: "delete"; kind: SyncKind; name: string; path: string; id: number; baseVersion: number; hash: string };

export type PushAction = PushItem["action"];

/** The items whose content goes out as a new version. */
export type Publishing = Extract<PushItem, { action: "create" | "update" }>;
export const isPublishing = (item: PushItem): item is Publishing =>
  item.action === "create" || item.action === "update";

/** One kind at a time: names are unique within a kind, not across. */
export interface PushInputs {
  locals: readonly PushLocal[];
  lock: Readonly<Record<string, SyncedEntry>>;
  remotes: ReadonlyMap<string, PushRemote>;
  /** Every remote template's current name by id, to tell a template renamed in PromptLayer from one deleted there. */
  remoteNames: ReadonlyMap<number, string>;
  /** The folder each template's file was in at the last sync, from the lock's paths. */
  baseFolders: ReadonlyMap<string, readonly string[]>;
  force: boolean;
  /**
   * The prompts an agent may refer to: those in the repository and those in PromptLayer. An agent naming another one
   * cannot be published.
   */
  prompts?: ReadonlySet<string>;
  /**
   * Why a file cannot be published as it is (the errors `plx check` finds in it), asked only of the files that would
   * be; undefined when it can.
   */
  fileErrors?: (name: string) => string | undefined;
}

/** Whether plx must read a template's latest version to decide: only when it moved since the lock, or the lock does not know it. */
export function remoteNeedsRead(
  base: SyncedEntry | undefined,
  remote: { id: number; version: number } | undefined,
): boolean {
  // When the remote is exactly what the lock saw, a read tells nothing more.
  return remote !== undefined && (!base || base.id !== remote.id || base.version !== remote.version);
}

export function planPush(inputs: PushInputs): PushItem[] {
  return inputs.locals.map((local) => {
    const item = withMove(planOne(local, inputs), inputs);
    // Only a create or a move names a folder to PromptLayer; an update leaves the template where it is.
    const names =
      item.action === "create" || ("moveTo" in item && item.moveTo) ? unusableFolderName(local.folder) : undefined;
    if (names !== undefined)
      return {
        ...local,
        action: "invalid",
        reason: `the folder name "${names}" cannot be used with PromptLayer, which addresses folders by dot-separated paths; rename the directory`,
      };
    const errors = isPublishing(item) ? inputs.fileErrors?.(local.name) : undefined;
    if (errors !== undefined) return { ...local, action: "invalid", reason: errors };
    // PromptLayer refuses an agent version whose node names a prompt it does not have; publishing the repository
    // creates the prompts it holds first, so only a prompt in neither place is missing.
    const missing =
      local.kind === "agent" && isPublishing(item) && inputs.prompts
        ? local.prompts.filter((name) => !inputs.prompts!.has(name))
        : [];
    if (missing.length === 0) return item;
    return {
      ...local,
      action: "invalid",
      reason: `refers to ${missing.length === 1 ? "the prompt" : "the prompts"} ${missing.map((name) => `"${name}"`).join(", ")}, which neither this repository nor PromptLayer has`,
    };
  });
}

/**
 * Files deleted here since the last sync whose template PromptLayer still has (by id): planned as deletions, which
 * happen only with --delete. A template deleted on both sides needs nothing.
 */
export function planDeletions(
  kind: SyncKind,
  lock: Readonly<Record<string, SyncedEntry>>,
  localNames: ReadonlySet<string>,
  remoteNames: ReadonlyMap<number, string>,
  inScope: (name: string, path: string) => boolean,
): PushItem[] {
  return Object.entries(lock)
    .filter(([name, entry]) => !localNames.has(name) && remoteNames.has(entry.id) && inScope(name, entry.path))
    .map(([name, entry]) => ({
      action: "delete" as const,
      kind,
      name,
      path: entry.path,
      id: entry.id,
      baseVersion: entry.version,
      hash: entry.hash,
    }));
}

/**
 * Folders, three ways like content: a file moved since the last sync moves its template, unless PromptLayer moved it
 * too (pull brings that move in instead, and a conflict or a template left behind moves nowhere).
 */
function withMove(item: PushItem, { lock, remotes, baseFolders }: PushInputs): PushItem {
  if (item.action !== "update" && item.action !== "unchanged") return item;
  const remote = remotes.get(item.name);
  const base = lock[item.name];
  const baseFolder = baseFolders.get(item.name);
  if (!remote?.folder || !base || !baseFolder || base.id !== remote.id) return item;
  const moved = base.path === item.path ? item : { ...item, previousPath: base.path };
  if (sameFolder(item.folder, remote.folder) || !sameFolder(remote.folder, baseFolder)) return moved;
  return { ...moved, moveTo: [...item.folder] };
}

function planOne(local: PushLocal, { lock, remotes, remoteNames, force }: PushInputs): PushItem {
  const base = lock[local.name];
  const remote = remotes.get(local.name);
  const facts: Local =
    local.kind === "prompt"
      ? {
          kind: "prompt",
          name: local.name,
          path: local.path,
          hash: local.hash,
          folder: local.folder,
          snippets: local.snippets,
        }
      : {
          kind: "agent",
          name: local.name,
          path: local.path,
          hash: local.hash,
          folder: local.folder,
          prompts: local.prompts,
        };
  if (!remote)
    return base ? goneRemotely(facts, base, remoteNames.get(base.id), force) : { ...facts, action: "create" };
  const known = { id: remote.id, remoteVersion: remote.version, ...(base ? { baseVersion: base.version } : {}) };
  const remoteIsBase = base !== undefined && base.id === remote.id && base.version === remote.version;
  const remoteHash = remote.hash ?? (remoteIsBase ? base.hash : undefined);
  if (remoteHash === local.hash) {
    return {
      ...facts,
      action: "unchanged",
      id: remote.id,
      remoteVersion: remote.version,
      syncedVersion: remote.version,
    };
  }
  // The file is what the last sync left and only PromptLayer moved: nothing to push, and --force must not
  // quietly put the old content back over that edit.
  if (!remoteIsBase && base !== undefined && base.id === remote.id && base.hash === local.hash) {
    return {
      ...facts,
      action: "behind",
      id: remote.id,
      remoteVersion: remote.version,
      baseVersion: base.version,
      syncedVersion: base.version,
      reason: `PromptLayer has v${remote.version}, edited there since v${base.version}; plx pull brings it in`,
    };
  }
  // A newer version holding what the last sync saw (published as-is again, or by plx copying a version to move an
  // agent's label) loses nothing when the edit goes on top of it.
  const sameAsBase = base !== undefined && base.id === remote.id && remoteHash === base.hash;
  if (remoteIsBase || sameAsBase || remote.publishedByPlx) return { ...facts, action: "update", ...known };
  if (force) return { ...facts, action: "update", ...known, forced: true };
  return {
    ...facts,
    action: "conflict",
    ...known,
    reason: base
      ? `PromptLayer has v${remote.version}, edited outside this repo since v${base.version}, the version this repo last synced`
      : `PromptLayer already has a template named "${local.name}" (v${remote.version}) that this repo never synced`,
  };
}

/**
 * A template this repo synced that PromptLayer no longer has under its name. Creating it again would leave a
 * renamed template beside a duplicate, or bring back a deleted one: only an edited file with --force does that.
 */
function goneRemotely(local: Local, base: SyncedEntry, renamedTo: string | undefined, force: boolean): PushItem {
  const gone = renamedTo === undefined ? "deleted" : "renamed";
  const what = renamedTo === undefined ? "deleted in PromptLayer" : `renamed in PromptLayer to "${renamedTo}"`;
  const pull = renamedTo === undefined ? "plx pull --prune removes the file" : "plx pull moves the file";
  if (base.hash === local.hash) {
    return {
      ...local,
      action: "behind",
      baseVersion: base.version,
      gone,
      reason: `${what} since v${base.version}; ${pull}`,
    };
  }
  if (force) return { ...local, action: "create", reason: `created again: it was ${what}` };
  return {
    ...local,
    action: "conflict",
    baseVersion: base.version,
    reason: `${what} since v${base.version}, and edited here; ${pull}, or --force creates it again`,
  };
}

/**
 * The order to publish templates in: each after every snippet it uses that is published in the same run, as levels
 * whose members can go in parallel. A cycle among the local templates is an error naming it. Agents go after every
 * template, since they refer to prompts; nothing refers to an agent.
 */
export function publishLevels(
  items: readonly PushItem[],
  allLocal: ReadonlyMap<string, readonly string[]>,
): Publishing[][] {
  const cycle = findCycle(allLocal);
  if (cycle) throw new SnippetCycleError(cycle);
  const publishing = new Map(
    items.filter((item) => isPublishing(item) && item.kind === "prompt").map((item) => [item.name, item as Publishing]),
  );
  const depth = new Map<string, number>();
  const depthOf = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    const deps = (allLocal.get(name) ?? []).filter((dep) => publishing.has(dep));
    const level = deps.length === 0 ? 0 : 1 + Math.max(...deps.map(depthOf));
    depth.set(name, level);
    return level;
  };
  const levels: Publishing[][] = [];
  for (const item of publishing.values()) (levels[depthOf(item.name)] ??= []).push(item);
  return levels.filter((level) => level !== undefined);
}

export class SnippetCycleError extends Error {
  constructor(readonly cycle: string[]) {
    super(`snippet references form a cycle: ${cycle.join(" -> ")}`);
  }
}

function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === "done") return undefined;
    if (state.get(name) === "visiting") return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, "visiting");
    stack.push(name);
    for (const dep of graph.get(name) ?? []) {
      if (!graph.has(dep)) continue;
      const found = visit(dep);
      if (found) return found;
    }
    stack.pop();
    state.set(name, "done");
    return undefined;
  };
  for (const name of [...graph.keys()].sort()) {
    const found = visit(name);
    if (found) return found;
  }
  return undefined;
}
