// Release labels: pointing labels at versions, then reading them back, because a protected label accepts the
// request and stays where it was until someone approves it. That case is reported as pending, never as done. Agents'
// labels move only with new versions (PromptLayer has no route for them): a move makes a version identical to the
// one the label should point at, and is refused where that version would hide a later, different one.
import { agentContentHash, agentFromRaw } from "../agents/doc.js";
import { contentHash } from "../core/canonical.js";
import type { LabelMove, LabelStatus } from "../core/label-plan.js";
import type { AgentLockEntry, LockEntry, SyncedEntry, SyncKind } from "../core/lock.js";
import { templateFromRaw } from "../core/template.js";
import type { ResolvedConfig } from "../config/schema.js";
import { isPlxError, plxError } from "../errors/index.js";
import type { LocalAgent, LocalTemplate } from "../files/local.js";
import type { PromptLayerClient } from "../promptlayer/index.js";
import { readLockfile, writeLockfile } from "../files/lockfile.js";
import { nameKeyed } from "../core/records.js";
import { applyAgentLabels } from "./push-agents.js";
import { readRepository } from "./repository.js";
import { templateScope } from "./select.js";
import { agentLabelPositions, labelledVersions, listRemote, type RemoteHead } from "./remote.js";

export interface LabelTarget {
  name: string;
  id: number;
  label: string;
  version: number;
  /** Where the label pointed when the change was planned; absent when the template did not carry it. */
  from?: number;
  /** The publish that created `version` carried the label already; only confirming is left. */
  setByPublish?: boolean;
}

/** What became of one label change: its status, and for a failure (or an agent's label left alone), why. */
export type LabelChange = {
  kind: SyncKind;
  name: string;
  label: string;
  version: number;
  /** Where the label pointed before, when it existed. */
  from?: number;
  /** An agent's label moved by a new version (`version`) identical to this one. */
  copyOf?: number;
} & ({ status: Exclude<LabelStatus, "failed" | "conflict"> } | { status: "failed" | "conflict"; error: string });

/**
 * Points each target's label at its version, creating or moving it as needed, then reads the labels back: a protected
 * label accepts the request and stays where it was until someone approves it, which is reported as pending.
 */
export async function applyLabels(client: PromptLayerClient, targets: readonly LabelTarget[]): Promise<LabelChange[]> {
  const changes = await Promise.all(
    targets.map(async (target): Promise<LabelChange> => {
      const change: LabelChange = {
        kind: "prompt",
        name: target.name,
        label: target.label,
        version: target.version,
        ...(target.from === undefined || target.setByPublish ? {} : { from: target.from }),
        status: "unchanged",
      };
      if (target.from === target.version && !target.setByPublish) return change;
      if (target.setByPublish) return change;
      try {
        await pointLabel(client, target.id, target.label, target.version);
      } catch (error) {
        if (!isPlxError(error) || error.code === "INTERRUPTED") throw error;
        return { ...change, status: "failed", error: error.message };
      }
      return change;
    }),
  );
  const asked = targets.filter((target) => target.setByPublish || target.from !== target.version);
  const positions = await labelPositions(client, asked);
  return changes
    .map((change, index) => {
      const target = targets[index]!;
      if (change.status === "failed" || !asked.includes(target)) return change;
      const position = positions.get(target.label)?.get(target.id);
      const status: LabelStatus =
        position === target.version ? "set" : stillWaiting(target, position) ? "pending" : "superseded";
      return { ...change, status };
    })
    .sort((a, b) => a.name.localeCompare(b.name) || a.label.localeCompare(b.label));
}

/**
 * Where each label of the targets points now, by template id: a few templates are read one by one, many through one
 * paged listing per label, whichever takes fewer requests.
 */
async function labelPositions(
  client: PromptLayerClient,
  targets: readonly LabelTarget[],
): Promise<Map<string, Map<number, number>>> {
  const positions = new Map<string, Map<number, number>>();
  const byLabel = Map.groupBy(targets, (target) => target.label);
  await Promise.all(
    [...byLabel].map(async ([label, group]) => {
      if (group.length > FEW_TARGETS) {
        positions.set(label, await labelledVersions(client, label));
        return;
      }
      const found = new Map<number, number>();
      await Promise.all(
        group.map(async (target) => {
          const version = (await client.listLabels(target.id))?.find(
            (l) => l.release_label === label,
          )?.prompt_version_number;
          if (version !== undefined) found.set(target.id, version);
        }),
      );
      positions.set(label, found);
    }),
  );
  return positions;
}

/** Up to this many templates, reading each one's labels costs fewer requests than listing everything carrying the label. */
const FEW_TARGETS = 3;

/**
 * Whether a label that is not where it was sent is waiting for an approval rather than moved by someone else.
 * A label moved here is waiting while it stays where it was, even when that is a newer version (a rollback). One
 * carried by a publish went with the newest version, so only a still newer one means another publish came after.
 */
function stillWaiting(target: LabelTarget, now: number | undefined): boolean {
  if (!target.setByPublish) return now === target.from;
  return now === undefined || now < target.version;
}

/** Moves the label if the template has it, else creates it. */
export async function pointLabel(
  client: PromptLayerClient,
  templateId: number,
  label: string,
  version: number,
): Promise<void> {
  const find = async () =>
    (await client.listLabels(templateId))?.find((candidate) => candidate.release_label === label);
  const existing = await find();
  if (existing) {
    await client.moveLabel(existing.release_label_id, version);
    return;
  }
  try {
    await client.createLabel(templateId, label, version);
  } catch (error) {
    // Another run created the label between our read and our create: move the one that now exists.
    const created = isPlxError(error) && error.details?.status === 400 ? await find() : undefined;
    if (!created) throw error;
    if (created.prompt_version_number !== version) await client.moveLabel(created.release_label_id, version);
  }
}

// ---- `plx label` ----

export interface LabelRow {
  kind: SyncKind;
  name: string;
  label: string;
  version: number;
  /** Whether that version holds what the local file holds; undefined when there is no local file. */
  matchesLocal?: boolean;
}

interface Resolved {
  client: PromptLayerClient;
  config: ResolvedConfig;
}

/** Every label of every template and agent in scope, and whether it points at the content of the local file. */
export async function listLabelRows({ client, config }: Resolved, names: readonly string[]): Promise<LabelRow[]> {
  const { heads, agents, locals, localAgents, lock } = await labelScope(client, config, names);
  const rowsOf = (
    kind: SyncKind,
    head: RemoteHead,
    labels: ReadonlyArray<[string, number]>,
    local: { hash: string } | undefined,
    hashAt: (version: number) => Promise<string | undefined>,
  ) =>
    Promise.all(
      labels.map(async ([label, version]): Promise<LabelRow> => {
        const row: LabelRow = { kind, name: head.name, label, version };
        if (local) row.matchesLocal = (await hashAt(version)) === local.hash;
        return row;
      }),
    );
  const [templateRows, agentRows] = await Promise.all([
    Promise.all(
      heads.map(async (head) => {
        const labels = (await client.listLabels(head.id)) ?? [];
        return rowsOf(
          "prompt",
          head,
          labels.map((label) => [label.release_label, label.prompt_version_number]),
          locals.get(head.name),
          (version) => versionHash(client, head.id, version, lock.templates[head.name]),
        );
      }),
    ),
    agentLabelPositions(
      client,
      agents.map((head) => head.id),
    ).then((positions) =>
      Promise.all(
        agents.map((head) =>
          rowsOf("agent", head, Object.entries(positions.get(head.id) ?? {}), localAgents.get(head.name), (version) =>
            agentVersionHash(client, head.id, version, lock.agents[head.name]),
          ),
        ),
      ),
    ),
  ]);
  return [...templateRows, ...agentRows]
    .flat()
    .sort((a, b) => a.name.localeCompare(b.name) || a.kind.localeCompare(b.kind) || a.label.localeCompare(b.label));
}

/**
 * `plx label set`: the version defaults to the one whose content is the local file's. A name a prompt and an agent
 * share means the prompt, unless `agent` says otherwise.
 */
export async function setLabel(
  { client, config }: Resolved,
  label: string,
  name: string,
  version: number | undefined,
  agent = false,
): Promise<LabelChange> {
  const { heads, agents, locals, localAgents, lock } = await labelScope(client, config, [name]);
  const head = agent ? undefined : heads.find((candidate) => candidate.name === name);
  if (!head) {
    const agentHead = agents.find((candidate) => candidate.name === name);
    if (agentHead)
      return setAgentLabel(client, config, label, agentHead, version, localAgents.get(name), lock.agents[name]);
    throw plxError(agent ? "LABEL.AGENT_NOT_FOUND" : "LABEL.TEMPLATE_NOT_FOUND", { name });
  }
  const target = version ?? (await versionMatchingLocal(client, head, locals.get(name), lock.templates[name]));
  const [labels, exists] = await Promise.all([
    client.listLabels(head.id),
    version === undefined ? true : client.getTemplate(head.id, { version }).then((raw) => raw !== undefined),
  ]);
  if (!exists) throw plxError("LABEL.VERSION_NOT_FOUND", { name, version: target, latest: head.latestVersion });
  const from = labels?.find((candidate) => candidate.release_label === label)?.prompt_version_number;
  const [change] = await applyLabels(client, [
    { name, id: head.id, label, version: target, ...(from === undefined ? {} : { from }) },
  ]);
  await recordLabelChanges(config.rootDir, [change!]);
  return change!;
}

/**
 * An agent's label to `version`: by a new version identical to it, which becomes the agent's latest. That is done
 * only when the latest already holds the same content, so the copy hides nothing.
 */
async function setAgentLabel(
  client: PromptLayerClient,
  config: ResolvedConfig,
  label: string,
  head: RemoteHead,
  version: number | undefined,
  local: LocalAgent | undefined,
  base: AgentLockEntry | undefined,
): Promise<LabelChange> {
  const target = version ?? (await agentVersionMatchingLocal(client, head, local, base));
  const [positions, hash] = await Promise.all([
    agentLabelPositions(client, [head.id]),
    agentVersionHash(client, head.id, target, base),
  ]);
  if (hash === undefined)
    throw plxError("LABEL.VERSION_NOT_FOUND", { name: head.name, version: target, latest: head.latestVersion });
  const from = positions.get(head.id)?.[label];
  const unchanged: LabelChange = {
    kind: "agent",
    name: head.name,
    label,
    version: target,
    ...(from === undefined ? {} : { from }),
    status: "unchanged",
  };
  // Already on a version with the same content: a copy would change nothing.
  if (from === target || (from !== undefined && (await agentVersionHash(client, head.id, from, base)) === hash))
    return { ...unchanged, ...(from === undefined ? {} : { version: from }) };
  const latestHash =
    target === head.latestVersion ? hash : await agentVersionHash(client, head.id, head.latestVersion, base);
  if (latestHash !== hash)
    throw plxError("LABEL.AGENT_COPY_HIDES_LATEST", {
      name: head.name,
      label,
      version: target,
      latest: head.latestVersion,
    });
  const [change] = await copyAgentLabels(client, [copyMove(head, label, from, target)], "plx label set");
  await recordLabelChanges(config.rootDir, [change!]);
  return change!;
}

/** A label's move to `to` on an agent, by a version after its latest: what applyAgentLabels carries out. */
function copyMove(head: RemoteHead, label: string, from: number | undefined, to: number): LabelMove {
  return {
    kind: "agent",
    name: head.name,
    label,
    id: head.id,
    ...(from === undefined ? {} : { from }),
    to,
    action: "copy",
    creates: head.latestVersion + 1,
    reason: "asked for",
  };
}

/** Agents' label copies made, as label changes. */
async function copyAgentLabels(
  client: PromptLayerClient,
  moves: readonly LabelMove[],
  why: string,
): Promise<LabelChange[]> {
  const { changes } = await applyAgentLabels(client, moves, new Map(), why);
  return changes.map((change): LabelChange => {
    const { move } = change;
    const facts = {
      kind: "agent" as const,
      name: move.name,
      label: move.label,
      version: change.version ?? move.to!,
      ...(move.from === undefined ? {} : { from: move.from }),
      ...(move.to === undefined ? {} : { copyOf: move.to }),
    };
    return change.status === "failed"
      ? { ...facts, status: "failed", error: change.error }
      : { ...facts, status: change.status };
  });
}

export interface LabelRemoval {
  name: string;
  label: string;
  /** `absent`: there was nothing to remove; `pending`: the delete was accepted but a protected label stays until approved. */
  status: "removed" | "absent" | "pending";
  version?: number;
}

/** Removes a template's label. An agent's cannot be: PromptLayer has no route for it, which the error says. */
export async function removeLabel(
  { client, config }: Resolved,
  label: string,
  name: string,
  agent = false,
): Promise<LabelRemoval> {
  const labels = agent ? undefined : await client.listLabels(name);
  if (!labels) {
    if (await client.workflows.get(name)) throw plxError("LABEL.AGENT_LABEL_STAYS", { name, label });
    throw plxError(agent ? "LABEL.AGENT_NOT_FOUND" : "LABEL.TEMPLATE_NOT_FOUND", { name });
  }
  const existing = labels.find((candidate) => candidate.release_label === label);
  if (!existing) return { name, label, status: "absent" };
  await client.deleteLabel(existing.release_label_id);
  const still = (await client.listLabels(name))?.some((candidate) => candidate.release_label === label);
  const removal: LabelRemoval = {
    name,
    label,
    status: still ? "pending" : "removed",
    version: existing.prompt_version_number,
  };
  await recordLabelChanges(config.rootDir, [], [removal]);
  return removal;
}

/** `plx label promote staging prod`: `to` goes where `from` points, template by template and agent by agent. */
export interface Promotion {
  label: string;
  /** Every template carrying the source label, and where the target label would go. */
  targets: LabelTarget[];
  /** Every agent whose target label moves: by a new version identical to the one the source label points at. */
  copies: LabelMove[];
  /**
   * The plan: `planned` where the target label moves, `unchanged` where it is already there, `conflict` for an agent
   * whose move would hide a later, different version.
   */
  changes: LabelChange[];
}

/** `plx label promote staging prod`: where `to` would go, template by template; nothing is changed. */
export async function planPromotion(
  { client, config }: Resolved,
  from: string,
  to: string,
  names: readonly string[],
): Promise<Promotion> {
  const matches = templateScope(names, config.ignore);
  const [listing, source, current] = await Promise.all([
    listRemote(client, { kind: "latest" }),
    labelledVersions(client, from),
    labelledVersions(client, to),
  ]);
  const targets = listing.heads
    .filter((head) => matches(head.name, head.folder) && source.has(head.id))
    .map((head): LabelTarget => {
      const was = current.get(head.id);
      return {
        name: head.name,
        id: head.id,
        label: to,
        version: source.get(head.id)!,
        ...(was === undefined ? {} : { from: was }),
      };
    });
  const changes = targets.map((target): LabelChange => {
    const was = current.get(target.id);
    return {
      kind: "prompt",
      name: target.name,
      label: to,
      version: target.version,
      ...(was === undefined ? {} : { from: was }),
      status: was === target.version ? "unchanged" : "planned",
    };
  });
  const agents = await planAgentPromotion(
    client,
    listing.agents.filter((head) => matches(head.name, head.folder)),
    from,
    to,
  );
  return { label: to, targets, copies: agents.copies, changes: [...changes, ...agents.changes] };
}

/** Agents carrying `from`: where `to` would go, and the copies that take it there. */
async function planAgentPromotion(
  client: PromptLayerClient,
  heads: readonly RemoteHead[],
  from: string,
  to: string,
): Promise<Pick<Promotion, "copies" | "changes">> {
  const positions = await agentLabelPositions(
    client,
    heads.map((head) => head.id),
  );
  const planned = await Promise.all(
    heads.map(async (head): Promise<{ change?: LabelChange; copy?: LabelMove }> => {
      const source = positions.get(head.id)?.[from];
      if (source === undefined) return {};
      const was = positions.get(head.id)?.[to];
      const change: LabelChange = {
        kind: "agent",
        name: head.name,
        label: to,
        version: source,
        ...(was === undefined ? {} : { from: was }),
        status: "unchanged",
      };
      if (was === source) return { change };
      const [sourceHash, latestHash, wasHash] = await Promise.all([
        agentVersionHash(client, head.id, source, undefined),
        source === head.latestVersion ? undefined : agentVersionHash(client, head.id, head.latestVersion, undefined),
        was === undefined ? undefined : agentVersionHash(client, head.id, was, undefined),
      ]);
      // Already on a version with the same content (a copy of it, say): a copy would change nothing.
      if (was !== undefined && wasHash === sourceHash) return { change: { ...change, version: was } };
      if (source !== head.latestVersion && sourceHash !== latestHash)
        return {
          change: {
            ...change,
            status: "conflict",
            error: `moving ${to} needs a new version identical to v${source}, which would hide v${head.latestVersion}, a different version`,
          },
        };
      return { change: { ...change, status: "planned" }, copy: copyMove(head, to, was, source) };
    }),
  );
  return {
    copies: planned.flatMap((entry) => (entry.copy ? [entry.copy] : [])),
    changes: planned.flatMap((entry) => (entry.change ? [entry.change] : [])),
  };
}

/** Carries out a promotion plan: exactly the moves it planned. */
export async function applyPromotion(
  client: PromptLayerClient,
  config: ResolvedConfig,
  plan: Promotion,
): Promise<LabelChange[]> {
  const moving = new Set(
    plan.changes
      .filter((change) => change.kind === "prompt" && change.status === "planned")
      .map((change) => change.name),
  );
  const [templates, agents] = await Promise.all([
    applyLabels(
      client,
      plan.targets.filter((target) => moving.has(target.name)),
    ),
    plan.copies.length === 0 ? [] : copyAgentLabels(client, plan.copies, `plx label promote`),
  ]);
  // Agents that did not move (already there, or left alone) are reported as planned.
  const copied = new Set(agents.map((change) => change.name));
  const changes = [
    ...templates,
    ...agents,
    ...plan.changes.filter((change) => change.kind === "agent" && !copied.has(change.name)),
  ];
  await recordLabelChanges(config.rootDir, changes);
  return changes;
}

/**
 * A label moved with plx label is a change the repository made: plx.lock records it, so a later publish does not take
 * it for a move made in PromptLayer. Only templates and agents the lock knows are recorded; no lock, nothing to
 * record. An agent whose label moved by a copy of the version the lock holds is recorded at the copy, its latest.
 */
async function recordLabelChanges(
  rootDir: string,
  changes: readonly LabelChange[],
  removed: readonly LabelRemoval[] = [],
): Promise<void> {
  const moved = changes.filter((change) => change.status === "set");
  const gone = removed.filter((removal) => removal.status === "removed");
  if (moved.length === 0 && gone.length === 0) return;
  const lock = await readLockfile(rootDir);
  const templates = nameKeyed(lock.templates);
  const agents = nameKeyed(lock.agents);
  const update = <E extends SyncedEntry>(entries: Record<string, E>, name: string, change: (entry: E) => E) => {
    const entry = entries[name];
    if (entry) entries[name] = change(entry);
  };
  for (const change of moved) {
    const record = <E extends SyncedEntry>(entry: E): E => ({
      ...entry,
      ...(change.copyOf !== undefined && entry.version === change.copyOf ? { version: change.version } : {}),
      labels: nameKeyed(entry.labels, { [change.label]: change.version }),
    });
    if (change.kind === "agent") update(agents, change.name, record);
    else update(templates, change.name, record);
  }
  for (const removal of gone)
    update(templates, removal.name, (entry) => {
      const labels = nameKeyed(entry.labels);
      delete labels[removal.label];
      return { ...entry, labels };
    });
  if (Object.keys(lock.templates).length + Object.keys(lock.agents).length > 0)
    await writeLockfile(rootDir, { ...lock, templates, agents });
}

async function labelScope(client: PromptLayerClient, config: ResolvedConfig, names: readonly string[]) {
  const matches = templateScope(names, config.ignore);
  const [listing, { lock, templates, agents }] = await Promise.all([
    listRemote(client, { kind: "latest" }),
    readRepository(config),
  ]);
  return {
    heads: listing.heads.filter((head) => matches(head.name, head.folder)),
    agents: listing.agents.filter((head) => matches(head.name, head.folder)),
    locals: new Map(templates.map((t) => [t.name, t])),
    localAgents: new Map(agents.map((a) => [a.name, a])),
    lock,
  };
}

/** The content hash of an agent's version; undefined when there is no such version. */
async function agentVersionHash(
  client: PromptLayerClient,
  id: number,
  version: number,
  base: AgentLockEntry | undefined,
): Promise<string | undefined> {
  if (base && base.id === id && base.version === version) return base.hash;
  const read = await client.workflows.get(id, { version });
  return read && agentContentHash(agentFromRaw(read.raw, read.name, []));
}

async function agentVersionMatchingLocal(
  client: PromptLayerClient,
  head: RemoteHead,
  local: LocalAgent | undefined,
  base: AgentLockEntry | undefined,
): Promise<number> {
  if (!local) throw plxError("LABEL.NO_LOCAL_FILE", { name: head.name });
  if (base && base.id === head.id && base.hash === local.hash) return base.version;
  if ((await agentVersionHash(client, head.id, head.latestVersion, base)) === local.hash) return head.latestVersion;
  throw plxError("LABEL.LOCAL_UNPUBLISHED", { path: local.path, name: head.name });
}

async function versionHash(
  client: PromptLayerClient,
  id: number,
  version: number,
  base: LockEntry | undefined,
): Promise<string | undefined> {
  if (base && base.id === id && base.version === version) return base.hash;
  const raw = await client.getTemplate(id, { version });
  return raw && contentHash(templateFromRaw(raw, []));
}

async function versionMatchingLocal(
  client: PromptLayerClient,
  head: RemoteHead,
  local: LocalTemplate | undefined,
  base: LockEntry | undefined,
): Promise<number> {
  if (!local) throw plxError("LABEL.NO_LOCAL_FILE", { name: head.name });
  if (base && base.id === head.id && base.hash === local.hash) return base.version;
  if ((await versionHash(client, head.id, head.latestVersion, base)) === local.hash) return head.latestVersion;
  throw plxError("LABEL.LOCAL_UNPUBLISHED", { path: local.path, name: head.name });
}
