// What the registry holds, read with as few requests as possible: one folder-entities call lists every template with
// its folder and latest version; content is read only for templates that changed since the lock.
import { contentHash } from "../core/canonical.js";
import type { Lockfile } from "../core/lock.js";
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

export interface RemoteListing {
  /** Every template the repo tracks, at the version it tracks: those without the tracked label are left out. */
  heads: RemoteHead[];
  /** The id of every template that exists, tracked or not: one missing from `heads` but here is out of scope, not deleted. */
  existing: ReadonlySet<number>;
}

export async function listRemote(client: PromptLayerClient, track: TrackedState): Promise<RemoteListing> {
  const entities = await client.listPromptEntities();
  const heads: RemoteHead[] = entities.map((entity) => {
    const latest = (entity.metadata as { latest_version_number?: unknown } | null | undefined)?.latest_version_number;
    if (typeof latest !== "number")
      throw plxError("REMOTE.INVALID_RESPONSE", {
        method: "GET",
        path: "/api/public/v2/folders/entities",
        problem: `prompt ${entity.name} has no latest_version_number`,
      });
    return {
      id: entity.id,
      name: entity.name,
      folder: [...((entity.path as string[] | undefined) ?? [])],
      type: entity.type,
      version: latest,
      latestVersion: latest,
    };
  });
  const existing = new Set(heads.map((head) => head.id));
  if (track.kind === "latest") return { heads, existing };
  const labelled = await labelledVersions(client, track.label);
  const tracked = heads.flatMap((head) => {
    const version = labelled.get(head.id);
    return version === undefined ? [] : [{ ...head, version }];
  });
  return { heads: tracked, existing };
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
 * A template renamed in PromptLayer keeps its id: the lock entry and the local file's entry move to the new name,
 * so the rename is an update of one file rather than a deletion plus a new template. Returns the renamed ones,
 * new name to old.
 */
export function followRenames<L extends { name: string }>(
  lock: Lockfile,
  heads: readonly RemoteHead[],
  locals: Map<string, L>,
): { lock: Lockfile; renamed: Map<string, string> } {
  const templates = nameKeyed(lock.templates);
  const renamed = new Map<string, string>();
  const nameById = new Map(Object.entries(templates).map(([name, entry]) => [entry.id, name]));
  for (const head of heads) {
    const oldName = nameById.get(head.id);
    if (oldName === undefined || oldName === head.name || templates[head.name] !== undefined) continue;
    templates[head.name] = templates[oldName]!;
    delete templates[oldName];
    renamed.set(head.name, oldName);
    const local = locals.get(oldName);
    if (local) {
      locals.delete(oldName);
      locals.set(head.name, { ...local, name: head.name });
    }
  }
  return { lock: { ...lock, templates }, renamed };
}
