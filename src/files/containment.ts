// plx reads and writes only inside the prompts directory. A symbolic link under it that leads elsewhere would carry a
// write (or a prune's delete) out of the repository, so every directory a sync is about to touch is checked first.
import { lstatSync, realpathSync } from "node:fs";
import { isAbsolute, join, posix, relative } from "node:path";
import { plxError } from "../errors/index.js";

export function isInside(path: string, directory: string): boolean {
  const rel = relative(directory, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}

/** The prompts directory as the file system resolves it (it may itself be a link the user chose), or as written. */
export function realPromptsDir(rootDir: string, promptsDir: string): string {
  const base = join(rootDir, promptsDir);
  try {
    return realpathSync(base);
  } catch {
    return base;
  }
}

/**
 * Throws before anything is written when a directory on the way to one of `paths` (repo-relative, under the prompts
 * directory) is a symbolic link that resolves outside it. Directories are looked at once each, however many files
 * share them.
 */
export function assertWritesStayInside(rootDir: string, promptsDir: string, paths: Iterable<string>): void {
  const realBase = realPromptsDir(rootDir, promptsDir);
  const seen = new Set<string>();
  for (const path of paths) {
    const segments = posix.relative(promptsDir, path).split("/");
    if (segments[0] === "..") continue;
    for (let depth = 1; depth < segments.length; depth++) {
      const directory = posix.join(promptsDir, ...segments.slice(0, depth));
      if (seen.has(directory)) continue;
      seen.add(directory);
      if (leadsOutside(join(rootDir, directory), realBase)) throw plxError("FILES.LINK_OUTSIDE", { directory });
    }
  }
}

function leadsOutside(absolute: string, realBase: string): boolean {
  try {
    if (!lstatSync(absolute).isSymbolicLink()) return false;
  } catch {
    return false; // Not there yet: pull creates it as a plain directory.
  }
  try {
    return !isInside(realpathSync(absolute), realBase);
  } catch {
    return true; // A dangling link: writing through it would create its target, wherever that is.
  }
}
