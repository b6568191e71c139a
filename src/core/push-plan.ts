// Push as a plan: per template, whether it is created, updated, left alone, refused as a conflict or invalid.
// Pure; `plx push --dry-run` prints this value, a saved plan is this value on disk, and the real push applies it.
import { sameFolder, unusableFolderName } from "./folders.js";
import type { LockEntry } from "./lock.js";

export type PushAction = "create" | "update" | "unchanged" | "conflict" | "invalid";

export interface PushLocal {
  name: string;
  path: string;
  hash: string;
  folder: string[];
  /** Snippet names the template references. */
  snippets: string[];
}

/** What plx knows of the remote template: its id and latest version, and, when it was read, that version's content. */
export interface PushRemote {
  id: number;
  version: number;
  /** Canonical hash of the latest version; absent when it was not read because it is the lock's version. */
  hash?: string;
  /** The latest version was published by plx: its content hash equals the hash in its own metadata.plx stamp. */
  publishedByPlx?: boolean;
  /** The folder the template is in now. */
  folder?: readonly string[];
}

export interface PushItem {
  name: string;
  path: string;
  action: PushAction;
  hash: string;
  folder: string[];
  snippets: string[];
  id?: number;
  baseVersion?: number;
  remoteVersion?: number;
  /** For an unchanged template, the remote version that holds exactly the local content (where a label goes). */
  syncedVersion?: number;
  /** Set for an unchanged template whose remote moved on while the local file did not: nothing to send. */
  remoteAhead?: boolean;
  /** The file moved to another folder since the last sync, and the template in PromptLayer did not: move it there. */
  moveTo?: string[];
  /** Where the file was at the last sync, when it has moved or been renamed since: its external ID follows it. */
  previousPath?: string;
  reason?: string;
}

export interface PushInputs {
  locals: readonly PushLocal[];
  lock: Readonly<Record<string, LockEntry>>;
  remotes: ReadonlyMap<string, PushRemote>;
  /** Every remote template's current name by id, to tell a template renamed in PromptLayer from one deleted there. */
  remoteNames: ReadonlyMap<number, string>;
  /** The folder each template's file was in at the last sync, from the lock's paths. */
  baseFolders: ReadonlyMap<string, readonly string[]>;
  force: boolean;
}

/** Whether plx must read a template's latest version to decide: only when it moved since the lock, or the lock does not know it. */
export function remoteNeedsRead(
  base: LockEntry | undefined,
  remote: { id: number; version: number } | undefined,
): boolean {
  // When the remote is exactly what the lock saw, a read tells nothing more.
  return remote !== undefined && (!base || base.id !== remote.id || base.version !== remote.version);
}

export function planPush(inputs: PushInputs): PushItem[] {
  return planEach(inputs).map((planned) => {
    const item = withMove(planned, inputs);
    // Only a create or a move names a folder to PromptLayer; an update leaves the template where it is.
    const bad = item.action === "create" || item.moveTo ? unusableFolderName(item.folder) : undefined;
    return bad === undefined
      ? item
      : {
          ...item,
          action: "invalid",
          reason: `the folder name "${bad}" cannot be used with PromptLayer, which addresses folders by dot-separated paths; rename the directory`,
        };
  });
}

/**
 * Folders, three ways like content: a file moved since the last sync moves its template, unless PromptLayer moved it
 * too (pull brings that move in instead, and a conflict or a skipped template moves nowhere).
 */
function withMove(item: PushItem, { lock, remotes, baseFolders }: PushInputs): PushItem {
  const remote = remotes.get(item.name);
  const base = lock[item.name];
  const baseFolder = baseFolders.get(item.name);
  if (
    !remote?.folder ||
    !base ||
    !baseFolder ||
    base.id !== remote.id ||
    item.action === "conflict" ||
    item.action === "create" ||
    item.remoteAhead
  )
    return item;
  const moved = base.path === item.path ? item : { ...item, previousPath: base.path };
  if (sameFolder(item.folder, remote.folder) || !sameFolder(remote.folder, baseFolder)) return moved;
  return { ...moved, moveTo: [...item.folder] };
}

function planEach({ locals, lock, remotes, remoteNames, force }: PushInputs): PushItem[] {
  return locals.map((local) => {
    const base = lock[local.name];
    const remote = remotes.get(local.name);
    const item: PushItem = {
      name: local.name,
      path: local.path,
      action: "unchanged",
      hash: local.hash,
      folder: local.folder,
      snippets: local.snippets,
    };
    if (base) item.baseVersion = base.version;
    if (!remote)
      return base ? goneRemotely(item, base, local, remoteNames.get(base.id), force) : { ...item, action: "create" };
    Object.assign(item, { id: remote.id, remoteVersion: remote.version });
    const remoteHash =
      remote.hash ?? (base && base.id === remote.id && base.version === remote.version ? base.hash : undefined);
    if (remoteHash === local.hash) return { ...item, syncedVersion: remote.version };
    const remoteIsBase = base !== undefined && base.id === remote.id && base.version === remote.version;
    // The file is what the last sync left and only PromptLayer moved: nothing to push, and --force must not
    // quietly put the old content back over that edit.
    if (!remoteIsBase && base !== undefined && base.id === remote.id && base.hash === local.hash) {
      return {
        ...item,
        syncedVersion: base.version,
        remoteAhead: true,
        reason: `PromptLayer has v${remote.version}, edited there since v${base.version}; plx pull brings it in`,
      };
    }
    if (remoteIsBase || remote.publishedByPlx || force)
      return {
        ...item,
        action: "update",
        ...(force && !remoteIsBase && !remote.publishedByPlx ? { reason: "forced over a remote edit" } : {}),
      };
    return {
      ...item,
      action: "conflict",
      reason: base
        ? `PromptLayer has v${remote.version}, edited outside this repo since v${base.version}, the version this repo last synced`
        : `PromptLayer already has a template named "${local.name}" (v${remote.version}) that this repo never synced`,
    };
  });
}

/**
 * A template this repo synced that PromptLayer no longer has under its name. Creating it again would leave a
 * renamed template beside a duplicate, or bring back a deleted one: only an edited file with --force does that.
 */
function goneRemotely(
  item: PushItem,
  base: LockEntry,
  local: PushLocal,
  renamedTo: string | undefined,
  force: boolean,
): PushItem {
  const what = renamedTo === undefined ? "deleted in PromptLayer" : `renamed in PromptLayer to "${renamedTo}"`;
  const pull = renamedTo === undefined ? "plx pull --prune removes the file" : "plx pull moves the file";
  if (base.hash === local.hash)
    return { ...item, remoteAhead: true, reason: `${what} since v${base.version}; ${pull}` };
  if (force) return { ...item, action: "create", reason: `created again: it was ${what}` };
  return {
    ...item,
    action: "conflict",
    reason: `${what} since v${base.version}, and edited here; ${pull}, or --force creates it again`,
  };
}

/**
 * The order to publish in: a template after every snippet it uses that is published in the same run, as levels
 * whose members can go in parallel. A cycle among the local templates is an error naming it.
 */
export function publishLevels(
  items: readonly PushItem[],
  allLocal: ReadonlyMap<string, readonly string[]>,
): PushItem[][] {
  const cycle = findCycle(allLocal);
  if (cycle) throw new SnippetCycleError(cycle);
  const publishing = new Map(
    items.filter((item) => item.action === "create" || item.action === "update").map((item) => [item.name, item]),
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
  const levels: PushItem[][] = [];
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
