// `plx pull`: the registry into files. Reads only what changed since the lock, plans every file's fate as a value
// (so --dry-run is the same path with the writes skipped), then writes atomically and updates the lock last.
import { createHash } from "node:crypto";
import { rm } from "node:fs/promises";
import { join, posix } from "node:path";
import { canonicalDoc } from "../core/canonical.js";
import { type LockEntry, type Lockfile, withSyncedLabels } from "../core/lock.js";
import { sameFolder } from "../core/folders.js";
import { nameKeyed } from "../core/records.js";
import {
  mustRead,
  planPull,
  type LocalFile,
  type PullAction,
  type PullSkipReason,
  type RemoteContent,
} from "../core/pull-plan.js";
import type { TemplateDoc } from "../core/template.js";
import type { ResolvedConfig } from "../config/schema.js";
import { plxError } from "../errors/index.js";
import { writeFileAtomic } from "../files/atomic.js";
import { assertWritesStayInside } from "../files/containment.js";
import { writeLockfile } from "../files/lockfile.js";
import { locationFromPath, placementAt, planPaths, type PlannedPath } from "../files/paths.js";
import { serializePromptFile, unwritableReason } from "../files/prompt-file.js";
import type { PromptLayerClient } from "../promptlayer/index.js";
import { readRepository } from "./repository.js";
import { eachWithin } from "./pool.js";
import { templateScope } from "./select.js";
import { followRenames, listRemote, readRemoteTemplate, refreshLabels, type RemoteHead } from "./remote.js";
import { assertSameWorkspace } from "./workspace.js";

export interface PullOptions {
  /** Template names or globs (matched against names and file paths); all when empty. */
  names: string[];
  dryRun: boolean;
  force: boolean;
  prune: boolean;
  /** --yes: prune many files at once, and pull even when most synced templates seem to be gone. */
  yes: boolean;
}

export interface PullDeps {
  client: PromptLayerClient;
  config: ResolvedConfig;
  /** Called as template reads finish, for a progress line. */
  onProgress?: (done: number, total: number) => void;
  /** Asked before --prune removes more files than it removes freely; absent = nobody to ask (refused without --yes). */
  confirmRemovals?: (paths: readonly string[]) => Promise<boolean>;
}

/** --prune removes up to this many files, and at most half of the synced ones, without asking. */
export const PRUNE_FREELY = 5;

export type PullItem = {
  name: string;
  path: string;
  action: PullAction<TemplateDoc>["kind"];
  version?: number;
  previousPath?: string;
  reason?: PullSkipReason | "remote-invalid";
  /** What is wrong with a remote version pull would not write. */
  detail?: string;
};

export interface PullReport {
  dryRun: boolean;
  items: PullItem[];
  counts: Record<PullAction<TemplateDoc>["kind"], number>;
  /** The label the pull tracks, when no template in PromptLayer carries it (a typo, most likely). */
  missingLabel?: string;
}

export async function pull(deps: PullDeps, options: PullOptions): Promise<PullReport> {
  const { client, config } = deps;
  // The listing's round trips overlap the reading of the files; an invalid file still stops the pull before any write.
  const [{ lock, templates }, listing] = await Promise.all([readRepository(config), listRemote(client, config.track)]);

  if (!options.yes) assertSameWorkspace(lock, listing.existing);
  const matches = templateScope(options.names, config.ignore);
  const heads = listing.heads.filter((head) => matches(head.name, head.folder));
  const locals = new Map<string, LocalFile>(
    templates.map((t) => [t.name, { name: t.name, path: t.path, hash: t.hash }]),
  );
  const fileHashes = new Map(templates.map((t) => [t.name, t.fileHash]));
  const { lock: base, renamed } = followRenames(lock, heads, locals);
  // Paths depend on every name at once (case clashes), whatever the names asked for; the listing gives names and folders.
  const paths = planPaths(
    listing.heads.map((head) => ({ name: head.name, folder: head.folder })),
    config.promptsDir,
  );
  const headsByName = new Map(heads.map((head) => [head.name, head]));
  const planFor = (name: string, content?: RemoteContent<TemplateDoc>) =>
    planPull({
      names: [name],
      locals,
      lock: base.templates,
      heads: headsByName,
      contents: new Map(content ? [[name, content]] : []),
      force: options.force,
      prune: options.prune,
    })[0]!;

  // Checked before the first read, since files are written as reads finish.
  assertWritesStayInside(config.rootDir, config.promptsDir, [
    ...[...paths.values()].map((planned) => planned.path),
    ...Object.values(base.templates).map((entry) => entry.path),
  ]);

  // A synced template that still exists but is not tracked (no tracked label) or not asked for is out of scope, not gone.
  const outOfScope = (name: string) =>
    !headsByName.has(name) && base.templates[name] !== undefined && listing.existing.has(base.templates[name]!.id);
  if (options.prune && !options.dryRun)
    await consentToRemovals(
      deps,
      options,
      base,
      planFor,
      (name) => !outOfScope(name) && matches(name, folderOfPath(base.templates[name]!.path, config.promptsDir)),
    );

  // Each template is planned and written as soon as it is read, so memory holds one template per request in
  // flight rather than the whole registry, and disk writes overlap the network.
  // A template renamed or moved to another folder is read even when its version did not move: its file moves.
  const localFolders = new Map(templates.map((t) => [t.name, t.folder]));
  const toRead = heads.filter(
    (head) =>
      renamed.has(head.name) ||
      movedRemotely(head, base.templates[head.name], locals.get(head.name), localFolders.get(head.name)) ||
      mustRead(head, base.templates[head.name], locals.get(head.name), options.force),
  );
  const items: PullItem[] = [];
  const fresh = new Map<string, Fresh>();
  let done = 0;
  // Twice the request limit in flight keeps the client's queue full without a task per template in memory.
  const reading = eachWithin(toRead, config.concurrency * 2, async (head) => {
    const template = await readRemoteTemplate(client, head);
    deps.onProgress?.(++done, toRead.length);
    if (!template) {
      headsByName.delete(head.name);
      return;
    }
    const placement = paths.get(head.name)!;
    // The file holds the canonical form, so that is what must pass plx's own check.
    const doc = canonicalDoc(template.doc);
    const unwritable = unwritableReason(doc, placement);
    if (unwritable) {
      items.push({
        name: head.name,
        path: placement.path,
        action: "skip",
        version: template.head.version,
        reason: "remote-invalid",
        detail: unwritable,
      });
      return;
    }
    const action = planFor(head.name, { head: template.head, doc, hash: template.hash, path: placement.path });
    fresh.set(head.name, {
      head: template.head,
      hash: template.hash,
      labels: template.labels,
      snippets: template.snippets,
    });
    if (!options.dryRun) {
      // An update written where the user moved the file keeps what that file must say about itself.
      const placed =
        action.path === placement.path ? placement : placementAt(action.path, head.name, config.promptsDir);
      const written = await applyOne(config.rootDir, action, placed);
      if (written) fileHashes.set(head.name, written);
    }
    items.push(itemOf(action));
  });
  await reading.catch(async (error: unknown) => {
    // Files already written are recorded, so a pull cut short by a failure leaves no phantom local edit behind.
    if (!options.dryRun && items.length > 0)
      await writeLockfile(config.rootDir, lockAfterFailure(lock, heads, items, { fresh, fileHashes })).catch(
        () => undefined,
      );
    throw error;
  });

  const readNames = new Set(toRead.map((head) => head.name));
  const rest = [
    ...new Set([
      ...headsByName.keys(),
      ...Object.keys(base.templates).filter((name) =>
        matches(name, locationFromPath(base.templates[name]!.path, config.promptsDir).folder),
      ),
    ]),
  ].filter(
    (name) =>
      (!readNames.has(name) || !headsByName.has(name)) &&
      (headsByName.has(name) || base.templates[name] !== undefined || locals.has(name)) &&
      !outOfScope(name),
  );
  for (const name of rest) {
    const action = planFor(name);
    if (!options.dryRun) await applyOne(config.rootDir, action, paths.get(name));
    items.push(itemOf(action));
  }
  items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  if (!options.dryRun) {
    const unread = new Set([...headsByName.values()].filter((head) => !fresh.has(head.name)).map((head) => head.id));
    // Every label name the repository knows, or saw on a template read now, is refreshed for every unread template
    // too, so the lock records those labels completely (publish relies on that to notice labels moved outside).
    const names = new Set([
      ...base.labels,
      ...Object.values(base.templates).flatMap((entry) => Object.keys(entry.labels)),
      ...[...fresh.values()].flatMap((read) => Object.keys(read.labels)),
      ...(config.track.kind === "label" ? [config.track.label] : []),
    ]);
    const labels = await refreshLabels(client, [...names].sort(), unread);
    const next = withSyncedLabels(nextLock(base, items, { fresh, labels, heads: headsByName, fileHashes }), names);
    await writeLockfile(config.rootDir, next);
  }
  const missingLabel =
    config.track.kind === "label" && listing.heads.length === 0 && listing.existing.size > 0
      ? config.track.label
      : undefined;
  return { ...report(items, options.dryRun), ...(missingLabel ? { missingLabel } : {}) };
}

const folderOfPath = (path: string, promptsDir: string) => locationFromPath(path, promptsDir).folder;

/**
 * --prune removes files of templates deleted in PromptLayer. Known from the listing alone, the removals are counted
 * before anything is written: more than a few, or more than half of what the repository syncs, need consent (--yes, or
 * an answer in a terminal), since a wrong key or a mistaken bulk delete would otherwise empty the repository.
 */
async function consentToRemovals(
  deps: PullDeps,
  options: PullOptions,
  base: Lockfile,
  planFor: (name: string) => PullAction<TemplateDoc>,
  inScope: (name: string) => boolean,
): Promise<void> {
  if (options.yes) return;
  const synced = Object.keys(base.templates);
  const removals = synced
    .filter(inScope)
    .map(planFor)
    .filter((action) => action.kind === "remove");
  if (removals.length <= PRUNE_FREELY && removals.length * 2 <= synced.length) return;
  const paths = removals.map((action) => action.path);
  if (deps.confirmRemovals && (await deps.confirmRemovals(paths))) return;
  throw plxError("PULL.PRUNE_NEEDS_CONSENT", {
    count: removals.length,
    synced: synced.length,
    examples: paths.slice(0, 3),
  });
}

/** What the lock needs of a template that was read; its content is not kept. */
interface Fresh {
  head: RemoteHead;
  hash: string;
  labels: Record<string, number>;
  snippets: string[];
}

/**
 * A template moved to another folder in PromptLayer while its file stayed where the last sync put it: read it, so
 * the plan moves the file. A file the user moved is left for push, which moves the template.
 */
function movedRemotely(
  head: RemoteHead,
  base: LockEntry | undefined,
  local: LocalFile | undefined,
  localFolder: readonly string[] | undefined,
): boolean {
  return (
    base !== undefined &&
    local !== undefined &&
    localFolder !== undefined &&
    base.id === head.id &&
    local.path === base.path &&
    !sameFolder(localFolder, head.folder)
  );
}

/** The lock as far as a failed pull got: the templates whose files it wrote, renames included, and nothing else. */
function lockAfterFailure(
  lock: Lockfile,
  heads: readonly RemoteHead[],
  items: readonly PullItem[],
  inputs: Pick<LockInputs, "fresh" | "fileHashes">,
): Lockfile {
  const written = new Set(items.map((item) => item.name));
  const { lock: base } = followRenames(
    lock,
    heads.filter((head) => written.has(head.name)),
    new Map(),
  );
  return nextLock(base, items, { ...inputs, labels: new Map(), heads: new Map() });
}

/** Carries out one action (whose remote doc is already canonical); returns the sha256 of the bytes written, if any. */
async function applyOne(
  rootDir: string,
  action: PullAction<TemplateDoc>,
  placement: PlannedPath | undefined,
): Promise<string | undefined> {
  if (action.kind === "create" || action.kind === "update") {
    const target = join(rootDir, action.path);
    const text = serializePromptFile(action.remote.doc, placement!);
    await writeFileAtomic(target, text);
    // Only a real move removes the old file: the same path spelt differently is the file just written.
    if (
      action.kind === "update" &&
      action.previousPath &&
      posix.normalize(action.previousPath) !== posix.normalize(action.path)
    ) {
      await rm(join(rootDir, action.previousPath), { force: true });
    }
    return createHash("sha256").update(text).digest("hex");
  }
  if (action.kind === "remove") await rm(join(rootDir, action.path), { force: true });
  return undefined;
}

function itemOf(action: PullAction<TemplateDoc>): PullItem {
  const item: PullItem = { name: action.name, path: action.path, action: action.kind };
  if (action.kind === "create" || action.kind === "update") item.version = action.remote.head.version;
  if (action.kind === "unchanged") item.version = action.version;
  if (action.kind === "update" && action.previousPath) item.previousPath = action.previousPath;
  if (action.kind === "skip") item.reason = action.reason;
  return item;
}

interface LockInputs {
  fresh: ReadonlyMap<string, Fresh>;
  labels: ReadonlyMap<number, Record<string, number>>;
  heads: ReadonlyMap<string, RemoteHead>;
  fileHashes: ReadonlyMap<string, string>;
}

function nextLock(
  base: Lockfile,
  items: readonly PullItem[],
  { fresh, labels, heads, fileHashes }: LockInputs,
): Lockfile {
  const templates = nameKeyed(base.templates);
  for (const item of items) {
    const read = fresh.get(item.name);
    const file = fileHashes.get(item.name);
    const withFile = <T extends object>(entry: T) => (file === undefined ? entry : { ...entry, file });
    const previous = templates[item.name];
    // A file the user moved (and this pull left where they put it) keeps its synced path here: the move is a local
    // change, which push carries out, and a later pull must not take it for a move made in PromptLayer.
    const userMoved = previous !== undefined && previous.path !== item.path && item.previousPath === undefined;
    if ((item.action === "create" || item.action === "update" || item.action === "unchanged") && read) {
      const entry = {
        id: read.head.id,
        path: userMoved ? previous.path : item.path,
        version: read.head.version,
        hash: read.hash,
        labels: read.labels,
        snippets: read.snippets,
      };
      templates[item.name] = userMoved ? entry : withFile(entry);
    } else if (item.action === "unchanged") {
      if (previous && heads.has(item.name)) {
        const refreshed = { ...previous, labels: labels.get(previous.id) ?? previous.labels };
        templates[item.name] = userMoved ? refreshed : withFile(refreshed);
      }
    } else if (item.action === "remove") {
      delete templates[item.name];
    }
  }
  return { ...base, templates };
}

function report(items: PullItem[], dryRun: boolean): PullReport {
  const counts = { create: 0, update: 0, unchanged: 0, skip: 0, remove: 0, gone: 0 };
  for (const item of items) counts[item.action] += 1;
  return { dryRun, items, counts };
}
