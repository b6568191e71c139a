// Which release labels `plx publish --label L` moves, decided before anything is sent. Pure: the dry run prints this
// plan, a saved plan stores it, and the real run makes exactly these moves.
//
// A release label is deployment state, so it moves only where the repository says it should:
// - a template that carries the label gets it on the version holding the repository's content, unless the label
//   moved in PromptLayer since the last sync (a change made outside the repository, like a UI edit of content: it is
//   left alone and reported as a conflict, unless --force);
// - a template that does not carry it gets it only when it is new in this run, when plx.config.yaml's `labels:` map
//   assigns it, or with --all.
import type { Lockfile } from "./lock.js";
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

export interface LabelMove {
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
  action: LabelMoveAction;
  /** Why, in words for the report. */
  reason: string;
}

export interface LabelPlanInputs {
  labels: readonly string[];
  items: readonly PushItem[];
  lock: Lockfile;
  /** Where each requested label points now in PromptLayer: label → template id → version. */
  remote: ReadonlyMap<string, ReadonlyMap<number, number>>;
  /** Whether plx.config.yaml's `labels:` map assigns `label` to this template. */
  assigned: (label: string, name: string, folder: readonly string[]) => boolean;
  /** --all: every template in scope gets the label. */
  all: boolean;
  /** --force: move labels even over a change made in PromptLayer. */
  force: boolean;
}

/** The version of each item that holds the repository's content, or "new" for one this run publishes. */
function targetOf(item: PushItem): { id?: number; to?: number; folder: readonly string[] } | undefined {
  switch (item.action) {
    case "create":
      return { folder: item.folder };
    case "update":
      return { id: item.id, folder: item.folder };
    case "unchanged":
      return { id: item.id, to: item.syncedVersion, folder: item.folder };
    case "behind":
      return item.id !== undefined && item.syncedVersion !== undefined
        ? { id: item.id, to: item.syncedVersion, folder: item.folder }
        : undefined;
    default:
      return undefined;
  }
}

export function planLabels(inputs: LabelPlanInputs): LabelMove[] {
  const { lock } = inputs;
  const synced = new Set(lock.labels);
  const moves: LabelMove[] = [];
  for (const label of inputs.labels) {
    const positions = inputs.remote.get(label) ?? new Map<number, number>();
    for (const item of inputs.items) {
      const target = targetOf(item);
      if (!target) continue;
      const from = target.id === undefined ? undefined : positions.get(target.id);
      const entry = lock.templates[item.name];
      const move = (action: LabelMoveAction, reason: string, extra: Partial<LabelMove> = {}): LabelMove => ({
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
      // entry is this very template.
      const knownBase = synced.has(label) && entry !== undefined && entry.id === target.id;
      const base = knownBase ? entry.labels[label] : undefined;
      const movedOutside = knownBase && base !== from;
      const alreadyThere = from !== undefined && from === target.to;
      if (alreadyThere) {
        moves.push(
          move("keep", movedOutside ? "PromptLayer already points it at the repository's content" : "already there"),
        );
        continue;
      }
      if (movedOutside) {
        const change = describeOutsideChange(label, base, from);
        if (inputs.force)
          moves.push(move(from === undefined ? "add" : "move", `forced over a change in PromptLayer: ${change}`));
        else moves.push(move("conflict", change, base === undefined ? {} : { synced: base }));
        continue;
      }
      if (from !== undefined) {
        moves.push(move("move", "carries it"));
      } else if (item.action === "create") {
        moves.push(move("add", "new template"));
      } else if (inputs.assigned(label, item.name, target.folder)) {
        moves.push(move("add", "plx.config.yaml assigns it"));
      } else if (inputs.all) {
        moves.push(move("add", "--all"));
      } else {
        moves.push(move("skip", `does not carry ${label}; plx.config.yaml labels or --all adds it`));
      }
    }
  }
  return moves.sort((a, b) => compare(a.name, b.name) || compare(a.label, b.label));
}

function describeOutsideChange(label: string, base: number | undefined, now: number | undefined): string {
  if (base === undefined) return `label created in PromptLayer since the last sync: ${label} v${now}`;
  if (now === undefined) return `label removed in PromptLayer since the last sync: ${label} was v${base}`;
  return `label moved in PromptLayer since the last sync: ${label} v${base} → v${now}`;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The labels a publish of `name` carries in its body (its moves to the new version). */
export function labelsForPublish(moves: readonly LabelMove[], name: string): string[] {
  return moves
    .filter((move) => move.name === name && move.to === undefined && (move.action === "move" || move.action === "add"))
    .map((move) => move.label);
}
