// Which release labels `plx publish --label L` moves, decided before anything is sent. Pure: the dry run prints this
// plan, a saved plan stores it, and the real run makes exactly these moves.
//
// A release label is deployment state, so it moves only where the repository says it should:
// - a template that carries the label gets it on the version holding the repository's content, unless the label
//   moved in PromptLayer since the last sync (a change made outside the repository, like a UI edit of content: it is
//   left alone and reported as a conflict, unless --force);
// - a template that does not carry it gets it only when it is new in this run, when plx.config.yaml's `labels:` map
//   assigns it, or with --all.
// Agents follow the same rules. PromptLayer has no route that moves an agent's label: a label goes on a new version
// as it is made. So a label an agent should carry on a version it already has goes there by a new version identical
// to it ("copy"), which the plan names; and where that new version would hide a later edit made in PromptLayer (the
// latest version is not the repository's content), the move is a conflict instead.
import type { Lockfile, SyncedEntry, SyncKind } from "./lock.js";
import type { PushItem } from "./push-plan.js";

export type LabelMoveAction =
  /** Already where it should be: nothing is sent. */
  | "keep"
  /** Carried, and moves to the repository's content. */
  | "move"
  /** Not carried yet; the repository says this template gets it. */
  | "add"
  /** Not carried, and nothing says this template should carry it: left without. */
  | "skip"
  /** Moved, created or removed in PromptLayer since the last sync: left alone. */
  | "conflict";

/**
 * What became of a label change. `superseded`: the label moved on to a newer version, published meanwhile by someone
 * else. `conflict`: an agent's label left alone, since moving it would hide a later, different version.
 */
export type LabelStatus = "unchanged" | "set" | "pending" | "superseded" | "failed" | "planned" | "conflict";

interface LabelMoveFacts {
  kind: SyncKind;
  name: string;
  label: string;
  /** The template's id; absent for a template this run creates. */
  id?: number;
  /** Where the label points now in PromptLayer; absent when the template does not carry it. */
  from?: number;
  /** The version it goes to; absent when that is the version this run publishes. */
  to?: number;
  /** For a conflict: where plx.lock says the label was at the last sync (absent: not there). */
  synced?: number;
  /** Why, in words for the report. */
  reason: string;
}

export type LabelMove = LabelMoveFacts &
  (
    | { action: LabelMoveAction }
    /**
     * An agent's label moves (or is added) to `to` by a new version identical to it, `creates` by the plan's count:
     * the version after the latest. Every label copied on one agent goes on that one version.
     */
    | { action: "copy"; to: number; creates: number }
  );

export interface LabelPlanInputs {
  labels: readonly string[];
  items: readonly PushItem[];
  lock: Lockfile;
  /** Where each requested label points now in PromptLayer, per kind: label → id → version. */
  remote: Readonly<Record<SyncKind, ReadonlyMap<string, ReadonlyMap<number, number>>>>;
  /** Whether an agent's version holds this content (a label there needs no copy); templates are told by version. */
  holds?: (id: number, version: number, hash: string) => boolean;
  /** Whether plx.config.yaml's `labels:` map assigns `label` to this template. */
  assigned: (label: string, name: string, folder: readonly string[]) => boolean;
  /** --all: every template in scope gets the label. */
  all: boolean;
  /** --force: move labels even over a change made in PromptLayer. */
  force: boolean;
}

interface Target {
  id?: number;
  to?: number;
  folder: readonly string[];
  /** The latest version, for an agent's copy: the new version comes after it. */
  latest?: number;
}

/** The version of each item that holds the repository's content, or "new" for one this run publishes. */
function targetOf(item: PushItem): Target | undefined {
  switch (item.action) {
    case "create":
      return { folder: item.folder };
    case "update":
      return { id: item.id, folder: item.folder };
    case "unchanged":
      return { id: item.id, to: item.syncedVersion, folder: item.folder, latest: item.remoteVersion };
    case "behind":
      return item.id !== undefined && item.syncedVersion !== undefined
        ? { id: item.id, to: item.syncedVersion, folder: item.folder, latest: item.remoteVersion }
        : undefined;
    default:
      return undefined;
  }
}

export function planLabels(inputs: LabelPlanInputs): LabelMove[] {
  const moves: LabelMove[] = [];
  for (const label of inputs.labels)
    for (const item of inputs.items) {
      const target = targetOf(item);
      if (!target || item.action === "delete") continue;
      const move = planOne(inputs, label, item, target);
      moves.push(item.kind === "agent" ? asAgentMove(move, target, inputs.force) : move);
    }
  return moves.sort((a, b) => compare(a.name, b.name) || compare(a.kind, b.kind) || compare(a.label, b.label));
}

function planOne(
  inputs: LabelPlanInputs,
  label: string,
  item: Exclude<PushItem, { action: "delete" }>,
  target: Target,
): LabelMove {
  const { lock } = inputs;
  const positions = inputs.remote[item.kind].get(label) ?? new Map<number, number>();
  const from = target.id === undefined ? undefined : positions.get(target.id);
  const entry: SyncedEntry | undefined = (item.kind === "agent" ? lock.agents : lock.templates)[item.name];
  const move = (action: LabelMoveAction, reason: string, extra: Partial<LabelMoveFacts> = {}): LabelMove => ({
    kind: item.kind,
    name: item.name,
    label,
    ...(target.id === undefined ? {} : { id: target.id }),
    ...(from === undefined ? {} : { from }),
    ...(target.to === undefined ? {} : { to: target.to }),
    action,
    reason,
    ...extra,
  });
  // The lock knows where this label was at the last sync only when the repository syncs that label name and the
  // entry is this very template or agent.
  const knownBase = lock.labels.includes(label) && entry !== undefined && entry.id === target.id;
  const base = knownBase ? entry.labels[label] : undefined;
  const movedOutside = knownBase && base !== from;
  // An agent's label on another version with the same content is where it should be: moving it would only copy.
  const holdsContent =
    from !== undefined &&
    (from === target.to ||
      (item.kind === "agent" && target.to !== undefined && inputs.holds?.(target.id!, from, item.hash) === true));
  if (holdsContent)
    return move("keep", movedOutside ? "PromptLayer already points it at the repository's content" : "already there");
  if (movedOutside) {
    const change = describeOutsideChange(label, base, from);
    if (inputs.force)
      return move(from === undefined ? "add" : "move", `forced over a change in PromptLayer: ${change}`);
    return move("conflict", change, base === undefined ? {} : { synced: base });
  }
  if (from !== undefined) return move("move", "carries it");
  if (item.action === "create") return move("add", item.kind === "agent" ? "new agent" : "new template");
  if (inputs.assigned(label, item.name, target.folder)) return move("add", "plx.config.yaml assigns it");
  if (inputs.all) return move("add", "--all");
  return move("skip", `does not carry ${label}; plx.config.yaml labels or --all adds it`);
}

/**
 * An agent's move to a version it already has becomes a copy of that version. Made on top of a later version edited
 * in PromptLayer, the copy would become the agent's latest and hide that edit: a conflict, unless --force.
 */
function asAgentMove(move: LabelMove, target: Target, force: boolean): LabelMove {
  if ((move.action !== "move" && move.action !== "add") || move.to === undefined || target.latest === undefined)
    return move;
  const { action: _action, ...facts } = move;
  const to = move.to;
  const copy = (reason: string): LabelMove => ({ ...facts, to, action: "copy", creates: target.latest! + 1, reason });
  if (target.latest === to) return copy(move.reason);
  if (force) return copy(`${move.reason}; forced over v${target.latest}, edited in PromptLayer`);
  return {
    ...facts,
    action: "conflict",
    reason: `moving ${move.label} to v${to} needs a new version identical to v${to}, which would hide v${target.latest}, edited in PromptLayer since; plx pull brings that edit in`,
  };
}

function describeOutsideChange(label: string, base: number | undefined, now: number | undefined): string {
  if (base === undefined) return `label created in PromptLayer since the last sync: ${label} v${now}`;
  if (now === undefined) return `label removed in PromptLayer since the last sync: ${label} was v${base}`;
  return `label moved in PromptLayer since the last sync: ${label} v${base} → v${now}`;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The labels a publish of this template or agent carries in its body (its moves to the new version). */
export function labelsForPublish(moves: readonly LabelMove[], item: { kind: SyncKind; name: string }): string[] {
  return moves
    .filter(
      (move) =>
        move.kind === item.kind &&
        move.name === item.name &&
        move.to === undefined &&
        (move.action === "move" || move.action === "add"),
    )
    .map((move) => move.label);
}
