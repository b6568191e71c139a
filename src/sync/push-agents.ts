// The agents' part of `plx push` and `plx publish`: what PromptLayer holds of each agent, the new versions made from
// agent files (after every prompt, since nodes name prompts), and labels. PromptLayer has no route that moves an
// agent's label: a label goes on a version as it is made, so the plan's copies make a new version identical to the
// one a label should point at, carrying every label moving there.
import { type AgentDoc, agentContentHash, agentFromRaw, withSecretsFrom, workflowContentOf } from "../agents/doc.js";
import type { LabelMove, LabelStatus } from "../core/label-plan.js";
import type { AgentLockEntry } from "../core/lock.js";
import { type PushItem, type PushRemote, remoteNeedsRead } from "../core/push-plan.js";
import { isInterruption, isPlxError, plxError } from "../errors/index.js";
import type { LocalAgent } from "../files/local.js";
import type { PromptLayerClient } from "../promptlayer/index.js";
import type { CreateWorkflowBody } from "../promptlayer/workflows.js";
import { agentLabelPositions, type RemoteHead } from "./remote.js";

/** What PromptLayer holds of each local agent: its latest version, read when it moved since the lock. */
export async function agentRemotes(
  client: PromptLayerClient,
  locals: readonly LocalAgent[],
  lock: Readonly<Record<string, AgentLockEntry>>,
  heads: ReadonlyMap<string, RemoteHead>,
): Promise<{ remotes: Map<string, PushRemote>; docs: Map<string, AgentDoc> }> {
  const remotes = new Map<string, PushRemote>();
  const docs = new Map<string, AgentDoc>();
  await Promise.all(
    locals.map(async (local) => {
      const head = heads.get(local.name);
      if (!head) return;
      const remote: PushRemote = { id: head.id, version: head.latestVersion, folder: head.folder };
      if (remoteNeedsRead(lock[local.name], remote)) {
        const read = await client.workflows.get(head.id);
        if (read) {
          const doc = agentFromRaw(read.raw, read.name, head.folder);
          remote.version = read.version;
          remote.hash = agentContentHash(doc);
          docs.set(local.name, doc);
        }
      }
      remotes.set(local.name, remote);
    }),
  );
  return { remotes, docs };
}

/** Where each requested label points on the agents in play: label → agent id → version. */
export async function agentPositions(
  client: PromptLayerClient,
  labels: readonly string[],
  ids: readonly number[],
): Promise<Map<string, Map<number, number>>> {
  const byAgent = labels.length === 0 ? new Map() : await agentLabelPositions(client, ids);
  return new Map(
    labels.map((label) => [
      label,
      new Map(
        [...byAgent].flatMap(([id, positions]) => (positions[label] === undefined ? [] : [[id, positions[label]]])),
      ),
    ]),
  );
}

/**
 * The content hash of each agent version a requested label points at, where that is not the version holding the
 * repository's content: the same content there needs no copy. One read per such version.
 */
export async function labelledContent(
  client: PromptLayerClient,
  items: readonly PushItem[],
  positions: ReadonlyMap<string, ReadonlyMap<number, number>>,
): Promise<(id: number, version: number, hash: string) => boolean> {
  const wanted = new Set<string>();
  for (const item of items) {
    if (item.kind !== "agent" || (item.action !== "unchanged" && item.action !== "behind")) continue;
    if (item.id === undefined) continue;
    for (const label of positions.values()) {
      const at = label.get(item.id);
      if (at !== undefined && at !== item.syncedVersion) wanted.add(`${item.id}@${at}`);
    }
  }
  const hashes = new Map(
    await Promise.all(
      [...wanted].map(async (key) => {
        const [id, version] = key.split("@").map(Number) as [number, number];
        const read = await client.workflows.get(id, { version });
        return [key, read && agentContentHash(agentFromRaw(read.raw, read.name, []))] as const;
      }),
    ),
  );
  return (id, version, hash) => hashes.get(`${id}@${version}`) === hash;
}

/** What publishing one agent needs beyond the plan's item. */
export interface AgentPublishing {
  local: LocalAgent;
  message: string;
  externalId: { source: string; external_id: string };
  /** Labels the new version carries. */
  labels: string[];
}

/**
 * The body of a new agent version. A new agent is created in the file's folder; a new version of an existing one is
 * the file's content with the secrets of the version it replaces put back (files never hold them).
 */
export async function agentBody(
  client: PromptLayerClient,
  item: Extract<PushItem, { action: "create" | "update" }>,
  publishing: AgentPublishing,
): Promise<CreateWorkflowBody> {
  const { local } = publishing;
  const common = {
    commit_message: publishing.message,
    release_labels: publishing.labels.length > 0 ? publishing.labels : null,
    external_ids: [publishing.externalId],
  };
  if (item.action === "create") {
    const folderId = await client.ensureFolderPath(local.doc.folder);
    return {
      name: local.doc.name,
      ...(folderId === null ? {} : { folder_id: folderId }),
      ...workflowContentOf(local.doc),
      ...common,
    };
  }
  const replaced = await client.workflows.get(item.id, { version: item.remoteVersion });
  return { workflow_id: item.id, ...withSecretsFrom(workflowContentOf(local.doc), replaced?.raw), ...common };
}

/** The commit message of a version made to carry labels: what it is, within the API's 72 characters. */
export function copyMessage(labels: readonly string[], of: number, why: string): string {
  const text = `${labels.join(", ")} to v${of}'s content: ${why}`;
  return text.length > COMMIT_MESSAGE_LIMIT ? `${text.slice(0, COMMIT_MESSAGE_LIMIT - 1).trimEnd()}…` : text;
}

/** PromptLayer's limit on a commit message. */
export const COMMIT_MESSAGE_LIMIT = 72;

/** An agent label move as carried out. */
export type AgentLabelChange = { move: LabelMove; version?: number } & (
  | { status: Exclude<LabelStatus, "failed" | "conflict"> }
  | { status: "failed"; error: string }
);

/** A version made only to carry labels: identical to `of`; `expected` is the number the plan counted on. */
export interface AgentCopy {
  name: string;
  id: number;
  version: number;
  of: number;
  expected: number;
}

/**
 * Carries out the plan's agent label moves: labels a new version carried when it was published are confirmed, copies
 * are made (one version per agent, carrying every label copied there), then where each label points is read back.
 * `published` gives the version each agent's publish made in this run.
 */
export async function applyAgentLabels(
  client: PromptLayerClient,
  moves: readonly LabelMove[],
  published: ReadonlyMap<string, { id: number; version: number }>,
  why: string,
): Promise<{ changes: AgentLabelChange[]; copies: AgentCopy[] }> {
  const changes: AgentLabelChange[] = [];
  const copies: AgentCopy[] = [];
  const sent: Array<{ change: AgentLabelChange; id: number }> = [];
  for (const move of moves) {
    if (move.action !== "move" && move.action !== "add") continue;
    const made = published.get(move.name);
    const change: AgentLabelChange = made
      ? { move, status: "planned", version: made.version }
      : { move, status: "failed", error: "its agent was not published" };
    changes.push(change);
    if (made) sent.push({ change, id: made.id });
  }
  const copying = Map.groupBy(
    moves.filter((move) => move.action === "copy"),
    (move) => move.name,
  );
  await Promise.all(
    [...copying.values()].map(async (group) => {
      const first = group[0]!;
      if (first.action !== "copy" || first.id === undefined) return;
      const copy = { ...first, id: first.id };
      const labels = group.map((move) => move.label);
      try {
        const version = await copyVersion(client, copy, labels, copyMessage(labels, copy.to, why));
        copies.push({ name: first.name, id: first.id, version, of: first.to, expected: first.creates });
        for (const move of group) {
          const change: AgentLabelChange = { move, status: "planned", version };
          changes.push(change);
          sent.push({ change, id: first.id });
        }
      } catch (error) {
        if (!isPlxError(error) || isInterruption(error)) throw error;
        for (const move of group) changes.push({ move, status: "failed", error: error.message });
      }
    }),
  );
  // Read back: a label that is not on the version it went to is waiting for an approval (still where it was) or was
  // moved on by someone else meanwhile.
  const ids = [...new Set(sent.map((entry) => entry.id))];
  const positions = await agentLabelPositions(client, ids);
  for (const { change, id } of sent) {
    const now = positions.get(id)?.[change.move.label];
    change.status = now === change.version ? "set" : now === change.move.from ? "pending" : "superseded";
  }
  return { changes, copies };
}

/**
 * A new version identical to version `of`, carrying `labels`: its content read back whole, secrets included, so
 * nothing PromptLayer holds is lost. It mints a version, so a lost answer is settled by reading back, never by a
 * second request (the workflows client's rule).
 */
async function copyVersion(
  client: PromptLayerClient,
  move: Extract<LabelMove, { action: "copy" }> & { id: number },
  labels: string[],
  commitMessage: string,
): Promise<number> {
  const latest = move.creates - 1;
  const read = await client.workflows.get(move.id, { version: move.to });
  if (!read) throw plxError("LABEL.VERSION_NOT_FOUND", { name: move.name, version: move.to, latest });
  const content = withSecretsFrom(workflowContentOf(agentFromRaw(read.raw, read.name, [])), read.raw);
  const made = await client.workflows.create(
    { workflow_id: move.id, ...content, commit_message: commitMessage, release_labels: labels },
    { previousVersion: latest },
  );
  return made.version;
}
