/**
 * Three-way comparison of one template: the local file, the base (what the lock says the last
 * sync saw) and the remote. Pull, diff, status and push all classify through here, so they
 * never disagree about what changed where.
 */

export interface Side {
  /** contentHash of the canonical content. */
  hash: string;
}

export interface RemoteSide extends Side {
  version: number;
}

export interface BaseSide extends Side {
  version: number;
}

export type SyncState =
  /** Local, base and remote agree (or local and remote agree and only the lock is behind). */
  | "in-sync"
  /** Edited locally since the last sync; the remote has not moved. Push publishes it; pull leaves it. */
  | "local-changed"
  /** Changed in PromptLayer since the last sync; the file has not. Pull brings it in; push refuses to overwrite it. */
  | "remote-changed"
  /** Changed on both sides, differently. Neither pull nor push may pick a side without --force. */
  | "conflict"
  /** A file with no template behind it yet. Push creates it. */
  | "local-only"
  /** A template with no file yet. Pull writes it. */
  | "remote-only"
  /** The file was deleted since the last sync; the remote has not moved. */
  | "local-deleted"
  /** The template is gone from PromptLayer; the file has not changed since the last sync. */
  | "remote-deleted";

export function classify(
  local: Side | undefined,
  base: BaseSide | undefined,
  remote: RemoteSide | undefined,
): SyncState {
  if (!local && !remote) return base ? "remote-deleted" : "in-sync";
  if (!base) {
    if (local && remote) return local.hash === remote.hash ? "in-sync" : "conflict";
    return local ? "local-only" : "remote-only";
  }
  const localChanged = !local || local.hash !== base.hash;
  // A remote version newer than the base with the same content (re-published as-is) is not a change.
  const remoteChanged = !remote || (remote.version !== base.version && remote.hash !== base.hash);

  if (!local) return remoteChanged ? (remote ? "conflict" : "remote-deleted") : "local-deleted";
  if (!remote) return localChanged ? "conflict" : "remote-deleted";
  if (local.hash === remote.hash) return "in-sync";
  if (localChanged && remoteChanged) return "conflict";
  if (localChanged) return "local-changed";
  if (remoteChanged) return "remote-changed";
  // Same version number as the base, yet different content: versions are immutable, so the lock
  // is wrong (edited by hand, or written by a plx with another canonical form). Trust the remote.
  return "remote-changed";
}
