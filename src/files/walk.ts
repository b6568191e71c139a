// Finding prompt and agent files under the prompts directory. A plain directory walk: fast-glob's generality cost
// more to load than the walk itself.
import { type Dirent, readdirSync } from "node:fs";
import { join } from "node:path";

/**
 * Paths relative to `root`, with forward slashes, of the entries whose name ends in `suffix` and is longer than it.
 * Hidden entries (a leading dot) are skipped, and symbolic links to directories are not followed; an entry with the
 * suffix is returned whatever it is (file, link, directory), for the reader to accept or refuse. A missing root is empty.
 */
export function findBySuffix(root: string, suffix: string): string[] {
  const found: string[] = [];
  const pending = [""];
  while (pending.length > 0) {
    const relative = pending.pop()!;
    let entries: Dirent[];
    try {
      entries = readdirSync(join(root, relative), { withFileTypes: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") continue;
      throw error;
    }
    for (const entry of entries) {
      if (entry.name.startsWith(".")) continue;
      const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (entry.name.endsWith(suffix) && entry.name.length > suffix.length) found.push(path);
      else if (entry.isDirectory()) pending.push(path);
    }
  }
  return found.sort();
}
