// `plx pull`: the registry into files. Reads only what changed since the lock, plans every file's fate as a value
// (so --dry-run is the same path with the writes skipped), then writes atomically and updates the lock last.
import { mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { canonicalDoc } from "../core/canonical.js";
import type { Lockfile, LockEntry } from "../core/lock.js";
import { mustRead, planPull, type LocalFile, type PullAction, type RemoteContent } from "../core/pull-plan.js";
import type { TemplateDoc } from "../core/template.js";
import type { ResolvedConfig } from "../config/schema.js";
import { invalidFiles } from "../errors.js";
import { writeFileAtomic } from "../files/atomic.js";
import { scanPromptFiles } from "../files/local.js";
import { readLockfile, writeLockfile } from "../files/lockfile.js";
import { planPaths, type PlannedPath } from "../files/paths.js";
import { serializePromptFile } from "../files/prompt-file.js";
import type { PromptLayerClient } from "../promptlayer/index.js";
import { nameMatcher } from "./select.js";
import { listRemoteHeads, readRemoteTemplate, refreshKnownLabels, type RemoteHead, type RemoteTemplate } from "./remote.js";

export interface PullOptions {
  /** Template names or globs (matched against names and file paths); all when empty. */
  names: string[];
  dryRun: boolean;
  force: boolean;
  prune: boolean;
}

export interface PullDeps {
  client: PromptLayerClient;
  config: ResolvedConfig;
  /** Called as template reads finish, for a progress line. */
  onProgress?: (done: number, total: number) => void;
}

export type PullItem = {
  name: string;
  path: string;
  action: PullAction<TemplateDoc>["kind"];
  version?: number;
  previousPath?: string;
  reason?: string;
};

export interface PullReport {
  dryRun: boolean;
  items: PullItem[];
  counts: Record<PullAction<TemplateDoc>["kind"], number>;
}

export async function pull(deps: PullDeps, options: PullOptions): Promise<PullReport> {
  const { client, config } = deps;
  const [lock, scan] = await Promise.all([readLockfile(config.rootDir), scanPromptFiles(config.rootDir, config.promptsDir)]);
  if (scan.problems.length > 0) throw invalidFiles(scan.problems);

  const matches = nameMatcher(options.names);
  const heads = (await listRemoteHeads(client, config.track)).filter((head) => matches(head.name, head.folder));
  const locals = new Map<string, LocalFile>(scan.templates.map((t) => [t.doc.name, { name: t.doc.name, path: t.path, hash: t.hash }]));
  const { lock: base, renamed } = followRenames(lock, heads, locals);

  // A renamed template is read even when its version did not move: its file moves to the new name.
  const toRead = heads.filter((head) => renamed.has(head.name) || mustRead(head, base.templates[head.name], locals.get(head.name), options.force));
  let done = 0;
  const read = await Promise.all(
    toRead.map(async (head) => {
      const template = await readRemoteTemplate(client, head);
      deps.onProgress?.(++done, toRead.length);
      return template;
    }),
  );
  const fresh = new Map(read.filter((t): t is RemoteTemplate => t !== undefined).map((t) => [t.head.name, t]));
  const present = heads.filter((head) => fresh.has(head.name) || !toRead.includes(head));
  const paths = planPaths(present.map((head) => ({ name: head.name, folder: fresh.get(head.name)?.doc.folder ?? head.folder })), config.promptsDir);
  const contents = new Map<string, RemoteContent<TemplateDoc>>(
    [...fresh].map(([name, template]) => [name, { head: template.head, doc: template.doc, hash: template.hash, path: paths.get(name)!.path }]),
  );

  const inScope = new Set([...present.map((head) => head.name), ...Object.keys(base.templates).filter((name) => matches(name, []) || matches(name, folderOf(base.templates[name]!)))]);
  const actions = planPull({
    names: [...inScope].sort(),
    locals,
    lock: base.templates,
    heads: new Map(present.map((head) => [head.name, head])),
    contents,
    force: options.force,
    prune: options.prune,
  });

  if (!options.dryRun) {
    const unread = new Set(present.filter((head) => !fresh.has(head.name)).map((head) => head.id));
    const labels = await refreshKnownLabels(client, base, unread);
    await applyPull(config.rootDir, actions, paths);
    await writeLockfile(config.rootDir, nextLock(base, actions, fresh, labels, new Map(present.map((head) => [head.name, head]))));
  }
  return report(actions, options.dryRun);
}

/** Lock entries' folder, as a glob like `support/*` should match a template that was in `prompts/support/`. */
function folderOf(entry: LockEntry): string[] {
  return entry.path.split("/").slice(1, -1);
}

/**
 * A template renamed in PromptLayer keeps its id: the lock entry and the file move to the new name, so the rename
 * is an update of one file rather than a deletion plus a new template.
 */
function followRenames(lock: Lockfile, heads: readonly RemoteHead[], locals: Map<string, LocalFile>): { lock: Lockfile; renamed: Set<string> } {
  const templates = { ...lock.templates };
  const renamed = new Set<string>();
  const nameById = new Map(Object.entries(templates).map(([name, entry]) => [entry.id, name]));
  for (const head of heads) {
    const oldName = nameById.get(head.id);
    if (oldName === undefined || oldName === head.name || templates[head.name] !== undefined) continue;
    templates[head.name] = templates[oldName]!;
    delete templates[oldName];
    renamed.add(head.name);
    const local = locals.get(oldName);
    if (local) {
      locals.delete(oldName);
      locals.set(head.name, { ...local, name: head.name });
    }
  }
  return { lock: { ...lock, templates }, renamed };
}

async function applyPull(rootDir: string, actions: ReadonlyArray<PullAction<TemplateDoc>>, paths: ReadonlyMap<string, PlannedPath>): Promise<void> {
  await Promise.all(
    actions.map(async (action) => {
      if (action.kind === "create" || action.kind === "update") {
        const target = join(rootDir, action.path);
        await mkdir(dirname(target), { recursive: true });
        await writeFileAtomic(target, serializePromptFile(canonicalDoc(action.remote.doc), paths.get(action.name)!));
        if (action.kind === "update" && action.previousPath) await rm(join(rootDir, action.previousPath), { force: true });
      } else if (action.kind === "remove") {
        await rm(join(rootDir, action.path), { force: true });
      }
    }),
  );
}

function nextLock(
  base: Lockfile,
  actions: ReadonlyArray<PullAction<TemplateDoc>>,
  fresh: ReadonlyMap<string, RemoteTemplate>,
  labels: ReadonlyMap<number, Record<string, number>>,
  heads: ReadonlyMap<string, RemoteHead>,
): Lockfile {
  const templates: Record<string, LockEntry> = { ...base.templates };
  for (const action of actions) {
    const read = fresh.get(action.name);
    if (action.kind === "create" || action.kind === "update") {
      const { head, hash } = action.remote;
      templates[action.name] = { id: head.id, path: action.path, version: head.version, hash, labels: read?.labels ?? {}, snippets: read?.snippets ?? [] };
    } else if (action.kind === "unchanged") {
      const previous = templates[action.name];
      const head = heads.get(action.name)!;
      if (read) templates[action.name] = { id: head.id, path: action.path, version: head.version, hash: read.hash, labels: read.labels, snippets: read.snippets };
      else if (previous) templates[action.name] = { ...previous, labels: labels.get(previous.id) ?? previous.labels };
    } else if (action.kind === "remove") {
      delete templates[action.name];
    }
  }
  return { ...base, templates };
}

function report(actions: ReadonlyArray<PullAction<TemplateDoc>>, dryRun: boolean): PullReport {
  const counts = { create: 0, update: 0, unchanged: 0, skip: 0, remove: 0, gone: 0 };
  const items = actions.map((action): PullItem => {
    counts[action.kind] += 1;
    const item: PullItem = { name: action.name, path: action.path, action: action.kind };
    if (action.kind === "create" || action.kind === "update") item.version = action.remote.head.version;
    if (action.kind === "unchanged") item.version = action.version;
    if (action.kind === "update" && action.previousPath) item.previousPath = action.previousPath;
    if (action.kind === "skip") item.reason = action.reason;
    return item;
  });
  return { dryRun, items, counts };
}
