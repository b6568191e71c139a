// What `plx check` found in each prompt file, kept between runs the way `eslint --cache` does: a file whose bytes and
// whose surroundings (the names its snippet references resolve to) are those recorded has those findings again,
// without being read or parsed. Written by a build of plx with the same rules only: another build starts afresh.
import type { Finding } from "../core/findings.js";
import { forgetOthers, readCacheFile, writeCacheFile } from "./cache-dir.js";

export interface CheckedFile {
  /** sha256 of the file's bytes when it was checked. */
  file: string;
  /** The template's type, which other files' snippet references are checked against. */
  kind: string;
  /** What the findings depended on outside the file. */
  context: string;
  findings: Finding[];
}

const CACHE_FILE = "check.json";
const FORMAT = 1;

export class CheckCache {
  private changed = false;

  private constructor(
    private readonly rootDir: string,
    private readonly rules: string,
    private readonly entries: Map<string, CheckedFile>,
  ) {}

  /** The cache under `rootDir` when it was written under the same `rules`, else an empty one. */
  static load(rootDir: string, rules: string): CheckCache {
    const data = readCacheFile(rootDir, CACHE_FILE) as { format?: unknown; rules?: unknown; entries?: unknown };
    const entries =
      data?.format === FORMAT && data.rules === rules && isEntries(data.entries) ? Object.entries(data.entries) : [];
    return new CheckCache(rootDir, rules, new Map(entries));
  }

  /** What was found in the file at `path` when it held these bytes. */
  get(path: string, fileHash: string): CheckedFile | undefined {
    const entry = this.entries.get(path);
    return entry?.file === fileHash ? entry : undefined;
  }

  set(path: string, entry: CheckedFile): void {
    this.entries.set(path, entry);
    this.changed = true;
  }

  /** Forgets files that are gone (after a check of every file). */
  keepOnly(paths: ReadonlySet<string>): void {
    if (forgetOthers(this.entries, paths)) this.changed = true;
  }

  async save(): Promise<void> {
    if (!this.changed) return;
    await writeCacheFile(this.rootDir, CACHE_FILE, {
      format: FORMAT,
      rules: this.rules,
      entries: Object.fromEntries(this.entries),
    });
    this.changed = false;
  }
}

function isEntries(value: unknown): value is Record<string, CheckedFile> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  return Object.values(value).every(
    (entry) =>
      typeof entry === "object" &&
      entry !== null &&
      typeof entry.file === "string" &&
      typeof entry.kind === "string" &&
      typeof entry.context === "string" &&
      Array.isArray(entry.findings),
  );
}
