// Release labels: pointing labels at versions, then reading them back, because a protected label accepts the
// request and stays where it was until someone approves it. That case is reported as pending, never as done.
import { contentHash } from "../core/canonical.js";
import type { LockEntry } from "../core/lock.js";
import { templateFromRaw } from "../core/template.js";
import type { ResolvedConfig } from "../config/schema.js";
import { isPlxError, plxError } from "../errors/index.js";
import type { LocalTemplate } from "../files/local.js";
import type { PromptLayerClient } from "../promptlayer/index.js";
import { readLockfile, writeLockfile } from "../files/lockfile.js";
import { nameKeyed } from "../core/records.js";
import { readRepository } from "./repository.js";
import { templateScope } from "./select.js";
import { labelledVersions, listRemoteHeads, type RemoteHead } from "./remote.js";

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

/** `superseded`: the label moved on to a newer version, published meanwhile by someone else. */
export type LabelStatus = "unchanged" | "set" | "pending" | "superseded" | "failed" | "planned";

/** What became of one label change: its status, and for a failure, why. */
export type LabelChange = {
  name: string;
  label: string;
  version: number;
  /** Where the label pointed before, when it existed. */
  from?: number;
} & ({ status: Exclude<LabelStatus, "failed"> } | { status: "failed"; error: string });

/**
 * Points each target's label at its version, creating or moving it as needed, then reads the labels back: a protected
 * label accepts the request and stays where it was until someone approves it, which is reported as pending.
 */
export async function applyLabels(client: PromptLayerClient, targets: readonly LabelTarget[]): Promise<LabelChange[]> {
  const changes = await Promise.all(
    targets.map(async (target): Promise<LabelChange> => {
      const change: LabelChange = {
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

/** Every label of every template in scope, and whether it points at the content of the local file. */
export async function listLabelRows({ client, config }: Resolved, names: readonly string[]): Promise<LabelRow[]> {
  const { heads, locals, lock } = await labelScope(client, config, names);
  const rows = await Promise.all(
    heads.map(async (head) => {
      const labels = (await client.listLabels(head.id)) ?? [];
      const local = locals.get(head.name);
      return Promise.all(
        labels.map(async (label): Promise<LabelRow> => {
          const row: LabelRow = { name: head.name, label: label.release_label, version: label.prompt_version_number };
          if (local)
            row.matchesLocal =
              (await versionHash(client, head.id, label.prompt_version_number, lock.templates[head.name])) ===
              local.hash;
          return row;
        }),
      );
    }),
  );
  return rows.flat().sort((a, b) => a.name.localeCompare(b.name) || a.label.localeCompare(b.label));
}

/** `plx label set`: the version defaults to the one whose content is the local file's. */
export async function setLabel(
  { client, config }: Resolved,
  label: string,
  name: string,
  version: number | undefined,
): Promise<LabelChange> {
  const { heads, locals, lock } = await labelScope(client, config, [name]);
  const head = heads.find((candidate) => candidate.name === name);
  if (!head) throw plxError("LABEL.TEMPLATE_NOT_FOUND", { name });
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

export interface LabelRemoval {
  name: string;
  label: string;
  /** `absent`: there was nothing to remove; `pending`: the delete was accepted but a protected label stays until approved. */
  status: "removed" | "absent" | "pending";
  version?: number;
}

export async function removeLabel({ client, config }: Resolved, label: string, name: string): Promise<LabelRemoval> {
  const labels = await client.listLabels(name);
  if (!labels) throw plxError("LABEL.TEMPLATE_NOT_FOUND", { name });
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

/** `plx label promote staging prod`: `to` goes where `from` points, template by template. */
export interface Promotion {
  label: string;
  /** Every template carrying the source label, and where the target label would go. */
  targets: LabelTarget[];
  /** The plan: `planned` where the target label moves, `unchanged` where it is already there. */
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
  const [heads, source, current] = await Promise.all([
    listRemoteHeads(client, { kind: "latest" }),
    labelledVersions(client, from),
    labelledVersions(client, to),
  ]);
  const targets = heads
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
      name: target.name,
      label: to,
      version: target.version,
      ...(was === undefined ? {} : { from: was }),
      status: was === target.version ? "unchanged" : "planned",
    };
  });
  return { label: to, targets, changes };
}

/** Carries out a promotion plan: exactly the moves it planned. */
export async function applyPromotion(
  client: PromptLayerClient,
  config: ResolvedConfig,
  plan: Promotion,
): Promise<LabelChange[]> {
  const moving = new Set(plan.changes.filter((change) => change.status === "planned").map((change) => change.name));
  const changes = await applyLabels(
    client,
    plan.targets.filter((target) => moving.has(target.name)),
  );
  await recordLabelChanges(config.rootDir, changes);
  return changes;
}

/**
 * A label moved with plx label is a change the repository made: plx.lock records it, so a later publish does not take
 * it for a move made in PromptLayer. Only templates the lock knows are recorded; no lock, nothing to record.
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
  for (const change of moved) {
    const entry = templates[change.name];
    if (entry)
      templates[change.name] = { ...entry, labels: nameKeyed(entry.labels, { [change.label]: change.version }) };
  }
  for (const removal of gone) {
    const entry = templates[removal.name];
    if (!entry) continue;
    const labels = nameKeyed(entry.labels);
    delete labels[removal.label];
    templates[removal.name] = { ...entry, labels };
  }
  if (Object.keys(lock.templates).length > 0) await writeLockfile(rootDir, { ...lock, templates });
}

async function labelScope(client: PromptLayerClient, config: ResolvedConfig, names: readonly string[]) {
  const matches = templateScope(names, config.ignore);
  const [heads, { lock, templates }] = await Promise.all([
    listRemoteHeads(client, { kind: "latest" }),
    readRepository(config),
  ]);
  return {
    heads: heads.filter((head) => matches(head.name, head.folder)),
    locals: new Map(templates.map((t) => [t.name, t])),
    lock,
  };
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
