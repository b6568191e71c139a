// What the registry holds, read with as few requests as possible: one folder-entities call lists every template and
// agent with its folder and latest version; content is read only for those that changed since the lock.
import { type AgentDoc, agentContentHash, agentFromRaw, promptNamesIn } from "../agents/doc.js";
import { contentHash } from "../core/canonical.js";
import type { SyncedEntry } from "../core/lock.js";
import { nameKeyed } from "../core/records.js";
import { snippetNamesIn } from "../core/snippets.js";
import { templateFromRaw, type TemplateDoc } from "../core/template.js";
import type { TrackedState } from "../config/schema.js";
import { plxError } from "../errors/index.js";
import type { PromptLayerClient } from "../promptlayer/index.js";
import type { RemoteHead } from "../core/remote-head.js";

export type { RemoteHead };

export interface RemoteTemplate {
  head: RemoteHead;
  doc: TemplateDoc;
  hash: string;
  labels: Record<string, number>;
  snippets: string[];
}

export interface RemoteAgent {
  head: RemoteHead;
  doc: AgentDoc;
  hash: string;
  labels: Record<string, number>;
  prompts: string[];
}

export interface RemoteListing {
  /** Every template the repo tracks, at the version it tracks: those without the tracked label are left out. */
  heads: RemoteHead[];
  /** The id of every template that exists, tracked or not: one missing from `heads` but here is out of scope, not deleted. */
  existing: ReadonlySet<number>;
  /** Every agent the repo tracks, at the version it tracks, as `heads` for templates. */
  agents: RemoteHead[];
  /** The id of every agent that exists, tracked or not (agents and templates number their ids apart). */
  existingAgents: ReadonlySet<number>;
}

const AGENT_TYPE = "WORKFLOW";

export async function listRemote(client: PromptLayerClient, track: TrackedState): Promise<RemoteListing> {
  const entities = await client.listEntities(["PROMPT", "SNIPPET", AGENT_TYPE]);
  const headOf = (entity: (typeof entities)[number], latest: number): RemoteHead => ({
    id: entity.id,
    name: entity.name,
    folder: [...entity.path],
    type: entity.type,
    version: latest,
    latestVersion: latest,
  });
  const latestOf = (entity: (typeof entities)[number]) => entity.metadata?.latest_version_number ?? undefined;
  const heads: RemoteHead[] = entities
    .filter((entity) => entity.type !== AGENT_TYPE)
    .map((entity) => {
      const latest = latestOf(entity);
      if (latest === undefined)
        throw plxError("REMOTE.INVALID_RESPONSE", {
          method: "GET",
          path: "/api/public/v2/folders/entities",
          problem: `prompt ${entity.name} has no latest_version_number`,
        });
      return headOf(entity, latest);
    });
  const agentEntities = entities.filter((entity) => entity.type === AGENT_TYPE);
  // Folder entities promise a latest version number for prompts; for an agent that lacks one, the agents' own
  // listing has it.
  const listed = agentEntities.some((entity) => latestOf(entity) === undefined)
    ? new Map((await client.workflows.all()).map((item) => [item.id, item.latest_version_number ?? undefined]))
    : new Map<number, number | undefined>();
  const agents = agentEntities.flatMap((entity) => {
    const latest = latestOf(entity) ?? listed.get(entity.id);
    // An agent without a version has nothing to sync yet.
    return latest === undefined ? [] : [headOf(entity, latest)];
  });
  const existing = new Set(heads.map((head) => head.id));
  const existingAgents = new Set(agentEntities.map((entity) => entity.id));
  if (track.kind === "latest") return { heads, existing, agents, existingAgents };
  const [labelled, agentLabels] = await Promise.all([
    labelledVersions(client, track.label),
    agentLabelPositions(
      client,
      agents.map((head) => head.id),
    ),
  ]);
  const at = (versions: (id: number) => number | undefined) => (head: RemoteHead) => {
    const version = versions(head.id);
    return version === undefined ? [] : [{ ...head, version }];
  };
  return {
    heads: heads.flatMap(at((id) => labelled.get(id))),
    existing,
    agents: agents.flatMap(at((id) => agentLabels.get(id)?.[track.label])),
    existingAgents,
  };
}

/** Every template in the workspace, with the version the repo tracks; templates without the tracked label are left out. */
export async function listRemoteHeads(client: PromptLayerClient, track: TrackedState): Promise<RemoteHead[]> {
  return (await listRemote(client, track)).heads;
}

/** Template id to the version a label points at, for every template that has the label, a page of templates per request. */
export async function labelledVersions(client: PromptLayerClient, label: string): Promise<Map<number, number>> {
  const versions = new Map<number, number>();
  for await (const item of client.listTemplates({ label }))
    if (item.version !== undefined) versions.set(item.id, item.version);
  return versions;
}

/** Reads one template's tracked version as stored (snippet references kept) and its labels. */
export async function readRemoteTemplate(
  client: PromptLayerClient,
  head: RemoteHead,
): Promise<RemoteTemplate | undefined> {
  const [raw, labels] = await Promise.all([
    client.getTemplate(head.id, { version: head.version, resolveSnippets: false }),
    client.listLabels(head.id),
  ]);
  // Deleted between the listing and the read: treat as gone.
  if (!raw) return undefined;
  const doc = templateFromRaw(raw, head.folder);
  return {
    head: { ...head, name: raw.prompt_name },
    doc,
    hash: contentHash(doc),
    labels: nameKeyed(
      Object.fromEntries((labels ?? []).map((label) => [label.release_label, label.prompt_version_number])),
    ),
    snippets: snippetNamesIn(doc.promptTemplate),
  };
}

/** Reads one agent's tracked version and its labels; undefined when it was deleted since the listing. */
export async function readRemoteAgent(client: PromptLayerClient, head: RemoteHead): Promise<RemoteAgent | undefined> {
  const [read, labels] = await Promise.all([
    client.workflows.get(head.id, { version: head.version }),
    client.workflows.labels(head.id),
  ]);
  if (!read) return undefined;
  const doc = agentFromRaw(read.raw, read.name, head.folder);
  return {
    head: { ...head, name: read.name },
    doc,
    hash: agentContentHash(doc),
    labels: labelsByName(labels ?? []),
    prompts: promptNamesIn(doc),
  };
}

/**
 * Every label of each agent, by agent id, one request per agent: PromptLayer lists agents without where their labels
 * point. An agent deleted meanwhile is left out.
 */
export async function agentLabelPositions(
  client: PromptLayerClient,
  ids: readonly number[],
): Promise<Map<number, Record<string, number>>> {
  const read = await Promise.all(ids.map(async (id) => [id, await client.workflows.labels(id)] as const));
  return new Map(read.flatMap(([id, labels]) => (labels ? [[id, labelsByName(labels)] as const] : [])));
}

const labelsByName = (labels: ReadonlyArray<{ release_label: string; workflow_version_number: number }>) =>
  nameKeyed(Object.fromEntries(labels.map((label) => [label.release_label, label.workflow_version_number])));

/**
 * Labels of templates that were not read, refreshed with one paged list per label name, instead of one request per
 * template: each template's record for those names is complete afterwards (a missing name means it carries no such
 * label).
 */
export async function refreshLabels(
  client: PromptLayerClient,
  names: readonly string[],
  ids: ReadonlySet<number>,
): Promise<Map<number, Record<string, number>>> {
  const byTemplate = new Map<number, Record<string, number>>([...ids].map((id) => [id, nameKeyed<number>()]));
  const listings = await Promise.all(names.map(async (name) => [name, await labelledVersions(client, name)] as const));
  for (const [name, versions] of listings) {
    for (const [id, version] of versions) if (ids.has(id)) byTemplate.get(id)![name] = version;
  }
  return byTemplate;
}

/**
 * A template (or agent) renamed in PromptLayer keeps its id: the lock entry and the local file's entry move to the new
 * name, so the rename is an update of one file rather than a deletion plus a new one. `entries` is one section of the
 * lock; returns it renamed, and the renamed ones, new name to old.
 */
export function followRenames<E extends SyncedEntry, L extends { name: string }>(
  entries: Readonly<Record<string, E>>,
  heads: readonly RemoteHead[],
  locals: Map<string, L>,
): { entries: Record<string, E>; renamed: Map<string, string> } {
  const renamedEntries = nameKeyed(entries);
  const renamed = new Map<string, string>();
  const nameById = new Map(Object.entries(renamedEntries).map(([name, entry]) => [entry.id, name]));
  for (const head of heads) {
    const oldName = nameById.get(head.id);
    if (oldName === undefined || oldName === head.name || renamedEntries[head.name] !== undefined) continue;
    renamedEntries[head.name] = renamedEntries[oldName]!;
    delete renamedEntries[oldName];
    renamed.set(head.name, oldName);
    const local = locals.get(oldName);
    if (local) {
      locals.delete(oldName);
      locals.set(head.name, { ...local, name: head.name });
    }
  }
  return { entries: renamedEntries, renamed };
}
