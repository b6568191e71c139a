// Three-way comparison for `plx diff` and `plx status`: local files, the lock (the last sync) and, when asked, the
// remote, for prompts and agents alike. Offline status needs no request at all; the remote side reads content only
// where something moved.
import { createTwoFilesPatch } from "diff";
import type { AgentDoc } from "../agents/doc.js";
import { canonicalDoc } from "../core/canonical.js";
import type { Lockfile, SyncedEntry, SyncKind } from "../core/lock.js";
import { sameFolder } from "../core/folders.js";
import { classify, type SyncState } from "../core/sync-state.js";
import type { TemplateDoc } from "../core/template.js";
import type { ResolvedConfig } from "../config/schema.js";
import { serializeAgentFile } from "../files/agent-file.js";
import type { LocalAgent, LocalTemplate } from "../files/local.js";
import {
  AGENT_FILE_SUFFIX,
  type FileSuffix,
  locationFromPath,
  planFilePaths,
  PROMPT_FILE_SUFFIX,
} from "../files/paths.js";
import { type FileProblem, serializePromptFile } from "../files/prompt-file.js";
import type { PromptLayerClient } from "../promptlayer/index.js";
import {
  followRenames,
  listRemote,
  readRemoteAgent,
  readRemoteTemplate,
  type RemoteHead,
  type RemoteListing,
} from "./remote.js";
import { assertProject, readRepositoryTolerantly } from "./repository.js";
import { type TemplateMatcher, templateScope } from "./select.js";

export interface Change {
  kind: SyncKind;
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

/** A local file of either kind, as the comparison needs it. */
type LocalDoc<Doc> = Pick<LocalTemplate, "name" | "path" | "hash" | "folder"> & {
  readonly doc: Doc & { folder: string[] };
};

/** What differs between comparing prompts and comparing agents. */
interface CompareKind<Doc> {
  kind: SyncKind;
  suffix: FileSuffix;
  locals: (snap: Snapshot) => Map<string, LocalDoc<Doc>>;
  entries: (lock: Lockfile) => Record<string, SyncedEntry>;
  heads: (listing: RemoteListing) => RemoteHead[];
  existing: (listing: RemoteListing) => ReadonlySet<number>;
  read: (
    client: PromptLayerClient,
    head: RemoteHead,
  ) => Promise<{ head: RemoteHead; doc: Doc; hash: string } | undefined>;
  /** The document as its file would read, from its canonical form, without name and folder. */
  render: (doc: Doc) => string;
  /** The names of other local files that use this one and change with it. */
  usersOf: (name: string, snap: Snapshot) => string[];
}

const PROMPTS: CompareKind<TemplateDoc> = {
  kind: "prompt",
  suffix: PROMPT_FILE_SUFFIX,
  locals: (snap) => snap.templates,
  entries: (lock) => lock.templates,
  heads: (listing) => listing.heads,
  existing: (listing) => listing.existing,
  read: readRemoteTemplate,
  render: (doc) => serializePromptFile(canonicalDoc(doc), { nameInFile: false, folderInFile: false }),
  usersOf: (name, snap) =>
    [...snap.templates.values()]
      .filter((local) => local.name !== name && local.snippets.includes(name))
      .map((local) => local.name)
      .sort(),
};

const AGENTS: CompareKind<AgentDoc> = {
  kind: "agent",
  suffix: AGENT_FILE_SUFFIX,
  locals: (snap) => snap.agents,
  entries: (lock) => lock.agents,
  heads: (listing) => listing.agents,
  existing: (listing) => listing.existingAgents,
  read: readRemoteAgent,
  render: (doc) => serializeAgentFile(doc, { nameInFile: false, folderInFile: false }),
  usersOf: () => [],
};

/** The YAML a diff shows of a template or an agent. */
export const renderTemplate = PROMPTS.render;
export const renderAgent = AGENTS.render;

/**
 * A move is a change even when the content is not: a file moved since the last sync, or, given the remote, a
 * template moved to another folder there. The path-derived folder is a cheap first test; the file's own (which
 * may name a folder its path cannot spell) decides.
 */
function moveOf<Doc>(
  local: LocalDoc<Doc> | undefined,
  base: SyncedEntry | undefined,
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
  /** Templates and agents that match, all told. */
  inSync: number;
  /** Of those, agents. */
  agentsInSync: number;
  /** Files that could not be read: reported, and what they hold left out of the comparison. */
  invalid: FileProblem[];
}

interface Snapshot {
  lock: Lockfile;
  templates: Map<string, LocalTemplate>;
  agents: Map<string, LocalAgent>;
  unreadable: ReadonlySet<string>;
  inScope: TemplateMatcher;
  invalid: FileProblem[];
}

/**
 * The local side. One bad file does not stop the comparison of every other one: it is reported, and the template or
 * agent it holds (known from the lock by its path) is left out rather than taken for deleted.
 */
async function snapshot(config: ResolvedConfig, names: readonly string[]): Promise<Snapshot> {
  assertProject(config);
  const { lock, templates, agents, problems } = await readRepositoryTolerantly(config);
  return {
    lock,
    templates: new Map(templates.map((t) => [t.name, t])),
    agents: new Map(agents.map((a) => [a.name, a])),
    unreadable: new Set(problems.map((problem) => problem.path)),
    inScope: templateScope(names, config.ignore),
    invalid: problems,
  };
}

/** Whether a name of this kind is compared: asked for, not ignored, and its synced file not unreadable. */
function matcher(snap: Snapshot, entries: Record<string, SyncedEntry>): TemplateMatcher {
  return (name, folder) => {
    const entry = entries[name];
    return snap.inScope(name, folder) && !(entry !== undefined && snap.unreadable.has(entry.path));
  };
}

const folderOfPath = (path: string, promptsDir: string) => locationFromPath(path, promptsDir).folder;

/** Local files against the lock only: what changed here since the last sync. No network. */
export async function compareOffline(config: ResolvedConfig, names: readonly string[]): Promise<Comparison> {
  const snap = await snapshot(config, names);
  const [prompts, agents] = [offline(PROMPTS, snap, config), offline(AGENTS, snap, config)];
  return {
    remote: false,
    track: trackName(config),
    changes: sorted([...prompts.changes, ...agents.changes]),
    inSync: prompts.inSync + agents.inSync,
    agentsInSync: agents.inSync,
    invalid: snap.invalid,
  };
}

function offline<Doc>(kind: CompareKind<Doc>, snap: Snapshot, config: ResolvedConfig) {
  const locals = kind.locals(snap);
  const entries = kind.entries(snap.lock);
  const matches = matcher(snap, entries);
  const all = [...new Set([...locals.keys(), ...Object.keys(entries)])];
  const changes: Change[] = [];
  let inSync = 0;
  for (const name of all) {
    const local = locals.get(name);
    const base = entries[name];
    if (!matches(name, local?.folder ?? folderOfPath(base!.path, config.promptsDir))) continue;
    // Offline, the remote is assumed to be where the lock left it.
    const move = moveOf(local, base, undefined);
    const state = withMove(classify(local, base, base && { version: base.version, hash: base.hash }), move);
    if (state === "in-sync") inSync += 1;
    else {
      const users = kind.usersOf(name, snap);
      changes.push({
        kind: kind.kind,
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
  return { changes, inSync };
}

export interface RemoteCompareDeps {
  client: PromptLayerClient;
  config: ResolvedConfig;
  onProgress?: (done: number, total: number) => void;
}

/** Local files, lock and remote: every difference, with a diff of the canonical YAML of each side. */
export async function compareWithRemote(deps: RemoteCompareDeps, names: readonly string[]): Promise<Comparison> {
  const [snap, listing] = await Promise.all([snapshot(deps.config, names), listRemote(deps.client, deps.config.track)]);
  let done = 0;
  let total = 0;
  const progress = { expect: (count: number) => (total += count), read: () => deps.onProgress?.(++done, total) };
  const [prompts, agents] = await Promise.all([
    withRemote(PROMPTS, deps, snap, listing, progress),
    withRemote(AGENTS, deps, snap, listing, progress),
  ]);
  return {
    remote: true,
    track: trackName(deps.config),
    changes: sorted([...prompts.changes, ...agents.changes]),
    inSync: prompts.inSync + agents.inSync,
    agentsInSync: agents.inSync,
    invalid: snap.invalid,
  };
}

async function withRemote<Doc>(
  kind: CompareKind<Doc>,
  { client, config }: RemoteCompareDeps,
  snap: Snapshot,
  listing: RemoteListing,
  progress: { expect: (count: number) => void; read: () => void },
) {
  const locals = new Map(kind.locals(snap));
  const matches = matcher(snap, kind.entries(snap.lock));
  const heads = new Map(
    kind
      .heads(listing)
      .filter((head) => matches(head.name, head.folder))
      .map((head) => [head.name, head]),
  );
  // As pull does: a template renamed in PromptLayer is one template under its new name, not a deletion and an addition.
  const { entries, renamed } = followRenames(kind.entries(snap.lock), [...heads.values()], locals);
  const existing = kind.existing(listing);
  // A synced one that exists but is not tracked (no tracked label) or not asked for is out of scope, not deleted.
  const outOfScope = (name: string) =>
    !heads.has(name) && entries[name] !== undefined && existing.has(entries[name]!.id);
  const inScope = [
    ...new Set([
      ...heads.keys(),
      ...[...locals.values()].filter((l) => matches(l.name, l.folder)).map((l) => l.name),
      ...Object.keys(entries).filter((name) => matches(name, folderOfPath(entries[name]!.path, config.promptsDir))),
    ]),
  ].filter((name) => !outOfScope(name));

  // Content is read only where the remote moved or the file differs from the lock: elsewhere all three agree.
  const toRead = inScope.flatMap((name) => {
    const head = heads.get(name);
    const base = entries[name];
    const local = locals.get(name);
    return head && (!base || base.version !== head.version || base.id !== head.id || !local || local.hash !== base.hash)
      ? [head]
      : [];
  });
  progress.expect(toRead.length);
  const read = new Map(
    (
      await Promise.all(
        toRead.map(async (head) => {
          const remote = await kind.read(client, head);
          progress.read();
          return remote;
        }),
      )
    ).flatMap((remote) => (remote ? [[remote.head.name, remote] as const] : [])),
  );

  const changes: Change[] = [];
  let inSync = 0;
  for (const name of inScope) {
    const local = locals.get(name);
    const base = entries[name];
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
      kind: kind.kind,
      name,
      path: local?.path ?? base?.path ?? pathFor(kind, config, head!),
      state,
      baseVersion: base?.version,
      remoteVersion: head?.version,
      added: 0,
      removed: 0,
      ...move,
    };
    // A move or rename alone has no content to diff.
    if (contentState !== "in-sync" && (remote || local))
      Object.assign(
        change,
        patchOf(change.path, remote && kind.render(remote.doc), local && kind.render(local.doc), head),
      );
    const users = kind.usersOf(name, snap);
    if (users.length > 0) change.usedBy = users;
    changes.push(change);
  }
  return { changes, inSync };
}

/** By name, a prompt before an agent of the same name. */
const sorted = (changes: Change[]) => changes.sort((a, b) => compare(a.name, b.name) || compare(a.kind, b.kind));
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Content in sync but moved or renamed: a change on the side that did it. */
function withMove(state: SyncState, move: Pick<Change, "movedFrom" | "movedTo" | "renamedFrom">): SyncState {
  if (state !== "in-sync") return state;
  return move.movedFrom !== undefined
    ? "local-changed"
    : move.movedTo !== undefined || move.renamedFrom !== undefined
      ? "remote-changed"
      : state;
}

function remoteSideOf(
  head: RemoteHead | undefined,
  remote: { hash: string } | undefined,
  base: SyncedEntry | undefined,
) {
  if (!head) return undefined;
  if (remote) return { version: head.version, hash: remote.hash };
  // Not read because it is exactly where the lock left it.
  return base && { version: base.version, hash: base.hash };
}

function pathFor<Doc>(kind: CompareKind<Doc>, config: ResolvedConfig, head: RemoteHead): string {
  return planFilePaths([{ name: head.name, folder: head.folder, suffix: kind.suffix }], config.promptsDir)[0]!.path;
}

/** Both sides rendered from their canonical form, so a diff shows meaning, not server defaults or key order. */
export function patchOf(
  path: string,
  remote: string | undefined,
  local: string | undefined,
  head: Pick<RemoteHead, "version"> | undefined,
) {
  const patch = createTwoFilesPatch(
    remote !== undefined ? `remote/${path}` : "/dev/null",
    local !== undefined ? `local/${path}` : "/dev/null",
    remote ?? "",
    local ?? "",
    head ? `PromptLayer v${head.version}` : undefined,
    local !== undefined ? "working tree" : undefined,
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

function trackName(config: ResolvedConfig): string {
  return config.track.kind === "latest" ? "latest" : `label:${config.track.label}`;
}
