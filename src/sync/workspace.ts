// A key for another workspace (or the wrong base URL) looks to plx like a registry where every synced template was
// deleted. Acting on that would write a stranger's templates into the repository or report the repository's as gone,
// so commands stop first and say what is likely wrong.
import type { Lockfile } from "../core/lock.js";
import { plxError } from "../errors/index.js";
import type { RemoteListing } from "./remote.js";

/** Below this many synced templates and agents, a few deletions are not evidence of a wrong workspace. */
const MIN_SYNCED = 2;

/**
 * Stops unless PromptLayer still has at least half of the templates and agents plx.lock records (matched by id, so
 * renames do not count as missing). An empty lock has nothing to compare.
 */
export function assertSameWorkspace(lock: Lockfile, listing: Pick<RemoteListing, "existing" | "existingAgents">): void {
  const templates = Object.values(lock.templates);
  const agents = Object.values(lock.agents);
  const synced = templates.length + agents.length;
  if (synced < MIN_SYNCED) return;
  const missing =
    templates.filter((entry) => !listing.existing.has(entry.id)).length +
    agents.filter((entry) => !listing.existingAgents.has(entry.id)).length;
  if (missing * 2 > synced) throw plxError("SYNC.WORKSPACE_MISMATCH", { missing, synced });
}
