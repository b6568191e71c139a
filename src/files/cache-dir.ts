// plx's cache directory, `.plx/` under the repository root: what earlier runs learnt, kept to make the next one cheaper.
// It ignores itself, so it is never committed, and everything in it is a shortcut: missing or damaged, it is rebuilt.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic.js";

export const CACHE_DIR = ".plx";

/** The parsed JSON of a cache file, or undefined when there is none or it cannot be read. */
export function readCacheFile(rootDir: string, name: string): unknown {
  try {
    return JSON.parse(readFileSync(join(rootDir, CACHE_DIR, "cache", name), "utf8"));
  } catch {
    return undefined;
  }
}

/** Writes a cache file atomically. One that cannot be written is no error: the next run does the work again. */
export async function writeCacheFile(rootDir: string, name: string, data: unknown): Promise<void> {
  try {
    mkdirSync(join(rootDir, CACHE_DIR, "cache"), { recursive: true });
    writeFileSync(join(rootDir, CACHE_DIR, ".gitignore"), "# plx's cache: never committed\n*\n", { flag: "wx" });
  } catch {
    // Already there, or not writable: the write below says which.
  }
  await writeFileAtomic(join(rootDir, CACHE_DIR, "cache", name), JSON.stringify(data)).catch(() => undefined);
}

/** Drops the entries of paths not in `keep`, so a cache does not grow with every file a repository ever had. */
export function forgetOthers(entries: Map<string, unknown>, keep: ReadonlySet<string>): boolean {
  let forgot = false;
  for (const path of entries.keys()) {
    if (keep.has(path)) continue;
    entries.delete(path);
    forgot = true;
  }
  return forgot;
}
