import type { SyncedEntry } from "./lock.js";
import type { RemoteHead as FullHead } from "./remote-head.js";
import { classify, type SyncState } from "./sync-state.js";

/**
 * Pull as a plan: what each template's (or agent's) file should become, decided from the local file, the lock and
 * the remote. Pure and generic over the document; `plx pull --dry-run` prints this and the real pull applies it.
 */

export interface LocalFile {
  name: string;
  /** Repo-relative path, forward slashes. */
  path: string;
  hash: string;
}

/** What pull needs of a listed template: which it is, and the version it targets (latest, or the tracked label's). */
export type RemoteHead = Pick<FullHead, "id" | "name" | "version">;

export interface RemoteContent<Doc> {
  head: RemoteHead;
  doc: Doc;
  hash: string;
  /** Where the template's file belongs, from its folder and name. */
  path: string;
}

export type PullSkipReason = "local-changed" | "conflict" | "local-deleted";

export type PullAction<Doc> =
  | { kind: "create"; name: string; path: string; remote: RemoteContent<Doc> }
  | { kind: "update"; name: string; path: string; remote: RemoteContent<Doc>; previousPath?: string }
  | { kind: "unchanged"; name: string; path: string; version: number }
  | { kind: "skip"; name: string; path: string; reason: PullSkipReason; state: SyncState }
  | { kind: "remove"; name: string; path: string }
  | { kind: "gone"; name: string; path: string };

/**
 * Whether pull must read a template's content. Reading is the expensive part (one request per
 * template), so a template whose remote version is the one the lock already holds, and whose
 * file is still there, is not read at all.
 */
export function mustRead(
  head: RemoteHead,
  base: SyncedEntry | undefined,
  local: LocalFile | undefined,
  force: boolean,
): boolean {
  if (force || !base || !local) return true;
  return base.version !== head.version || base.id !== head.id;
}

export interface PullInputs<Doc> {
  names: string[];
  locals: ReadonlyMap<string, LocalFile>;
  lock: Readonly<Record<string, SyncedEntry>>;
  /** Remote heads of every template in scope; absent = the template no longer exists remotely. */
  heads: ReadonlyMap<string, RemoteHead>;
  /** Content read for the heads that mustRead said to read. */
  contents: ReadonlyMap<string, RemoteContent<Doc>>;
  force: boolean;
  prune: boolean;
}

export function planPull<Doc>(inputs: PullInputs<Doc>): Array<PullAction<Doc>> {
  return inputs.names.map((name) => planOne(name, inputs));
}

function planOne<Doc>(name: string, inputs: PullInputs<Doc>): PullAction<Doc> {
  const local = inputs.locals.get(name);
  const base = inputs.lock[name];
  const head = inputs.heads.get(name);
  const content = inputs.contents.get(name);

  if (!head) {
    const path = local?.path ?? base!.path;
    const state = classify(local, base, undefined);
    if (state === "remote-deleted" && local)
      return inputs.prune ? { kind: "remove", name, path } : { kind: "gone", name, path };
    if (!local) return { kind: "gone", name, path };
    return inputs.force && inputs.prune
      ? { kind: "remove", name, path }
      : { kind: "skip", name, path, reason: "conflict", state };
  }

  // Not read: the remote is still at the lock's version and the file exists.
  if (!content) {
    const path = local?.path ?? base?.path ?? "";
    const state = classify(local, base, base && { version: base.version, hash: base.hash });
    if (state === "in-sync") return { kind: "unchanged", name, path, version: head.version };
    return { kind: "skip", name, path, reason: skipReason(state), state };
  }

  const remote = { version: head.version, hash: content.hash };
  const state = inputs.force ? "remote-changed" : classify(local, base, remote);
  if (!local) {
    if (state === "remote-only" || inputs.force) return { kind: "create", name, path: content.path, remote: content };
    return { kind: "skip", name, path: base?.path ?? content.path, reason: skipReason(state), state };
  }
  // A file the user moved since the last sync stays where they put it (push moves the template); otherwise the
  // file follows the remote's name and folder.
  const target = base !== undefined && local.path !== base.path ? local.path : content.path;
  const moved = local.path !== target;
  if (state === "in-sync" && !moved) return { kind: "unchanged", name, path: local.path, version: head.version };
  if (state === "in-sync" || state === "remote-changed") {
    return { kind: "update", name, path: target, remote: content, ...(moved ? { previousPath: local.path } : {}) };
  }
  return { kind: "skip", name, path: local.path, reason: skipReason(state), state };
}

function skipReason(state: SyncState): PullSkipReason {
  if (state === "local-deleted") return "local-deleted";
  if (state === "local-changed" || state === "local-only") return "local-changed";
  return "conflict";
}
