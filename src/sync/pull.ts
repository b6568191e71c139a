// `plx pull`: the registry into files, prompts and agents alike. Reads only what changed since the lock, plans every
// file's fate as a value (so --dry-run is the same path with the writes skipped), then writes atomically and updates
// the lock last.
import { createHash } from "node:crypto";
import { rm } from "node:fs/promises";
import { join, posix } from "node:path";
import type { AgentDoc } from "../agents/doc.js";
import { canonicalDoc } from "../core/canonical.js";
import {
  type AgentLockEntry,
  type LockEntry,
  type Lockfile,
  type SyncedEntry,
  withSyncedLabels,
  type SyncKind,
} from "../core/lock.js";
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
import { serializeAgentFile, unwritableAgentReason } from "../files/agent-file.js";
import { writeFileAtomic } from "../files/atomic.js";
import { assertWritesStayInside } from "../files/containment.js";
import { writeLockfile } from "../files/lockfile.js";
import {
  AGENT_FILE_SUFFIX,
  type FileSuffix,
  locationFromPath,
  placementAt,
  planFilePaths,
  type PlannedPath,
  PROMPT_FILE_SUFFIX,
} from "../files/paths.js";
import { serializePromptFile, unwritableReason } from "../files/prompt-file.js";
import type { PromptLayerClient } from "../promptlayer/index.js";
import { eachWithin } from "./pool.js";
import {
  agentLabelPositions,
  followRenames,
  listRemote,
  readRemoteAgent,
  readRemoteTemplate,
  refreshLabels,
  type RemoteHead,
  type RemoteListing,
} from "./remote.js";
import { type Repository, readRepository } from "./repository.js";
import { templateScope } from "./select.js";
import { assertSameWorkspace } from "./workspace.js";

export interface PullOptions {
  /** Template and agent names or globs (matched against names and file paths); all when empty. */
  names: string[];
  dryRun: boolean;
  force: boolean;
  prune: boolean;
  /** --yes: prune many files at once, and pull even when most synced templates seem to be gone. */
  yes: boolean;
  /** Only these kinds (a template and an agent may share a name); both when absent. */
  kinds?: readonly SyncKind[];
}

export interface PullDeps {
  client: PromptLayerClient;
  config: ResolvedConfig;
  /** Called as reads finish, for a progress line. */
  onProgress?: (done: number, total: number) => void;
  /** Asked before --prune removes more files than it removes freely; absent = nobody to ask (refused without --yes). */
  confirmRemovals?: (paths: readonly string[]) => Promise<boolean>;
}

/** --prune removes up to this many files, and at most half of the synced ones, without asking. */
export const PRUNE_FREELY = 5;

export type PullItem = {
  kind: SyncKind;
  name: string;
  path: string;
  action: PullAction<unknown>["kind"];
  version?: number;
  previousPath?: string;
  reason?: PullSkipReason | "remote-invalid";
  /** What is wrong with a remote version pull would not write. */
  detail?: string;
};

export interface PullReport {
  dryRun: boolean;
  items: PullItem[];
  counts: Record<PullAction<unknown>["kind"], number>;
  /** The label the pull tracks, when nothing in PromptLayer carries it (a typo, most likely). */
  missingLabel?: string;
}

/** A remote version read for pulling: its canonical document, and what the lock records of it. */
interface RemoteRead<Doc> {
  head: RemoteHead;
  doc: Doc;
  hash: string;
  labels: Record<string, number>;
  /** Snippets a template uses, or prompts an agent refers to. */
  refs: string[];
}

/** What differs between pulling prompts and pulling agents. */
interface PullKind<Doc, Entry extends SyncedEntry> {
  kind: SyncKind;
  suffix: FileSuffix;
  heads: (listing: RemoteListing) => RemoteHead[];
  existing: (listing: RemoteListing) => ReadonlySet<number>;
  entries: (lock: Lockfile) => Record<string, Entry>;
  locals: (repository: Repository) => ReadonlyArray<LocalFile & { folder: string[]; fileHash: string }>;
  read: (client: PromptLayerClient, head: RemoteHead) => Promise<RemoteRead<Doc> | undefined>;
  unwritable: (doc: Doc, placement: PlannedPath) => string | undefined;
  serialize: (doc: Doc, placement: PlannedPath) => string;
  entry: (synced: SyncedEntry, refs: string[]) => Entry;
  /** Every label of each of these, by id; `names` are the label names the lock records completely. */
  labels: (
    client: PromptLayerClient,
    names: readonly string[],
    ids: ReadonlySet<number>,
  ) => Promise<Map<number, Record<string, number>>>;
}

const PROMPTS: PullKind<TemplateDoc, LockEntry> = {
  kind: "prompt",
  suffix: PROMPT_FILE_SUFFIX,
  heads: (listing) => listing.heads,
  existing: (listing) => listing.existing,
  entries: (lock) => lock.templates,
  locals: (repository) => repository.templates,
  read: async (client, head) => {
    const template = await readRemoteTemplate(client, head);
    // The file holds the canonical form, so that is what must pass plx's own check.
    return template && { ...template, doc: canonicalDoc(template.doc), refs: template.snippets };
  },
  unwritable: unwritableReason,
  serialize: serializePromptFile,
  entry: (synced, refs) => ({ ...synced, snippets: refs }),
  labels: (client, names, ids) => refreshLabels(client, names, ids),
};

const AGENTS: PullKind<AgentDoc, AgentLockEntry> = {
  kind: "agent",
  suffix: AGENT_FILE_SUFFIX,
  heads: (listing) => listing.agents,
  existing: (listing) => listing.existingAgents,
  entries: (lock) => lock.agents,
  locals: (repository) => repository.agents,
  read: async (client, head) => {
    const agent = await readRemoteAgent(client, head);
    return agent && { ...agent, refs: agent.prompts };
  },
  unwritable: unwritableAgentReason,
  serialize: serializeAgentFile,
  entry: (synced, refs) => ({ ...synced, prompts: refs }),
  // An agent's labels are read whole, so its record is complete for every label name.
  labels: (client, _names, ids) => agentLabelPositions(client, [...ids]),
};

/** One kind's pull, as it goes: what it plans from, and what it has done. */
interface Pass<Doc, Entry extends SyncedEntry> {
  spec: PullKind<Doc, Entry>;
  /** The lock's section, with renames made in PromptLayer followed. */
  base: Record<string, Entry>;
  renamed: Map<string, string>;
  /** Heads in scope: asked for, not ignored. */
  heads: RemoteHead[];
  headsByName: Map<string, RemoteHead>;
  locals: Map<string, LocalFile>;
  localFolders: Map<string, readonly string[]>;
  fileHashes: Map<string, string>;
  paths: ReadonlyMap<string, PlannedPath>;
  /** Synced, still existing, yet not tracked (no tracked label) or not asked for: out of scope, not gone. */
  outOfScope: (name: string) => boolean;
  /** Within the names and globs asked for, by name and folder. */
  inScope: (name: string, folder: readonly string[]) => boolean;
  planFor: (name: string, content?: RemoteContent<Doc>) => PullAction<Doc>;
  toRead: RemoteHead[];
  items: PullItem[];
  fresh: Map<string, Fresh>;
}

/** What the lock needs of a version that was read; its content is not kept. */
interface Fresh {
  head: RemoteHead;
  hash: string;
  labels: Record<string, number>;
  refs: string[];
}

export async function pull(deps: PullDeps, options: PullOptions): Promise<PullReport> {
  const { client, config } = deps;
  // The listing's round trips overlap the reading of the files; an invalid file still stops the pull before any write.
  const [repository, listing] = await Promise.all([readRepository(config), listRemote(client, config.track)]);
  const { lock } = repository;

  if (!options.yes) assertSameWorkspace(lock, listing);
  const inScope = templateScope(options.names, config.ignore);
  const matchesOf = (kind: SyncKind) => (!options.kinds || options.kinds.includes(kind) ? inScope : () => false);
  // Paths depend on every name at once (case clashes, and prompts and agents share one tree), whatever the names asked
  // for; the listing gives names and folders.
  const planned = planFilePaths(
    [
      ...listing.heads.map((head) => ({ name: head.name, folder: head.folder, suffix: PROMPTS.suffix })),
      ...listing.agents.map((head) => ({ name: head.name, folder: head.folder, suffix: AGENTS.suffix })),
    ],
    config.promptsDir,
  );
  const pathsOf = (heads: readonly RemoteHead[], offset: number) =>
    new Map(heads.map((head, index) => [head.name, planned[offset + index]!]));
  const prompts = startPass(PROMPTS, options, repository, listing, matchesOf("prompt"), pathsOf(listing.heads, 0));
  const agents = startPass(
    AGENTS,
    options,
    repository,
    listing,
    matchesOf("agent"),
    pathsOf(listing.agents, listing.heads.length),
  );
  const passes = [prompts, agents] as const;

  // Checked before the first read, since files are written as reads finish.
  assertWritesStayInside(config.rootDir, config.promptsDir, [
    ...planned.map((path) => path.path),
    ...passes.flatMap((pass) => Object.values(pass.base).map((e) => e.path)),
  ]);
  if (options.prune && !options.dryRun)
    await consentToRemovals(deps, options, [removalsOf(prompts, deps), removalsOf(agents, deps)]);

  // Files are written as reads finish, so memory holds one document per request in flight rather than the whole
  // registry, and disk writes overlap the network.
  const total = passes.reduce((sum, pass) => sum + pass.toRead.length, 0);
  let done = 0;
  const onRead = () => deps.onProgress?.(++done, total);
  try {
    await Promise.all([readAndWrite(prompts, deps, options, onRead), readAndWrite(agents, deps, options, onRead)]);
  } catch (error) {
    // Files already written are recorded, so a pull cut short by a failure leaves no phantom local edit behind.
    if (!options.dryRun && passes.some((pass) => pass.items.length > 0))
      await writeLockfile(config.rootDir, lockAfterFailure(lock, prompts, agents)).catch(() => undefined);
    throw error;
  }
  await planTheRest(prompts, deps, options);
  await planTheRest(agents, deps, options);

  if (!options.dryRun) {
    // Every label name the repository knows, or saw on something read now, is refreshed for every unread template
    // and agent too, so the lock records those labels completely (publish relies on that to notice labels moved
    // outside).
    const names = new Set([
      ...lock.labels,
      ...passes.flatMap((pass) => Object.values(pass.base).flatMap((entry) => Object.keys(entry.labels))),
      ...passes.flatMap((pass) => [...pass.fresh.values()].flatMap((read) => Object.keys(read.labels))),
      ...(config.track.kind === "label" ? [config.track.label] : []),
    ]);
    const sorted = [...names].sort();
    const [promptLabels, agentLabels] = await Promise.all([
      prompts.spec.labels(client, sorted, unreadIds(prompts)),
      agents.spec.labels(client, sorted, unreadIds(agents)),
    ]);
    const next: Lockfile = {
      ...lock,
      templates: nextEntries(prompts, prompts.items, promptLabels),
      agents: nextEntries(agents, agents.items, agentLabels),
    };
    await writeLockfile(config.rootDir, withSyncedLabels(next, names));
  }
  const items = passes.flatMap((pass) => pass.items).sort((a, b) => compare(a.name, b.name) || compare(a.kind, b.kind));
  const tracked = listing.heads.length + listing.agents.length;
  const existing = listing.existing.size + listing.existingAgents.size;
  const missingLabel = config.track.kind === "label" && tracked === 0 && existing > 0 ? config.track.label : undefined;
  return { ...report(items, options.dryRun), ...(missingLabel ? { missingLabel } : {}) };
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function startPass<Doc, Entry extends SyncedEntry>(
  spec: PullKind<Doc, Entry>,
  options: PullOptions,
  repository: Repository,
  listing: RemoteListing,
  matches: (name: string, folder: readonly string[]) => boolean,
  paths: ReadonlyMap<string, PlannedPath>,
): Pass<Doc, Entry> {
  const files = spec.locals(repository);
  const existing = spec.existing(listing);
  const heads = spec.heads(listing).filter((head) => matches(head.name, head.folder));
  const locals = new Map<string, LocalFile>(files.map((f) => [f.name, { name: f.name, path: f.path, hash: f.hash }]));
  const { entries: base, renamed } = followRenames(spec.entries(repository.lock), heads, locals);
  const headsByName = new Map(heads.map((head) => [head.name, head]));
  const localFolders = new Map(files.map((f) => [f.name, f.folder]));
  const planFor = (name: string, content?: RemoteContent<Doc>) =>
    planPull({
      names: [name],
      locals,
      lock: base,
      heads: headsByName,
      contents: new Map(content ? [[name, content]] : []),
      force: options.force,
      prune: options.prune,
    })[0]!;
  // A template or agent renamed or moved to another folder is read even when its version did not move: its file moves.
  const toRead = heads.filter(
    (head) =>
      renamed.has(head.name) ||
      movedRemotely(head, base[head.name], locals.get(head.name), localFolders.get(head.name)) ||
      mustRead(head, base[head.name], locals.get(head.name), options.force),
  );
  return {
    spec,
    base,
    renamed,
    heads,
    headsByName,
    locals,
    localFolders,
    fileHashes: new Map(files.map((f) => [f.name, f.fileHash])),
    paths,
    outOfScope: (name) => !headsByName.has(name) && base[name] !== undefined && existing.has(base[name]!.id),
    inScope: (name, folder) => matches(name, folder),
    planFor,
    toRead,
    items: [],
    fresh: new Map(),
  };
}

/** Reads what must be read, plans each as soon as it is read, and (unless a dry run) writes its file. */
async function readAndWrite<Doc, Entry extends SyncedEntry>(
  pass: Pass<Doc, Entry>,
  { client, config }: PullDeps,
  options: PullOptions,
  onRead: () => void,
): Promise<void> {
  const { spec } = pass;
  // Twice the request limit in flight keeps the client's queue full without a task per file in memory.
  await eachWithin(pass.toRead, config.concurrency * 2, async (head) => {
    const read = await spec.read(client, head);
    onRead();
    if (!read) {
      pass.headsByName.delete(head.name);
      return;
    }
    const placement = pass.paths.get(head.name)!;
    const unwritable = spec.unwritable(read.doc, placement);
    if (unwritable) {
      pass.items.push({
        kind: spec.kind,
        name: head.name,
        path: placement.path,
        action: "skip",
        version: read.head.version,
        reason: "remote-invalid",
        detail: unwritable,
      });
      return;
    }
    const action = pass.planFor(head.name, { head: read.head, doc: read.doc, hash: read.hash, path: placement.path });
    pass.fresh.set(head.name, { head: read.head, hash: read.hash, labels: read.labels, refs: read.refs });
    if (!options.dryRun) {
      // An update written where the user moved the file keeps what that file must say about itself.
      const placed =
        action.path === placement.path ? placement : placementAt(action.path, head.name, config.promptsDir);
      const written = await applyOne(config.rootDir, action, placed, spec.serialize);
      if (written) pass.fileHashes.set(head.name, written);
    }
    pass.items.push(itemOf(spec.kind, action));
  });
}

/** Everything not read: unchanged, skipped, gone or removed. */
async function planTheRest<Doc, Entry extends SyncedEntry>(
  pass: Pass<Doc, Entry>,
  { config }: PullDeps,
  options: PullOptions,
): Promise<void> {
  const { base, headsByName, locals } = pass;
  const readNames = new Set(pass.toRead.map((head) => head.name));
  const rest = [
    ...new Set([
      ...headsByName.keys(),
      ...Object.keys(base).filter((name) => pass.inScope(name, folderOfPath(base[name]!.path, config.promptsDir))),
    ]),
  ].filter(
    (name) =>
      (!readNames.has(name) || !headsByName.has(name)) &&
      (headsByName.has(name) || base[name] !== undefined || locals.has(name)) &&
      !pass.outOfScope(name),
  );
  for (const name of rest) {
    const action = pass.planFor(name);
    if (!options.dryRun) await applyOne(config.rootDir, action, pass.paths.get(name), pass.spec.serialize);
    pass.items.push(itemOf(pass.spec.kind, action));
  }
}

const unreadIds = <Doc, Entry extends SyncedEntry>(pass: Pass<Doc, Entry>) =>
  new Set([...pass.headsByName.values()].filter((head) => !pass.fresh.has(head.name)).map((head) => head.id));

const folderOfPath = (path: string, promptsDir: string) => locationFromPath(path, promptsDir).folder;

/**
 * --prune removes files of templates and agents deleted in PromptLayer. Known from the listing alone, the removals are
 * counted before anything is written: more than a few, or more than half of what the repository syncs, need consent
 * (--yes, or an answer in a terminal), since a wrong key or a mistaken bulk delete would otherwise empty the repository.
 */
async function consentToRemovals(
  deps: PullDeps,
  options: PullOptions,
  kinds: ReadonlyArray<{ synced: number; removals: string[] }>,
): Promise<void> {
  if (options.yes) return;
  const synced = kinds.reduce((sum, kind) => sum + kind.synced, 0);
  const paths = kinds.flatMap((kind) => kind.removals);
  if (paths.length <= PRUNE_FREELY && paths.length * 2 <= synced) return;
  if (deps.confirmRemovals && (await deps.confirmRemovals(paths))) return;
  throw plxError("PULL.PRUNE_NEEDS_CONSENT", { count: paths.length, synced, examples: paths.slice(0, 3) });
}

/** How many of one kind the lock records, and the paths of those --prune would remove. */
function removalsOf<Doc, Entry extends SyncedEntry>(pass: Pass<Doc, Entry>, { config }: PullDeps) {
  const names = Object.keys(pass.base);
  const removals = names
    .filter(
      (name) => !pass.outOfScope(name) && pass.inScope(name, folderOfPath(pass.base[name]!.path, config.promptsDir)),
    )
    .map((name) => pass.planFor(name))
    .flatMap((action) => (action.kind === "remove" ? [action.path] : []));
  return { synced: names.length, removals };
}

/**
 * A template or agent moved to another folder in PromptLayer while its file stayed where the last sync put it: read
 * it, so the plan moves the file. A file the user moved is left for push, which moves it in PromptLayer.
 */
function movedRemotely(
  head: RemoteHead,
  base: SyncedEntry | undefined,
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

/** The lock as far as a failed pull got: the files it wrote, renames included, and nothing else. */
function lockAfterFailure(
  lock: Lockfile,
  prompts: Pass<TemplateDoc, LockEntry>,
  agents: Pass<AgentDoc, AgentLockEntry>,
): Lockfile {
  const section = <Doc, Entry extends SyncedEntry>(pass: Pass<Doc, Entry>, entries: Record<string, Entry>) => {
    const written = new Set(pass.items.map((item) => item.name));
    const { entries: base } = followRenames(
      entries,
      pass.heads.filter((head) => written.has(head.name)),
      new Map(),
    );
    return nextEntries({ ...pass, base, headsByName: new Map() }, pass.items, new Map());
  };
  return { ...lock, templates: section(prompts, lock.templates), agents: section(agents, lock.agents) };
}

/** Carries out one action (whose remote doc is already canonical); returns the sha256 of the bytes written, if any. */
async function applyOne<Doc>(
  rootDir: string,
  action: PullAction<Doc>,
  placement: PlannedPath | undefined,
  serialize: (doc: Doc, placement: PlannedPath) => string,
): Promise<string | undefined> {
  if (action.kind === "create" || action.kind === "update") {
    const target = join(rootDir, action.path);
    const text = serialize(action.remote.doc, placement!);
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

function itemOf(kind: SyncKind, action: PullAction<unknown>): PullItem {
  const item: PullItem = { kind, name: action.name, path: action.path, action: action.kind };
  if (action.kind === "create" || action.kind === "update") item.version = action.remote.head.version;
  if (action.kind === "unchanged") item.version = action.version;
  if (action.kind === "update" && action.previousPath) item.previousPath = action.previousPath;
  if (action.kind === "skip") item.reason = action.reason;
  return item;
}

/** One section of the lock after the pull: what was read is recorded as read, what was not keeps its entry. */
function nextEntries<Doc, Entry extends SyncedEntry>(
  pass: Pick<Pass<Doc, Entry>, "spec" | "base" | "fresh" | "headsByName" | "fileHashes">,
  items: readonly PullItem[],
  labels: ReadonlyMap<number, Record<string, number>>,
): Record<string, Entry> {
  const { spec, fresh, fileHashes } = pass;
  const entries = nameKeyed(pass.base);
  for (const item of items) {
    const read = fresh.get(item.name);
    const file = fileHashes.get(item.name);
    const withFile = <T extends object>(entry: T) => (file === undefined ? entry : { ...entry, file });
    const previous = entries[item.name];
    // A file the user moved (and this pull left where they put it) keeps its synced path here: the move is a local
    // change, which push carries out, and a later pull must not take it for a move made in PromptLayer.
    const userMoved = previous !== undefined && previous.path !== item.path && item.previousPath === undefined;
    if ((item.action === "create" || item.action === "update" || item.action === "unchanged") && read) {
      const entry = spec.entry(
        {
          id: read.head.id,
          path: userMoved ? previous.path : item.path,
          version: read.head.version,
          hash: read.hash,
          labels: read.labels,
        },
        read.refs,
      );
      entries[item.name] = userMoved ? entry : withFile(entry);
    } else if (item.action === "unchanged") {
      if (previous && pass.headsByName.has(item.name)) {
        const refreshed = { ...previous, labels: labels.get(previous.id) ?? previous.labels };
        entries[item.name] = userMoved ? refreshed : withFile(refreshed);
      }
    } else if (item.action === "remove") {
      delete entries[item.name];
    }
  }
  return entries;
}

function report(items: PullItem[], dryRun: boolean): PullReport {
  const counts = { create: 0, update: 0, unchanged: 0, skip: 0, remove: 0, gone: 0 };
  for (const item of items) counts[item.action] += 1;
  return { dryRun, items, counts };
}
