// What plx learnt about each prompt file, kept between runs the way git's index is: a file whose size, times and inode
// are those recorded is known to hold the bytes recorded, so it need not be read to tell it is unchanged. Nothing is
// trusted when any of them differs, nor for a file changed too close to when the cache was written to be sure.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic.js";

export interface FileStamp {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

/** The cache's directory under the repository root; it ignores itself, so it is never committed. */
export const CACHE_DIR = ".plx";
const CACHE_FILE = join(CACHE_DIR, "cache", "files.json");
const FORMAT = 1;
/**
 * A file modified less than this long before the cache was written may be modified again within the same timestamp
 * tick (some filesystems count seconds): it is re-read next time rather than trusted.
 */
const RACY_MS = 2_000;

type Entry = [size: number, mtimeMs: number, ctimeMs: number, ino: number, fileHash: string];

export class StatCache {
  private changed = false;

  private constructor(
    private readonly rootDir: string,
    private readonly entries: Map<string, Entry>,
    private readonly writtenAt: number,
  ) {}

  /** The cache under `rootDir`, or an empty one when there is none or it cannot be read. */
  static load(rootDir: string): StatCache {
    try {
      const data = JSON.parse(readFileSync(join(rootDir, CACHE_FILE), "utf8")) as {
        format?: unknown;
        writtenAt?: unknown;
        entries?: unknown;
      };
      if (data.format === FORMAT && typeof data.writtenAt === "number" && isEntries(data.entries)) {
        return new StatCache(rootDir, new Map(Object.entries(data.entries)), data.writtenAt);
      }
    } catch {
      // Missing or damaged: start afresh; it is only ever a shortcut.
    }
    return new StatCache(rootDir, new Map(), 0);
  }

  /** The sha256 of the file's bytes, when the stamp says it still holds what was recorded. */
  fileHash(path: string, stamp: FileStamp): string | undefined {
    const entry = this.entries.get(path);
    if (!entry) return undefined;
    const [size, mtimeMs, ctimeMs, ino, fileHash] = entry;
    const same = size === stamp.size && mtimeMs === stamp.mtimeMs && ctimeMs === stamp.ctimeMs && ino === stamp.ino;
    return same && mtimeMs < this.writtenAt - RACY_MS && ctimeMs < this.writtenAt - RACY_MS ? fileHash : undefined;
  }

  remember(path: string, stamp: FileStamp, fileHash: string): void {
    const entry: Entry = [stamp.size, stamp.mtimeMs, stamp.ctimeMs, stamp.ino, fileHash];
    const previous = this.entries.get(path);
    if (previous?.every((value, index) => value === entry[index])) return;
    this.entries.set(path, entry);
    this.changed = true;
  }

  /** Forgets files that are gone, so the cache does not grow with every file the repository ever had. */
  keepOnly(paths: ReadonlySet<string>): void {
    for (const path of this.entries.keys()) {
      if (paths.has(path)) continue;
      this.entries.delete(path);
      this.changed = true;
    }
  }

  /** Writes the cache when it changed. A cache that cannot be written is no error: the next run reads the files. */
  async save(): Promise<void> {
    if (!this.changed) return;
    try {
      mkdirSync(join(this.rootDir, CACHE_DIR, "cache"), { recursive: true });
      writeFileSync(join(this.rootDir, CACHE_DIR, ".gitignore"), "# plx's cache: never committed\n*\n", { flag: "wx" });
    } catch {
      // Already there, or not writable: the write below says which.
    }
    const data = { format: FORMAT, writtenAt: Date.now(), entries: Object.fromEntries(this.entries) };
    await writeFileAtomic(join(this.rootDir, CACHE_FILE), JSON.stringify(data)).catch(() => undefined);
    this.changed = false;
  }
}

function isEntries(value: unknown): value is Record<string, Entry> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  return Object.values(value).every(
    (entry) =>
      Array.isArray(entry) &&
      entry.length === 5 &&
      entry.slice(0, 4).every((part) => typeof part === "number") &&
      typeof entry[4] === "string",
  );
}
