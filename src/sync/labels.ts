// Release labels: pointing labels at versions, then reading them back, because a protected label accepts the
// request and stays where it was until someone approves it. That case is reported as pending, never as done.
import { contentHash } from "../core/canonical.js";
import type { LockEntry } from "../core/lock.js";
import { templateFromRaw } from "../core/template.js";
import type { ResolvedConfig } from "../config/schema.js";
import { isPlxError, plxError } from "../errors/index.js";
import type { LocalTemplate } from "../files/local.js";
import type { PromptLayerClient } from "../promptlayer/index.js";
import { readRepository } from "./repository.js";
import { nameMatcher } from "./select.js";
import { labelledVersions, listRemoteHeads, type RemoteHead } from "./remote.js";

export interface LabelTarget {
  name: string;
  id: number;
  version: number;
  /** The publish that created `version` carried the label already; only confirming is left. */
  setByPublish?: boolean;
}

/** `superseded`: the label moved on to a newer version, published meanwhile by someone else. */
export type LabelStatus = "unchanged" | "set" | "pending" | "superseded" | "failed" | "planned";

export interface LabelChange {
  name: string;
  label: string;
  version: number;
  /** Where the label pointed before, when it existed. */
  from?: number;
  status: LabelStatus;
  error?: string;
}

/** Points each label at each target's version, creating or moving it as needed, and confirms by reading back. */
export async function applyLabels(
  client: PromptLayerClient,
  labels: readonly string[],
  targets: readonly LabelTarget[],
): Promise<LabelChange[]> {
  const changes: LabelChange[] = [];
  for (const label of labels) {
    const before = await labelledVersions(client, label);
    const touched: LabelChange[] = [];
    const previously = new Map<LabelChange, number | undefined>();
    await Promise.all(
      targets.map(async (target) => {
        const from = before.get(target.id);
        const change: LabelChange = {
          name: target.name,
          label,
          version: target.version,
          ...(from === undefined || target.setByPublish ? {} : { from }),
          status: "unchanged",
        };
        changes.push(change);
        if (from === target.version && !target.setByPublish) return;
        touched.push(change);
        if (target.setByPublish) return;
        previously.set(change, from);
        try {
          await pointLabel(client, target.id, label, target.version);
        } catch (error) {
          change.status = "failed";
          change.error = isPlxError(error) ? error.message : String(error);
        }
      }),
    );
    if (touched.length === 0) continue;
    const after = await labelledVersions(client, label);
    for (const change of touched) {
      if (change.status === "failed") continue;
      const target = targets.find((t) => t.name === change.name)!;
      const now = after.get(target.id);
      change.status = now === change.version ? "set" : stillWaiting(change, now, previously) ? "pending" : "superseded";
    }
  }
  return changes.sort((a, b) => a.name.localeCompare(b.name) || a.label.localeCompare(b.label));
}

/**
 * Whether a label that is not where it was sent is waiting for an approval rather than moved by someone else.
 * A label moved here is waiting while it stays where it was, even when that is a newer version (a rollback). One
 * carried by a publish went with the newest version, so only a still newer one means another publish came after.
 */
function stillWaiting(
  change: LabelChange,
  now: number | undefined,
  previously: ReadonlyMap<LabelChange, number | undefined>,
): boolean {
  if (previously.has(change)) return now === previously.get(change);
  return now === undefined || now < change.version;
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
  const [change] = await applyLabels(client, [label], [{ name, id: head.id, version: target }]);
  return change!;
}

export interface LabelRemoval {
  name: string;
  label: string;
  /** `absent`: there was nothing to remove; `pending`: the delete was accepted but a protected label stays until approved. */
  status: "removed" | "absent" | "pending";
  version?: number;
}

export async function removeLabel({ client }: Resolved, label: string, name: string): Promise<LabelRemoval> {
  const labels = await client.listLabels(name);
  if (!labels) throw plxError("LABEL.TEMPLATE_NOT_FOUND", { name });
  const existing = labels.find((candidate) => candidate.release_label === label);
  if (!existing) return { name, label, status: "absent" };
  await client.deleteLabel(existing.release_label_id);
  const still = (await client.listLabels(name))?.some((candidate) => candidate.release_label === label);
  return { name, label, status: still ? "pending" : "removed", version: existing.prompt_version_number };
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
  client: PromptLayerClient,
  from: string,
  to: string,
  names: readonly string[],
): Promise<Promotion> {
  const matches = nameMatcher(names);
  const [heads, source, current] = await Promise.all([
    listRemoteHeads(client, { kind: "latest" }),
    labelledVersions(client, from),
    labelledVersions(client, to),
  ]);
  const targets = heads
    .filter((head) => matches(head.name, head.folder) && source.has(head.id))
    .map((head) => ({ name: head.name, id: head.id, version: source.get(head.id)! }));
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
export function applyPromotion(client: PromptLayerClient, plan: Promotion): Promise<LabelChange[]> {
  const moving = new Set(plan.changes.filter((change) => change.status === "planned").map((change) => change.name));
  return applyLabels(
    client,
    [plan.label],
    plan.targets.filter((target) => moving.has(target.name)),
  );
}

async function labelScope(client: PromptLayerClient, config: ResolvedConfig, names: readonly string[]) {
  const matches = nameMatcher(names);
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
