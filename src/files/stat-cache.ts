// What plx learnt about each prompt file, kept between runs the way git's index is: a file whose size, times and inode
// are those recorded is known to hold the bytes recorded, so it need not be read to tell it is unchanged. Nothing is
// trusted when any of them differs, nor for a file changed too close to when the cache was written to be sure.
import { forgetOthers, readCacheFile, writeCacheFile } from "./cache-dir.js";

export interface FileStamp {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

const CACHE_FILE = "files.json";
const FORMAT = 1;
/**
 * A file modified less than this long before the cache was written may be modified again within the same timestamp
 * tick (some filesystems count seconds): it is re-read next time rather than trusted.
 */
const RACY_MS = 2_000;

type Entry = [size: number, mtimeMs: number, ctimeMs: number, ino: number, fileHash: string];

export class StatCache {
  private changed = false;
  /** Entries whose bytes this run read and hashed (or recorded afresh): only these may be dated by the next save. */
  private readonly verified = new Set<string>();

  private constructor(
    private readonly rootDir: string,
    private readonly entries: Map<string, Entry>,
    private readonly writtenAt: number,
  ) {}

  /** The cache under `rootDir`, or an empty one when there is none or it cannot be read. */
  static load(rootDir: string): StatCache {
    const data = readCacheFile(rootDir, CACHE_FILE) as { format?: unknown; writtenAt?: unknown; entries?: unknown };
    if (data?.format === FORMAT && typeof data.writtenAt === "number" && isEntries(data.entries)) {
      return new StatCache(rootDir, new Map(Object.entries(data.entries)), data.writtenAt);
    }
    return new StatCache(rootDir, new Map(), 0);
  }

  /** The sha256 of the file's bytes, when the stamp says it still holds what was recorded. */
  fileHash(path: string, stamp: FileStamp): string | undefined {
    const entry = this.entries.get(path);
    if (!entry) return undefined;
    const [size, mtimeMs, ctimeMs, ino, fileHash] = entry;
    const same = size === stamp.size && mtimeMs === stamp.mtimeMs && ctimeMs === stamp.ctimeMs && ino === stamp.ino;
    if (!same) return undefined;
    if (mtimeMs < this.writtenAt - RACY_MS && ctimeMs < this.writtenAt - RACY_MS) return fileHash;
    // Too recent to trust: the caller reads and hashes the file again, and saving the cache afterwards dates the entry
    // after that read, so the next run can trust it (else a file written just before a save would never be).
    this.changed = true;
    return undefined;
  }

  remember(path: string, stamp: FileStamp, fileHash: string): void {
    this.verified.add(path);
    const entry: Entry = [stamp.size, stamp.mtimeMs, stamp.ctimeMs, stamp.ino, fileHash];
    const previous = this.entries.get(path);
    if (previous?.every((value, index) => value === entry[index])) return;
    this.entries.set(path, entry);
    this.changed = true;
  }

  /** Forgets files that are gone, so the cache does not grow with every file the repository ever had. */
  keepOnly(paths: ReadonlySet<string>): void {
    if (forgetOthers(this.entries, paths)) this.changed = true;
  }

  /**
   * Writes the cache when it changed. The new date vouches for every entry, so an entry still too recent to trust that
   * this run did not read again is dropped rather than trusted unseen next time.
   */
  async save(): Promise<void> {
    if (!this.changed) return;
    for (const [path, [, mtimeMs, ctimeMs]] of this.entries) {
      const racy = mtimeMs >= this.writtenAt - RACY_MS || ctimeMs >= this.writtenAt - RACY_MS;
      if (racy && !this.verified.has(path)) this.entries.delete(path);
    }
    await writeCacheFile(this.rootDir, CACHE_FILE, {
      format: FORMAT,
      writtenAt: Date.now(),
      entries: Object.fromEntries(this.entries),
    });
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
