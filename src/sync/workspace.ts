// A key for another workspace (or the wrong base URL) looks to plx like a registry where every synced template was
// deleted. Acting on that would write a stranger's templates into the repository or report the repository's as gone,
// so commands stop first and say what is likely wrong.
import type { Lockfile } from "../core/lock.js";
import { plxError } from "../errors/index.js";

/** Below this many synced templates, a few deletions are not evidence of a wrong workspace. */
const MIN_SYNCED = 2;

/**
 * Stops unless PromptLayer still has at least half of the templates plx.lock records (matched by id, so renames do
 * not count as missing). An empty lock has nothing to compare.
 */
export function assertSameWorkspace(lock: Lockfile, existing: ReadonlySet<number>): void {
  const synced = Object.values(lock.templates);
  if (synced.length < MIN_SYNCED) return;
  const missing = synced.filter((entry) => !existing.has(entry.id)).length;
  if (missing * 2 > synced.length) throw plxError("SYNC.WORKSPACE_MISMATCH", { missing, synced: synced.length });
}
