/**
 * The lock file records, per template and per agent, what the last sync saw. It is the "base" of every three-way
 * comparison: the local file against the lock tells "edited locally", the remote against the lock tells "changed
 * remotely", and both at once is a conflict.
 */

import { nameKeyed } from "./records.js";

export const LOCKFILE_VERSION = 1;
export const LOCKFILE_NAME = "plx.lock";

/** What a synced file holds: a prompt (a template or snippet) or an agent (a PromptLayer workflow). */
export type SyncKind = "prompt" | "agent";

/** What the lock records of anything synced, prompt or agent. */
export interface SyncedEntry {
  /** PromptLayer's numeric id (of the template, or of the workflow). */
  id: number;
  /** Repo-relative path of the file, with forward slashes. */
  path: string;
  /** The remote version number the file was last synced with. */
  version: number;
  /** Content hash of that version's canonical content. */
  hash: string;
  /** Release labels and the versions they pointed at, as last seen. */
  labels: Record<string, number>;
  /**
   * sha256 of the file's bytes as the last sync left them. A file still byte-identical needs no parsing to know it
   * is unchanged, which keeps status and no-op pushes fast over thousands of files.
   */
  file?: string;
}

export interface LockEntry extends SyncedEntry {
  /** Names of the snippets the template references. */
  snippets: string[];
}

export interface AgentLockEntry extends SyncedEntry {
  /** Names of the prompts the agent's nodes refer to. */
  prompts: string[];
}

export interface Lockfile {
  lockfileVersion: typeof LOCKFILE_VERSION;
  /**
   * Release label names whose positions the entries record completely: for these, an entry without the label means
   * its template or agent did not carry it at the last sync. Publish compares with them to notice labels moved in
   * PromptLayer.
   */
  labels: string[];
  /** Keyed by exact template name. */
  templates: Record<string, LockEntry>;
  /** Keyed by exact agent (workflow) name; a lock written before plx synced agents has none. */
  agents: Record<string, AgentLockEntry>;
}

export const emptyLockfile = (): Lockfile => ({
  lockfileVersion: LOCKFILE_VERSION,
  labels: [],
  templates: nameKeyed(),
  agents: nameKeyed(),
});

/** The lock with more label names known completely. */
export const withSyncedLabels = (lock: Lockfile, names: Iterable<string>): Lockfile => ({
  ...lock,
  labels: [...new Set([...lock.labels, ...names])].sort(byCodePoint),
});

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Deterministic text: entries sorted by name, one line per template or agent, so two branches that touch different
 * ones change different lines and merge cleanly. A lock without agents is written exactly as before plx knew them.
 */
export function serializeLockfile(lock: Lockfile): string {
  const templates = section(lock.templates, (entry) => ({
    ...syncedFields(entry),
    snippets: [...new Set(entry.snippets)].sort(byCodePoint),
    ...fileField(entry),
  }));
  const agents = section(lock.agents, (entry) => ({
    ...syncedFields(entry),
    prompts: [...new Set(entry.prompts)].sort(byCodePoint),
    ...fileField(entry),
  }));
  const labels =
    lock.labels.length === 0 ? "" : `  "labels": ${JSON.stringify([...new Set(lock.labels)].sort(byCodePoint))},\n`;
  const agentsPart = Object.keys(lock.agents).length === 0 ? "" : `,\n  "agents": ${agents}`;
  return `{\n  "lockfileVersion": ${LOCKFILE_VERSION},\n${labels}  "templates": ${templates}${agentsPart}\n}\n`;
}

function section<E>(entries: Record<string, E>, ordered: (entry: E) => object): string {
  const lines = Object.keys(entries)
    .sort(byCodePoint)
    .map((name) => `    ${JSON.stringify(name)}: ${JSON.stringify(ordered(entries[name]!))}`);
  return lines.length === 0 ? "{}" : `{\n${lines.join(",\n")}\n  }`;
}

const syncedFields = (entry: SyncedEntry) => ({
  id: entry.id,
  path: entry.path,
  version: entry.version,
  hash: entry.hash,
  labels: Object.fromEntries(Object.entries(entry.labels).sort(([a], [b]) => byCodePoint(a, b))),
});

const fileField = (entry: SyncedEntry) => (entry.file === undefined ? {} : { file: entry.file });
