/**
 * The lock file records, per template, what the last sync saw. It is the "base" of every
 * three-way comparison: the local file against the lock tells "edited locally", the remote
 * against the lock tells "changed remotely", and both at once is a conflict.
 */

import { nameKeyed } from "./records.js";

export const LOCKFILE_VERSION = 1;
export const LOCKFILE_NAME = "plx.lock";

export interface LockEntry {
  /** PromptLayer's numeric template id. */
  id: number;
  /** Repo-relative path of the template's file, with forward slashes. */
  path: string;
  /** The remote version number the file was last synced with. */
  version: number;
  /** contentHash of that version's canonical content. */
  hash: string;
  /** Release labels and the versions they pointed at, as last seen. */
  labels: Record<string, number>;
  /** Names of the snippets the template references. */
  snippets: string[];
  /**
   * sha256 of the file's bytes as the last sync left them. A file still byte-identical needs no parsing to know it
   * is unchanged, which keeps status and no-op pushes fast over thousands of files.
   */
  file?: string;
}

export interface Lockfile {
  lockfileVersion: typeof LOCKFILE_VERSION;
  /**
   * Release label names whose positions the entries record completely: for these, a template's entry without the
   * label means it did not carry it at the last sync. Publish compares with them to notice labels moved in PromptLayer.
   */
  labels: string[];
  /** Keyed by exact template name. */
  templates: Record<string, LockEntry>;
}

export const emptyLockfile = (): Lockfile => ({
  lockfileVersion: LOCKFILE_VERSION,
  labels: [],
  templates: nameKeyed(),
});

/** The lock with more label names known completely. */
export const withSyncedLabels = (lock: Lockfile, names: Iterable<string>): Lockfile => ({
  ...lock,
  labels: [...new Set([...lock.labels, ...names])].sort(byCodePoint),
});

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Deterministic text: entries sorted by name, one line per template, so two branches that
 * touch different templates change different lines and merge cleanly.
 */
export function serializeLockfile(lock: Lockfile): string {
  const names = Object.keys(lock.templates).sort(byCodePoint);
  const lines = names.map((name) => {
    const entry = lock.templates[name]!;
    const ordered: LockEntry = {
      id: entry.id,
      path: entry.path,
      version: entry.version,
      hash: entry.hash,
      labels: Object.fromEntries(Object.entries(entry.labels).sort(([a], [b]) => byCodePoint(a, b))),
      snippets: [...new Set(entry.snippets)].sort(byCodePoint),
      ...(entry.file === undefined ? {} : { file: entry.file }),
    };
    return `    ${JSON.stringify(name)}: ${JSON.stringify(ordered)}`;
  });
  const body = lines.length === 0 ? "{}" : `{\n${lines.join(",\n")}\n  }`;
  const labels =
    lock.labels.length === 0 ? "" : `  "labels": ${JSON.stringify([...new Set(lock.labels)].sort(byCodePoint))},\n`;
  return `{\n  "lockfileVersion": ${LOCKFILE_VERSION},\n${labels}  "templates": ${body}\n}\n`;
}
