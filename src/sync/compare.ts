// Three-way comparison for `plx diff` and `plx status`: local files, the lock (the last sync) and, when asked, the
// remote. Offline status needs no request at all; the remote side reads content only where something moved.
import { createTwoFilesPatch } from "diff";
import { canonicalDoc } from "../core/canonical.js";
import type { LockEntry, Lockfile } from "../core/lock.js";
import { sameFolder } from "../core/folders.js";
import { classify, type SyncState } from "../core/sync-state.js";
import type { TemplateDoc } from "../core/template.js";
import type { ResolvedConfig } from "../config/schema.js";
import type { LocalTemplate } from "../files/local.js";
import { locationFromPath, planPaths } from "../files/paths.js";
import { type FileProblem, serializePromptFile } from "../files/prompt-file.js";
import type { PromptLayerClient } from "../promptlayer/index.js";
import { assertProject, readRepositoryTolerantly } from "./repository.js";
import { type TemplateMatcher, templateScope } from "./select.js";
import { followRenames, listRemote, readRemoteTemplate, type RemoteHead, type RemoteTemplate } from "./remote.js";

export interface Change {
  name: string;
  path: string;
  state: Exclude<SyncState, "in-sync">;
  baseVersion?: number;
  remoteVersion?: number;
  /** Unified diff of the canonical YAML, remote (or last sync) first; absent when a side has no content to show. */
  patch?: string;
  added: number;
  removed: number;
  /** For a changed snippet: the templates that reference it, and so change with it. */
  usedBy?: string[];
  /** The file moved (or was renamed) here since the last sync, from this path: push moves the template. */
  movedFrom?: string;
  /** PromptLayer moved the template to this folder while its file stayed: pull moves the file. */
  movedTo?: string[];
  /** PromptLayer renamed the template from this name: pull moves the file to the new name. */
  renamedFrom?: string;
}

/**
 * A move is a change even when the content is not: a file moved since the last sync, or, given the remote, a
 * template moved to another folder there. The path-derived folder is a cheap first test; the file's own (which
 * may name a folder its path cannot spell) decides.
 */
function moveOf(
  local: LocalTemplate | undefined,
  base: LockEntry | undefined,
  head: RemoteHead | undefined,
): Pick<Change, "movedFrom" | "movedTo"> {
  if (!local || !base) return {};
  if (local.path !== base.path) return { movedFrom: base.path };
  if (
    head &&
    head.id === base.id &&
    !sameFolder(local.folder, head.folder) &&
    !sameFolder(local.doc.folder, head.folder)
  )
    return { movedTo: head.folder };
  return {};
}

export interface Comparison {
  /** Whether the remote was consulted, or only the lock. */
  remote: boolean;
  track: string;
  changes: Change[];
  inSync: number;
  /** Files that could not be read: reported, and their templates left out of the comparison. */
  invalid: FileProblem[];
}

interface Snapshot {
  lock: Lockfile;
  locals: Map<string, LocalTemplate>;
  matches: TemplateMatcher;
  invalid: FileProblem[];
}

/**
 * The local side. One bad file does not stop the comparison of every other template: it is reported, and the
 * template it holds (known from the lock by its path) is left out rather than taken for deleted.
 */
async function snapshot(config: ResolvedConfig, names: readonly string[]): Promise<Snapshot> {
  assertProject(config);
  const { lock, templates, problems } = await readRepositoryTolerantly(config);
  const unreadable = new Set(problems.map((problem) => problem.path));
  const inScope = templateScope(names, config.ignore);
  const matches: TemplateMatcher = (name, folder) => {
    const entry = lock.templates[name];
    return inScope(name, folder) && !(entry !== undefined && unreadable.has(entry.path));
  };
  return { lock, locals: new Map(templates.map((t) => [t.name, t])), matches, invalid: problems };
}

const folderOfPath = (path: string, promptsDir: string) => locationFromPath(path, promptsDir).folder;

/** Local files against the lock only: what changed here since the last sync. No network. */
export async function compareOffline(config: ResolvedConfig, names: readonly string[]): Promise<Comparison> {
  const snap = await snapshot(config, names);
  const { lock, locals, matches } = snap;
  const all = [...new Set([...locals.keys(), ...Object.keys(lock.templates)])].sort();
  const changes: Change[] = [];
  let inSync = 0;
  for (const name of all) {
    const local = locals.get(name);
    const base = lock.templates[name];
    if (!matches(name, local?.folder ?? folderOfPath(base!.path, config.promptsDir))) continue;
    // Offline, the remote is assumed to be where the lock left it.
    const move = moveOf(local, base, undefined);
    const state = withMove(classify(local, base, base && { version: base.version, hash: base.hash }), move);
    if (state === "in-sync") inSync += 1;
    else {
      const users = usersOf(name, locals);
      changes.push({
        name,
        path: local?.path ?? base!.path,
        state,
        baseVersion: base?.version,
        added: 0,
        removed: 0,
        ...(users.length > 0 ? { usedBy: users } : {}),
        ...move,
      });
    }
  }
  return { remote: false, track: trackName(config), changes, inSync, invalid: snap.invalid };
}

export interface RemoteCompareDeps {
  client: PromptLayerClient;
  config: ResolvedConfig;
  onProgress?: (done: number, total: number) => void;
}

/** Local files, lock and remote: every difference, with a diff of the canonical YAML of each side. */
export async function compareWithRemote(deps: RemoteCompareDeps, names: readonly string[]): Promise<Comparison> {
  const { client, config } = deps;
  const [snap, listing] = await Promise.all([snapshot(config, names), listRemote(client, config.track)]);
  const { locals, matches } = snap;
  const heads = new Map(
    listing.heads.filter((head) => matches(head.name, head.folder)).map((head) => [head.name, head]),
  );
  // As pull does: a template renamed in PromptLayer is one template under its new name, not a deletion and an addition.
  const { lock, renamed } = followRenames(snap.lock, [...heads.values()], locals);
  // A synced template that exists but is not tracked (no tracked label) or not asked for is out of scope, not deleted.
  const outOfScope = (name: string) =>
    !heads.has(name) && lock.templates[name] !== undefined && listing.existing.has(lock.templates[name]!.id);
  const inScope = [
    ...new Set([
      ...heads.keys(),
      ...[...locals.values()].filter((l) => matches(l.name, l.folder)).map((l) => l.name),
      ...Object.keys(lock.templates).filter((name) =>
        matches(name, folderOfPath(lock.templates[name]!.path, config.promptsDir)),
      ),
    ]),
  ]
    .filter((name) => !outOfScope(name))
    .sort();

  // Content is read only where the remote moved or the file differs from the lock: elsewhere all three agree.
  const toRead = inScope.flatMap((name) => {
    const head = heads.get(name);
    const base = lock.templates[name];
    const local = locals.get(name);
    return head && (!base || base.version !== head.version || base.id !== head.id || !local || local.hash !== base.hash)
      ? [head]
      : [];
  });
  let done = 0;
  const read = new Map(
    (
      await Promise.all(
        toRead.map(async (head) => {
          const template = await readRemoteTemplate(client, head);
          deps.onProgress?.(++done, toRead.length);
          return template;
        }),
      )
    )
      .filter((t): t is RemoteTemplate => t !== undefined)
      .map((t) => [t.head.name, t]),
  );

  const changes: Change[] = [];
  let inSync = 0;
  for (const name of inScope) {
    const local = locals.get(name);
    const base = lock.templates[name];
    const head = heads.get(name);
    const remote = read.get(name);
    const remoteSide = remoteSideOf(head, remote, base);
    const move = { ...moveOf(local, base, head), ...(renamed.has(name) ? { renamedFrom: renamed.get(name)! } : {}) };
    const contentState = classify(local, base, remoteSide);
    const state = withMove(contentState, move);
    if (state === "in-sync") {
      inSync += 1;
      continue;
    }
    const change: Change = {
      name,
      path: local?.path ?? base?.path ?? pathFor(config, remote!.doc),
      state,
      baseVersion: base?.version,
      remoteVersion: head?.version,
      added: 0,
      removed: 0,
      ...move,
    };
    // A move or rename alone has no content to diff.
    if (contentState !== "in-sync" && (remote || local))
      Object.assign(change, patchOf(change.path, remote?.doc, local?.doc, head));
    const users = usersOf(name, locals);
    if (users.length > 0) change.usedBy = users;
    changes.push(change);
  }
  return { remote: true, track: trackName(config), changes, inSync, invalid: snap.invalid };
}

/** Content in sync but moved or renamed: a change on the side that did it. */
function withMove(state: SyncState, move: Pick<Change, "movedFrom" | "movedTo" | "renamedFrom">): SyncState {
  if (state !== "in-sync") return state;
  return move.movedFrom !== undefined
    ? "local-changed"
    : move.movedTo !== undefined || move.renamedFrom !== undefined
      ? "remote-changed"
      : state;
}

function remoteSideOf(head: RemoteHead | undefined, remote: RemoteTemplate | undefined, base: LockEntry | undefined) {
  if (!head) return undefined;
  if (remote) return { version: head.version, hash: remote.hash };
  // Not read because it is exactly where the lock left it.
  return base && { version: base.version, hash: base.hash };
}

function pathFor(config: ResolvedConfig, doc: TemplateDoc): string {
  return planPaths([{ name: doc.name, folder: doc.folder }], config.promptsDir).get(doc.name)!.path;
}

/** Both sides rendered from their canonical form, so a diff shows meaning, not server defaults or key order. */
export function patchOf(
  path: string,
  remote: TemplateDoc | undefined,
  local: TemplateDoc | undefined,
  head: Pick<RemoteHead, "version"> | undefined,
) {
  const render = (doc: TemplateDoc | undefined) =>
    doc ? serializePromptFile(canonicalDoc(doc), { nameInFile: false, folderInFile: false }) : "";
  const patch = createTwoFilesPatch(
    remote ? `remote/${path}` : "/dev/null",
    local ? `local/${path}` : "/dev/null",
    render(remote),
    render(local),
    head ? `PromptLayer v${head.version}` : undefined,
    local ? "working tree" : undefined,
    { context: 3 },
  );
  // Drop the separator line the library puts first; keep the ---/+++ headers and the hunks.
  const lines = patch.split("\n").filter((line, index) => !(index === 0 && line.startsWith("=")));
  const hunks = lines.slice(2);
  return {
    patch: lines.join("\n"),
    added: hunks.filter((line) => line.startsWith("+")).length,
    removed: hunks.filter((line) => line.startsWith("-")).length,
  };
}

/** Local templates that reference `name` as a snippet. */
function usersOf(name: string, locals: ReadonlyMap<string, LocalTemplate>): string[] {
  return [...locals.values()]
    .filter((local) => local.name !== name && local.snippets.includes(name))
    .map((local) => local.name)
    .sort();
}

function trackName(config: ResolvedConfig): string {
  return config.track.kind === "latest" ? "latest" : `label:${config.track.label}`;
}
