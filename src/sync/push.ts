// `plx push` and `plx publish`: changed files become new versions, and with --label, release labels move. The plan is
// built first (every file validated, every remote edit and label move detected) as a value; it is applied only when it
// holds no invalid file and no conflict, and the same path serves --dry-run, saved plans and the real run. Prompts go
// first and their labels move; agents, which name prompts by label, follow.
import type { AgentDoc } from "../agents/doc.js";
import { contentHash } from "../core/canonical.js";
import { type LabelMove, type LabelStatus, labelsForPublish, planLabels } from "../core/label-plan.js";
import { type Lockfile, type SyncedEntry, type SyncKind, withSyncedLabels } from "../core/lock.js";
import {
  isPublishing,
  itemKey,
  planDeletions,
  planPush,
  type Publishing,
  publishLevels,
  type PushItem,
  type PushRemote,
  remoteNeedsRead,
  SnippetCycleError,
} from "../core/push-plan.js";
import { nameKeyed } from "../core/records.js";
import { publishVersionOf, type TemplateDoc, templateFromRaw } from "../core/template.js";
import type { ResolvedConfig } from "../config/schema.js";
import { ExitCode, isInterruption, isPlxError, type PlxErrorJson, plxError } from "../errors/index.js";
import { isAncestorOfHead } from "../files/git.js";
import type { LocalAgent, LocalTemplate } from "../files/local.js";
import { writeLockfile } from "../files/lockfile.js";
import { locationFromPath } from "../files/paths.js";
import { contentHashOf, type ExternalId, type PromptLayerClient, type PublishBody } from "../promptlayer/index.js";
import { BLOCKS_PUBLISH, checkTemplate, type Finding } from "./check.js";
import { patchOf, renderAgent, renderTemplate } from "./compare.js";
import { applyLabels, type LabelTarget } from "./labels.js";
import {
  agentBody,
  agentPositions,
  agentRemotes,
  applyAgentLabels,
  COMMIT_MESSAGE_LIMIT,
  labelledContent,
} from "./push-agents.js";
import { labelledVersions, listRemote, type RemoteHead } from "./remote.js";
import { assertProject, readRepository } from "./repository.js";
import { nameMatcher, templateScope } from "./select.js";
import { assertSameWorkspace } from "./workspace.js";

export interface PushOptions {
  names: string[];
  dryRun: boolean;
  force: boolean;
  /** Commit message; default from the git HEAD subject. */
  message?: string;
  /** Release labels to move (`plx publish --label`). */
  labels: string[];
  /** --all: the labels go on every template in scope, not only those carrying them. */
  all: boolean;
  /** --delete: templates whose file was deleted here are deleted in PromptLayer. */
  delete: boolean;
  /** The CI run, stamped into metadata.plx. */
  runUrl?: string;
  /** A plan saved earlier: applied only if nothing it was built from has moved. */
  savedPlan?: SavedPlan;
}

/** The commit being published from: HEAD, and whether the prompts directory holds changes HEAD does not. */
export interface GitState {
  sha: string;
  subject: string;
  uncommitted: boolean;
}

export interface PushDeps {
  client: PromptLayerClient;
  config: ResolvedConfig;
  git: GitState | undefined;
  /** Asked before anything is sent when labels move or templates are deleted; absent = no one to ask. */
  confirm?: (plan: PushPlan) => Promise<boolean>;
}

/** What the run decided, before anything is sent. */
export interface PushPlan {
  items: PushItem[];
  labels: LabelMove[];
}

/** What became of one item, by what happened. */
export type PushResult = { item: PushItem } & (
  | { result: "created" | "updated"; id: number; version: number; recovered: boolean; raced?: string }
  /** An unchanged template whose file moved: its folder or external ID followed, and no version was needed. */
  | { result: "moved" }
  | { result: "unchanged" }
  | { result: "behind" }
  | { result: "conflict"; patch?: string }
  | { result: "invalid" }
  /** A dry run, or a run refused before sending: what would have been done. */
  | { result: "planned" }
  | { result: "deleted" }
  /** Deleted here, still in PromptLayer: deleted there only with --delete. */
  | { result: "kept" }
  /** Not published because a snippet it uses (or, for an agent, a prompt it names) was not. */
  | { result: "skipped"; reason: string }
  /** An unchanged agent given a new version, identical to `of`, to carry labels (agents have no label route). */
  | { result: "copied"; id: number; version: number; of: number; raced?: string }
  | { result: "failed"; error: PlxErrorJson }
);

/** A label move of the plan, and what became of it. */
export type LabelResult = LabelMove & {
  /** The version the label was sent to (for a new version, its number once published). */
  version?: number;
} & ({ status: Exclude<LabelStatus, "failed"> | "skipped" | "conflict" } | { status: "failed"; error: string });

export interface SavedPlan {
  plxPlan: 2;
  createdAt: string;
  labels: string[];
  items: Array<{
    /** Absent in plans saved before plx published agents: a prompt. */
    kind?: SyncKind;
    name: string;
    path: string;
    action: PushItem["action"];
    hash: string;
    remoteVersion?: number;
    moveTo?: string[];
  }>;
  labelMoves: Array<Pick<LabelMove, "name" | "label" | "from" | "to" | "action"> & { kind?: SyncKind }>;
}

export interface PushReport {
  dryRun: boolean;
  results: PushResult[];
  labels: LabelResult[];
  /** Set when the run stopped before sending anything, and why. */
  blocked?: "conflict" | "invalid" | "stale-plan" | "declined";
  stale?: string[];
  plan: SavedPlan;
}

export async function push(deps: PushDeps, options: PushOptions): Promise<PushReport> {
  const prepared = await preparePush(deps, options).catch((error: unknown) => {
    throw isInterruption(error) ? plxError("INTERRUPTED", { doneSoFar: "nothing was published" }) : error;
  });
  const { plan, saved } = prepared;
  const report = (
    results: PushResult[],
    blocked?: PushReport["blocked"],
    extra: Partial<PushReport> = {},
  ): PushReport => ({
    dryRun: options.dryRun,
    results,
    labels: plan.labels.map((move) => unsent(move, true)),
    ...(blocked ? { blocked } : {}),
    plan: saved,
    ...extra,
  });
  const asPlanned = () => plan.items.map((item) => plannedResult(item, prepared.patches.get(itemKey(item))));
  if (options.savedPlan) {
    const stale = staleEntries(options.savedPlan, saved);
    if (stale.length > 0) return report(asPlanned(), "stale-plan", { stale });
  }
  if (plan.items.some((item) => item.action === "conflict")) return report(asPlanned(), "conflict");
  if (plan.items.some((item) => item.action === "invalid")) return report(asPlanned(), "invalid");
  if (options.dryRun) return report(asPlanned());
  if (deps.confirm && needsConsent(plan, options) && !(await deps.confirm(plan)))
    return report(asPlanned(), "declined");
  return applyPush(deps, prepared, options);
}

/** Whether applying the plan does something a person should agree to first: moves labels or deletes templates. */
export function needsConsent(plan: PushPlan, options: Pick<PushOptions, "delete">): boolean {
  const moves = plan.labels.some((move) => move.action === "move" || move.action === "add" || move.action === "copy");
  const deletes = options.delete && plan.items.some((item) => item.action === "delete");
  return moves || deletes;
}

interface PreparedPush {
  plan: PushPlan;
  saved: SavedPlan;
  lock: Lockfile;
  locals: ReadonlyMap<string, LocalTemplate>;
  agents: ReadonlyMap<string, LocalAgent>;
  heads: Readonly<Record<SyncKind, ReadonlyMap<string, RemoteHead>>>;
  /** Where each requested label pointed when the plan was made, per kind: label → id → version. */
  positions: Readonly<Record<SyncKind, ReadonlyMap<string, ReadonlyMap<number, number>>>>;
  message: string;
  /** Templates, snippets first; agents follow them all. */
  levels: Publishing[][];
  /** Conflicts' diffs, by item key. */
  patches: ReadonlyMap<string, string>;
}

/**
 * The errors `plx check` finds in a prompt file that stop a publish (BLOCKS_PUBLISH), as one reason: caught before
 * anything is sent. Snippets a file refers to may be in the repository or in PromptLayer.
 */
function checkErrors(
  templates: ReadonlyMap<string, LocalTemplate>,
  resolvable: ReadonlySet<string>,
): (name: string) => string | undefined {
  const kinds = {
    get: (name: string) => {
      const template = templates.get(name);
      return template === undefined ? undefined : String(template.doc.promptTemplate.type);
    },
  };
  return (name) => {
    const template = templates.get(name);
    if (!template) return undefined;
    const errors = checkTemplate(template, resolvable, kinds).filter(
      (finding) => finding.severity === "error" && BLOCKS_PUBLISH.has(finding.code),
    );
    if (errors.length === 0) return undefined;
    const [first] = errors as [Finding, ...Finding[]];
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more error(s))` : "";
    return `${first.path}:${first.line}:${first.col}: ${first.message}${more}; \`plx check\` lists them`;
  };
}

/** Reads the repository and PromptLayer and works out the plan. Sends nothing that changes anything. */
async function preparePush(deps: PushDeps, options: PushOptions): Promise<PreparedPush> {
  const { client, config } = deps;
  assertProject(config);
  // Checked first, so a dry run refuses what the real run would.
  const message = commitMessage(options.message, deps.git);
  // One invalid file and nothing is sent: a half-applied push is worse than none. The listing is only a read, so it
  // overlaps the reading of the files.
  const [repository, listing, templatePositions] = await Promise.all([
    readRepository(config),
    listRemote(client, { kind: "latest" }),
    Promise.all(options.labels.map(async (label) => [label, await labelledVersions(client, label)] as const)),
  ]);
  const { lock } = repository;
  assertSameWorkspace(lock, listing);
  const inScope = templateScope(options.names, config.ignore);
  const locals = repository.templates.filter((t) => inScope(t.name, t.folder));
  const localAgents = repository.agents.filter((a) => inScope(a.name, a.folder));
  const byName = new Map(repository.templates.map((t) => [t.name, t]));
  const agentsByName = new Map(repository.agents.map((a) => [a.name, a]));
  const heads = {
    prompt: new Map(listing.heads.map((head) => [head.name, head])),
    agent: new Map(listing.agents.map((head) => [head.name, head])),
  };

  const remoteDocs = new Map<string, TemplateDoc>();
  const remotes = new Map<string, PushRemote>();
  const [agentSide, positionsOfAgents] = await Promise.all([
    agentRemotes(client, localAgents, lock.agents, heads.agent),
    agentPositions(
      client,
      options.labels,
      localAgents.flatMap((agent) => heads.agent.get(agent.name)?.id ?? []),
    ),
    Promise.all(
      locals.map(async (local) => {
        const head = heads.prompt.get(local.name);
        if (!head) return;
        const remote: PushRemote = { id: head.id, version: head.latestVersion, folder: head.folder };
        if (remoteNeedsRead(lock.templates[local.name], remote)) {
          const raw = await client.getTemplate(head.id);
          if (raw) {
            const doc = templateFromRaw(raw, head.folder);
            remote.version = raw.version;
            remote.hash = contentHash(doc);
            remote.publishedByPlx =
              contentHashOf(raw.metadata) === remote.hash &&
              (await publishedFromThisHistory(config.rootDir, raw.metadata));
            remoteDocs.set(local.name, doc);
          }
        }
        remotes.set(local.name, remote);
      }),
    ),
  ]);

  // A synced name is in scope by its own name and the folder its file was in.
  const scoped = (name: string, path: string) => inScope(name, locationFromPath(path, config.promptsDir).folder);
  const baseFolders = (entries: Record<string, SyncedEntry>) =>
    new Map(
      Object.entries(entries).map(([name, entry]) => [name, locationFromPath(entry.path, config.promptsDir).folder]),
    );
  const remoteNames = new Map(listing.heads.map((head) => [head.id, head.name]));
  const agentNames = new Map(listing.agents.map((head) => [head.id, head.name]));
  const items = [
    ...planPush({
      locals: locals.map((t) => ({ kind: "prompt", ...facts(t), snippets: t.snippets })),
      lock: lock.templates,
      remotes,
      remoteNames,
      baseFolders: baseFolders(lock.templates),
      force: options.force,
      fileErrors: checkErrors(
        byName,
        new Set([...byName.keys(), ...Object.keys(lock.templates), ...heads.prompt.keys()]),
      ),
    }),
    ...planPush({
      locals: localAgents.map((a) => ({ kind: "agent", ...facts(a), prompts: a.prompts })),
      lock: lock.agents,
      remotes: agentSide.remotes,
      remoteNames: agentNames,
      baseFolders: baseFolders(lock.agents),
      force: options.force,
      // What the repository publishes in this run, and what PromptLayer has already.
      prompts: new Set([...heads.prompt.keys(), ...locals.map((t) => t.name)]),
    }),
    ...planDeletions("prompt", lock.templates, new Set(byName.keys()), remoteNames, scoped),
    ...planDeletions("agent", lock.agents, new Set(agentsByName.keys()), agentNames, scoped),
  ];
  let levels: Publishing[][];
  try {
    levels = publishLevels(items, new Map(repository.templates.map((t) => [t.name, t.snippets])));
  } catch (error) {
    if (error instanceof SnippetCycleError) throw plxError("SYNC.SNIPPET_CYCLE", { cycle: error.cycle });
    throw error;
  }
  const assignments = Object.entries(config.labelAssignments).map(
    ([label, patterns]) => [label, nameMatcher(patterns)] as const,
  );
  const positions = { prompt: new Map(templatePositions), agent: positionsOfAgents };
  const labels = planLabels({
    labels: options.labels,
    items,
    lock,
    remote: positions,
    assigned: (label, name, folder) =>
      assignments.some(([assigned, matches]) => assigned === label && matches(name, folder)),
    all: options.all,
    force: options.force,
    holds: await labelledContent(client, items, positionsOfAgents),
  });
  const patches = new Map<string, string>();
  for (const item of items) {
    if (item.action !== "conflict" || item.remoteVersion === undefined) continue;
    const head = { version: item.remoteVersion };
    const texts =
      item.kind === "agent"
        ? [agentText(agentSide.docs.get(item.name)), renderAgent(agentsByName.get(item.name)!.doc)]
        : [templateText(remoteDocs.get(item.name)), renderTemplate(byName.get(item.name)!.doc)];
    patches.set(itemKey(item), patchOf(item.path, texts[0], texts[1], head).patch);
  }
  const plan = { items, labels };
  return {
    plan,
    saved: savedPlanOf(plan, options.labels),
    lock,
    locals: byName,
    agents: agentsByName,
    heads,
    positions,
    message,
    levels,
    patches,
  };
}

const facts = (file: LocalTemplate | LocalAgent) => ({
  name: file.name,
  path: file.path,
  hash: file.hash,
  folder: file.folder,
});
const templateText = (doc: TemplateDoc | undefined) => doc && renderTemplate(doc);
const agentText = (doc: AgentDoc | undefined) => doc && renderAgent(doc);

/**
 * Carries the plan out: moves, publishes (snippets first), deletions with --delete, the templates' labels, then the
 * agents (which name prompts by label) and their labels. What was done is recorded in plx.lock whatever happens.
 */
async function applyPush(deps: PushDeps, prepared: PreparedPush, options: PushOptions): Promise<PushReport> {
  const { plan, lock } = prepared;
  const outcomes = new Map<string, PushResult>();
  const ofKind = (kind: SyncKind) => plan.labels.filter((move) => move.kind === kind);
  let labels: LabelResult[] = plan.labels.map((move) => unsent(move, false));
  let labelled = false;
  try {
    await relocateAll(deps, plan.items, prepared.heads, outcomes);
    await publishAll(deps, options, prepared, outcomes);
    if (options.delete) await deleteAll(deps, plan.items, prepared.heads, outcomes);
    const results = () => plan.items.map((item) => outcomes.get(itemKey(item)) ?? settledResult(item));
    const promptLabels = await labelOutcomes(ofKind("prompt"), () =>
      applyLabelMoves(deps.client, ofKind("prompt"), results()),
    );
    labels = [...promptLabels, ...ofKind("agent").map((move) => unsent(move, false))];
    labelled = options.labels.length > 0;
    await publishAgents(deps, prepared, outcomes);
    const agentLabels = await labelOutcomes(ofKind("agent"), () =>
      applyAgentLabelMoves(deps, prepared, ofKind("agent"), outcomes),
    );
    labels = [...promptLabels, ...agentLabels];
  } catch (error) {
    if (!isInterruption(error)) throw error;
    const done = [...outcomes.values()].flatMap((outcome) =>
      outcome.result === "created" || outcome.result === "updated" || outcome.result === "copied"
        ? [`${outcome.item.name} v${outcome.version}`]
        : [],
    );
    throw plxError("INTERRUPTED", {
      doneSoFar: done.length > 0 ? `published before stopping: ${done.join(", ")}` : "nothing was published",
    });
  } finally {
    // Whatever happened, what did get published is recorded, so the next run converges instead of repeating it.
    const published = nextLock(lock, plan.items, outcomes, prepared);
    await writeLockfile(
      deps.config.rootDir,
      labelled ? lockWithLabels(published, labels, prepared.positions) : published,
    );
  }
  const results = plan.items.map((item) => outcomes.get(itemKey(item)) ?? settledResult(item));
  return { dryRun: false, results, labels: sortedLabels(labels), plan: prepared.saved };
}

/** Label moves carried out; when PromptLayer fails them, the versions stay published and the moves say they failed. */
async function labelOutcomes(moves: readonly LabelMove[], apply: () => Promise<LabelResult[]>): Promise<LabelResult[]> {
  if (moves.length === 0) return [];
  return apply().catch((error: unknown) => {
    if (!isPlxError(error) || isInterruption(error)) throw error;
    return moves.map((move): LabelResult => ({ ...move, status: "failed", error: error.message }));
  });
}

const sortedLabels = (labels: LabelResult[]) =>
  labels.sort((a, b) => compare(a.name, b.name) || compare(a.kind, b.kind) || compare(a.label, b.label));
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** An item nothing was done to, as it ends. */
function settledResult(item: PushItem): PushResult {
  switch (item.action) {
    case "unchanged":
    case "behind":
    case "invalid":
      return { item, result: item.action };
    case "delete":
      return { item, result: "kept" };
    default:
      return { item, result: "planned" };
  }
}

function plannedResult(item: PushItem, patch: string | undefined): PushResult {
  if (item.action === "conflict") return { item, result: "conflict", ...(patch === undefined ? {} : { patch }) };
  if (item.action === "unchanged" && !item.moveTo && !item.previousPath) return { item, result: "unchanged" };
  if (item.action === "behind" || item.action === "invalid") return { item, result: item.action };
  return { item, result: "planned" };
}

/** A move that sends nothing: kept, skipped, left alone as a conflict, or (while planning) still to be made. */
function unsent(move: LabelMove, planning: boolean): LabelResult {
  if (move.action === "keep")
    return { ...move, status: "unchanged", ...(move.to === undefined ? {} : { version: move.to }) };
  if (move.action === "skip") return { ...move, status: "skipped" };
  if (move.action === "conflict") return { ...move, status: "conflict" };
  return planning
    ? { ...move, status: "planned" }
    : { ...move, status: "failed", error: `its ${move.kind === "agent" ? "agent" : "template"} was not published` };
}

/**
 * A version plx published is only "ours" if it came from this checkout's history (its stamp names a commit that
 * is HEAD or an ancestor): the CI job that published the last merge. One stamped from another branch or another
 * clone is someone else's update, and overwriting it would lose it.
 */
async function publishedFromThisHistory(rootDir: string, metadata: unknown): Promise<boolean> {
  const sha = (metadata as { plx?: { git_sha?: unknown } } | null | undefined)?.plx?.git_sha;
  return typeof sha === "string" && isAncestorOfHead(rootDir, sha);
}

const failure = (error: unknown): PlxErrorJson =>
  isPlxError(error) ? error.toJSON() : { code: "INTERNAL", message: String(error), exitCode: ExitCode.Negative };

/**
 * Files moved since the last sync, before anything is published: the template goes to the file's new folder (a
 * failure there fails the item, so it is neither published nor recorded at its new path), and for a template
 * with nothing to publish, the external ID follows the file (a publish re-ties its own).
 */
async function relocateAll(
  deps: PushDeps,
  items: readonly PushItem[],
  heads: PreparedPush["heads"],
  outcomes: Map<string, PushResult>,
): Promise<void> {
  const { client, config } = deps;
  await Promise.all(
    items.map(async (item) => {
      if (item.action !== "update" && item.action !== "unchanged") return;
      if (!item.moveTo && !(item.action === "unchanged" && item.previousPath)) return;
      try {
        if (item.moveTo) {
          await client.moveToFolder(
            { id: item.id, type: heads[item.kind].get(item.name)!.type },
            await client.ensureFolderPath(item.moveTo),
          );
        }
        if (item.action === "unchanged" && item.previousPath) {
          const ids = externalIds(client, item.kind);
          await ids.attach(item.id, { source: config.externalIdSource, external_id: item.path });
          await ids.detach(item.id, { source: config.externalIdSource, external_id: item.previousPath });
        }
        if (item.action === "unchanged") outcomes.set(itemKey(item), { item, result: "moved" });
      } catch (error) {
        if (!isPlxError(error) || isInterruption(error)) throw error;
        outcomes.set(itemKey(item), { item, result: "failed", error: failure(error) });
      }
    }),
  );
}

/** The external-ID routes of templates or of agents. */
function externalIds(client: PromptLayerClient, kind: SyncKind) {
  return kind === "agent"
    ? {
        attach: (id: number, ref: ExternalId) => client.workflows.attachExternalId(id, ref),
        detach: (id: number, ref: ExternalId) => client.workflows.detachExternalId(id, ref),
      }
    : {
        attach: (id: number, ref: ExternalId) => client.attachExternalId(id, ref),
        detach: (id: number, ref: ExternalId) => client.detachExternalId(id, ref),
      };
}

async function publishAll(
  deps: PushDeps,
  options: PushOptions,
  prepared: PreparedPush,
  outcomes: Map<string, PushResult>,
): Promise<void> {
  const notPublished = new Set<string>();
  for (const level of prepared.levels) {
    await Promise.all(
      level.map(async (item) => {
        if (item.kind !== "prompt") return;
        // Its move failed: publishing it at the old place would record it at the new one.
        if (outcomes.get(itemKey(item))?.result === "failed") {
          notPublished.add(item.name);
          return;
        }
        const blocker = item.snippets.find((snippet) => notPublished.has(snippet));
        if (blocker) {
          notPublished.add(item.name);
          outcomes.set(itemKey(item), { item, result: "skipped", reason: `its snippet ${blocker} was not published` });
          return;
        }
        const published = await publishOne(
          deps,
          item,
          prepared.lock.templates[item.name]?.path,
          outcomes,
          async (previousVersion) =>
            deps.client.publish(await publishBody(deps, options, item, prepared), { previousVersion }),
        );
        if (!published) notPublished.add(item.name);
      }),
    );
  }
}

/**
 * Publishes one template or agent and records how it went; false when it failed. The API has no compare-and-set: a
 * version number past the one after what the plan saw means another publish landed in between, and this one now sits
 * on top of it. That is said, never let pass silently.
 */
async function publishOne(
  deps: PushDeps,
  item: Publishing,
  previousPath: string | undefined,
  outcomes: Map<string, PushResult>,
  send: (previousVersion: number | null) => Promise<{ id: number; version: number; recovered: boolean }>,
): Promise<boolean> {
  const remoteVersion = item.action === "update" ? item.remoteVersion : undefined;
  try {
    const published = await send(remoteVersion ?? null);
    if (previousPath && previousPath !== item.path) {
      await externalIds(deps.client, item.kind)
        .detach(published.id, { source: deps.config.externalIdSource, external_id: previousPath })
        .catch(() => undefined);
    }
    const raced = raceOf((remoteVersion ?? 0) + 1, published.version);
    outcomes.set(itemKey(item), {
      item,
      result: item.action === "create" ? "created" : "updated",
      id: published.id,
      version: published.version,
      recovered: published.recovered,
      ...(raced ? { raced } : {}),
    });
    return true;
  } catch (error) {
    if (isInterruption(error)) throw error;
    outcomes.set(itemKey(item), { item, result: "failed", error: failure(error) });
    return false;
  }
}

/** What a version number past the expected one means: others landed in between, and this version sits on top. */
function raceOf(expected: number, version: number): string | undefined {
  if (version <= expected) return undefined;
  const appeared = `v${expected}${version - 1 > expected ? `–v${version - 1}` : ""}`;
  return `${appeared} appeared in PromptLayer while this publish ran; review them with plx diff`;
}

/**
 * Agents, once every prompt is published and its labels moved: each names prompts by label, so it goes live only
 * over the prompts it needs. One whose prompt failed to publish is skipped.
 */
async function publishAgents(deps: PushDeps, prepared: PreparedPush, outcomes: Map<string, PushResult>): Promise<void> {
  const notPublished = new Set(
    [...outcomes.values()]
      .filter(
        (outcome) => outcome.item.kind === "prompt" && (outcome.result === "failed" || outcome.result === "skipped"),
      )
      .map((outcome) => outcome.item.name),
  );
  await Promise.all(
    prepared.plan.items.map(async (item) => {
      if (!isPublishing(item) || item.kind !== "agent") return;
      if (outcomes.get(itemKey(item))?.result === "failed") return;
      const blocker = item.prompts.find((prompt) => notPublished.has(prompt));
      if (blocker) {
        outcomes.set(itemKey(item), { item, result: "skipped", reason: `its prompt ${blocker} was not published` });
        return;
      }
      const publishing = {
        local: prepared.agents.get(item.name)!,
        message: prepared.message,
        externalId: { source: deps.config.externalIdSource, external_id: item.path },
        labels: labelsForPublish(prepared.plan.labels, item),
      };
      await publishOne(deps, item, prepared.lock.agents[item.name]?.path, outcomes, async (previousVersion) =>
        deps.client.workflows.create(await agentBody(deps.client, item, publishing), { previousVersion }),
      );
    }),
  );
}

/** The id of a template or agent after the run: known from the plan, or from its publish when this run created it. */
function idAfter(outcome: PushResult | undefined, item: PushItem): number | undefined {
  if (outcome?.result === "created" || outcome?.result === "updated") return outcome.id;
  return "id" in item ? item.id : undefined;
}

/**
 * With --delete: the templates and agents whose file was deleted here are deleted in PromptLayer (soft delete, as the
 * UI does).
 */
async function deleteAll(
  deps: PushDeps,
  items: readonly PushItem[],
  heads: PreparedPush["heads"],
  outcomes: Map<string, PushResult>,
): Promise<void> {
  const typeOf = (kind: SyncKind, id: number) =>
    [...heads[kind].values()].find((head) => head.id === id)?.type ?? (kind === "agent" ? "WORKFLOW" : "PROMPT");
  await Promise.all(
    items.map(async (item) => {
      if (item.action !== "delete") return;
      try {
        await deps.client.deleteEntities([{ id: item.id, type: typeOf(item.kind, item.id) }]);
        outcomes.set(itemKey(item), { item, result: "deleted" });
      } catch (error) {
        if (!isPlxError(error) || isInterruption(error)) throw error;
        outcomes.set(itemKey(item), { item, result: "failed", error: failure(error) });
      }
    }),
  );
}

async function publishBody(
  deps: PushDeps,
  options: PushOptions,
  item: Extract<Publishing, { kind: "prompt" }>,
  prepared: PreparedPush,
): Promise<PublishBody> {
  const doc = prepared.locals.get(item.name)!.doc;
  const version = publishVersionOf(doc);
  const git = deps.git;
  const stamp = {
    content_hash: item.hash,
    path: item.path,
    // Only committed content names its commit: another clone may treat a version stamped with an ancestor of its
    // HEAD as published from git, which uncommitted edits are not.
    ...(git && !git.uncommitted ? { git_sha: git.sha } : {}),
    ...(git?.uncommitted ? { uncommitted_on: git.sha } : {}),
    ...(options.runUrl ? { run_url: options.runUrl } : {}),
  };
  const folderId = item.action === "create" ? await deps.client.ensureFolderPath(doc.folder) : undefined;
  const labels = labelsForPublish(prepared.plan.labels, item);
  return {
    prompt_template: {
      prompt_name: doc.name,
      tags: doc.tags,
      ...(folderId !== undefined ? { folder_id: folderId } : {}),
    },
    prompt_version: {
      ...version,
      prompt_template: version.prompt_template as PublishBody["prompt_version"]["prompt_template"],
      commit_message: prepared.message,
      metadata: { ...version.metadata, plx: stamp },
    },
    release_labels: labels.length > 0 ? labels : null,
    external_ids: [{ source: deps.config.externalIdSource, external_id: item.path }],
  };
}

/**
 * `-m`, else the HEAD commit's subject with its short sha, within the API's 72 characters. Uncommitted edits are not
 * what HEAD holds, so their message says so instead of borrowing HEAD's subject.
 */
export function commitMessage(message: string | undefined, git: GitState | undefined): string {
  if (message !== undefined) {
    if (message.length > COMMIT_MESSAGE_LIMIT) {
      throw plxError("SYNC.COMMIT_MESSAGE_TOO_LONG", { length: message.length, limit: COMMIT_MESSAGE_LIMIT });
    }
    return message;
  }
  if (!git) return "Published with plx";
  if (git.uncommitted) return `uncommitted changes on ${git.sha.slice(0, 7)}`;
  const suffix = ` (${git.sha.slice(0, 7)})`;
  const room = COMMIT_MESSAGE_LIMIT - suffix.length;
  const subject = git.subject.length > room ? `${git.subject.slice(0, room - 1).trimEnd()}…` : git.subject;
  return `${subject}${suffix}`;
}

/** Moves the templates' labels the plan moves, each to its version (a new version's number once published). */
async function applyLabelMoves(
  client: PromptLayerClient,
  moves: readonly LabelMove[],
  results: readonly PushResult[],
): Promise<LabelResult[]> {
  const byName = new Map(results.filter((r) => r.item.kind === "prompt").map((result) => [result.item.name, result]));
  const targets = moves.flatMap((move): LabelTarget[] => {
    if (move.action !== "move" && move.action !== "add") return [];
    if (move.to !== undefined) {
      return [
        {
          name: move.name,
          id: move.id!,
          label: move.label,
          version: move.to,
          ...(move.from === undefined ? {} : { from: move.from }),
        },
      ];
    }
    const result = byName.get(move.name);
    if (result?.result !== "created" && result?.result !== "updated") return [];
    return [{ name: move.name, id: result.id, label: move.label, version: result.version, setByPublish: true }];
  });
  const changes = await applyLabels(client, targets);
  const changeOf = new Map(changes.map((change) => [`${change.name}\u0000${change.label}`, change]));
  return moves.map((move): LabelResult => {
    const change = changeOf.get(`${move.name}\u0000${move.label}`);
    if (change?.status === "failed") return { ...move, status: "failed", version: change.version, error: change.error };
    if (change) return { ...move, status: change.status, version: change.version };
    // A move with no change is one whose template was not published (it failed, or a snippet it needs did).
    return unsent(move, false);
  });
}

/**
 * Moves the agents' labels the plan moves: on the version an agent's publish just made, or by a copy. A copy is an
 * item's result too, since it made a version.
 */
async function applyAgentLabelMoves(
  deps: PushDeps,
  prepared: PreparedPush,
  moves: readonly LabelMove[],
  outcomes: Map<string, PushResult>,
): Promise<LabelResult[]> {
  const published = new Map(
    [...outcomes.values()].flatMap((outcome) =>
      outcome.item.kind === "agent" && (outcome.result === "created" || outcome.result === "updated")
        ? [[outcome.item.name, { id: outcome.id, version: outcome.version }] as const]
        : [],
    ),
  );
  const { changes, copies } = await applyAgentLabels(deps.client, moves, published, prepared.message);
  for (const copy of copies) {
    const item = prepared.plan.items.find((candidate) => candidate.kind === "agent" && candidate.name === copy.name)!;
    const raced = raceOf(copy.expected, copy.version);
    outcomes.set(itemKey(item), {
      item,
      result: "copied",
      id: copy.id,
      version: copy.version,
      of: copy.of,
      ...(raced ? { raced } : {}),
    });
  }
  const changeOf = new Map(changes.map((change) => [`${change.move.name}\u0000${change.move.label}`, change]));
  return moves.map((move): LabelResult => {
    const change = changeOf.get(`${move.name}\u0000${move.label}`);
    if (!change) return unsent(move, false);
    const version = change.version === undefined ? {} : { version: change.version };
    return change.status === "failed"
      ? { ...move, ...version, status: "failed", error: change.error }
      : { ...move, ...version, status: change.status };
  });
}

/** The lock after the run: each template and agent recorded at the version holding the repository's content. */
function nextLock(
  lock: Lockfile,
  items: readonly PushItem[],
  outcomes: ReadonlyMap<string, PushResult>,
  prepared: Pick<PreparedPush, "locals" | "agents">,
): Lockfile {
  const templates = nameKeyed(lock.templates);
  const agents = nameKeyed(lock.agents);
  for (const item of items) {
    const entries: Record<string, SyncedEntry> = item.kind === "agent" ? agents : templates;
    const outcome = outcomes.get(itemKey(item));
    if (outcome?.result === "deleted") {
      delete entries[item.name];
      continue;
    }
    const version =
      outcome?.result === "created" || outcome?.result === "updated" || outcome?.result === "copied"
        ? outcome.version
        : item.action === "unchanged" && (outcome === undefined || outcome.result === "moved")
          ? item.syncedVersion
          : undefined;
    const id = idAfter(outcome, item);
    if (version === undefined || id === undefined || item.action === "delete") continue;
    const previous = entries[item.name];
    // A file moved here whose template did not move (nothing was sent for it) keeps its synced path: the move
    // is still to be pushed, and a pull must not take it for a move made in PromptLayer.
    const path = outcome === undefined && previous ? previous.path : item.path;
    const local = item.kind === "agent" ? prepared.agents.get(item.name)! : prepared.locals.get(item.name)!;
    const entry = {
      id,
      path,
      version,
      hash: item.hash,
      labels: nameKeyed(previous?.labels),
      ...(path === item.path ? { file: local.fileHash } : {}),
    };
    if (item.kind === "agent") agents[item.name] = { ...entry, prompts: item.prompts };
    else templates[item.name] = { ...entry, snippets: item.snippets };
  }
  return { ...lock, templates, agents };
}

/**
 * The lock's label records after a publish. A label that moved is recorded where it went; one left alone as a
 * conflict (or that failed, or waits for approval) keeps its old record, so it stays visible until plx pull brings
 * the outside change in. A label this repository did not sync before is recorded, from the listing planning read,
 * for every template and agent the lock knows, and becomes one the lock records completely.
 */
function lockWithLabels(
  lock: Lockfile,
  results: readonly LabelResult[],
  positions: PreparedPush["positions"],
): Lockfile {
  const section = <E extends SyncedEntry>(kind: SyncKind, entries: Record<string, E>) => {
    const updated = nameKeyed(entries);
    const record = (name: string, label: string, version: number | undefined) => {
      const entry = updated[name]!;
      const labels = nameKeyed(entry.labels);
      if (version === undefined) delete labels[label];
      else labels[label] = version;
      updated[name] = { ...entry, labels };
    };
    for (const [label, now] of positions[kind]) {
      const planned = new Map(
        results.filter((r) => r.kind === kind && r.label === label).map((result) => [result.name, result]),
      );
      for (const [name, entry] of Object.entries(updated)) {
        const result = planned.get(name);
        if (!result) {
          if (!lock.labels.includes(label)) record(name, label, now.get(entry.id));
        } else if (result.status === "set") {
          record(name, label, result.version);
        } else if (result.status === "unchanged" || result.status === "skipped") {
          record(name, label, result.from);
        }
      }
    }
    return updated;
  };
  const next = { ...lock, templates: section("prompt", lock.templates), agents: section("agent", lock.agents) };
  return withSyncedLabels(next, positions.prompt.keys());
}

function savedPlanOf(plan: PushPlan, labels: string[]): SavedPlan {
  return {
    plxPlan: 2,
    createdAt: new Date().toISOString(),
    labels,
    items: plan.items.map((item) => ({
      kind: item.kind,
      name: item.name,
      path: item.path,
      action: item.action,
      hash: item.hash,
      ...("remoteVersion" in item && item.remoteVersion !== undefined ? { remoteVersion: item.remoteVersion } : {}),
      ...("moveTo" in item && item.moveTo ? { moveTo: item.moveTo } : {}),
    })),
    labelMoves: plan.labels.map(({ kind, name, label, from, to, action }) => ({
      kind,
      name,
      label,
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
      action,
    })),
  };
}

/** What moved since a plan was saved: a remote version, a local file, a label, or the set of templates itself. */
function staleEntries(saved: SavedPlan, now: SavedPlan): string[] {
  // A plan saved before plx published agents holds prompts only.
  const key = (entry: { kind?: SyncKind; name: string }) => itemKey({ kind: entry.kind ?? "prompt", name: entry.name });
  const current = new Map(now.items.map((item) => [key(item), item]));
  const stale: string[] = [];
  const version = (value: number | undefined) => (value === undefined ? "nothing" : `v${value}`);
  for (const item of saved.items) {
    const fresh = current.get(key(item));
    if (!fresh) stale.push(`${item.name}: no longer in the repository`);
    else if (fresh.remoteVersion !== item.remoteVersion)
      stale.push(
        `${item.name}: PromptLayer moved from ${version(item.remoteVersion)} to ${version(fresh.remoteVersion)}`,
      );
    else if (fresh.hash !== item.hash) stale.push(`${item.name}: ${item.path} changed since the plan was made`);
    else if (fresh.path !== item.path || fresh.moveTo?.join("/") !== item.moveTo?.join("/"))
      stale.push(`${item.name}: moved since the plan was made (now ${fresh.path})`);
  }
  const savedKeys = new Set(saved.items.map(key));
  for (const [itemId, item] of current)
    if (!savedKeys.has(itemId)) stale.push(`${item.name}: new since the plan was made`);
  if (now.labels.join() !== saved.labels.join())
    stale.push(`labels: the plan was made for ${saved.labels.join(", ") || "none"}`);
  const moves = new Map(now.labelMoves.map((move) => [`${key(move)} ${move.label}`, move]));
  for (const move of saved.labelMoves) {
    const fresh = moves.get(`${key(move)} ${move.label}`);
    if (fresh && (fresh.from !== move.from || fresh.action !== move.action)) {
      stale.push(
        `${move.label} on ${move.name}: now at ${version(fresh.from)}, was ${version(move.from)} when the plan was made`,
      );
    }
  }
  return stale;
}

const FAILURE_PRIORITY = [ExitCode.Auth, ExitCode.Conflict, ExitCode.Usage, ExitCode.Remote];

export function pushExitCode(report: PushReport): ExitCode {
  if (report.blocked === "conflict" || report.blocked === "stale-plan") return ExitCode.Conflict;
  if (report.blocked === "invalid") return ExitCode.Usage;
  if (report.blocked === "declined") return ExitCode.Negative;
  if (report.results.some((result) => "raced" in result && result.raced !== undefined)) {
    return ExitCode.Conflict;
  }
  const failedWith = new Set(
    report.results.flatMap((result) => (result.result === "failed" ? [result.error.exitCode] : [])),
  );
  // The most telling failure decides: a rejected key, then a clash with PromptLayer's state, then what was sent.
  const telling = FAILURE_PRIORITY.find((code) => failedWith.has(code));
  if (telling !== undefined) return telling;
  if (report.labels.some((label) => label.status === "conflict")) return ExitCode.Conflict;
  if (failedWith.size > 0) return ExitCode.Negative;
  if (report.labels.some((label) => label.status === "failed")) return ExitCode.Remote;
  // Not exit 0 while something the repository holds did not reach PromptLayer: a template skipped, one deleted or
  // renamed there, a file deleted here but kept there, a protected label waiting for approval.
  const undeployed = report.results.some(
    (result) =>
      result.result === "skipped" ||
      result.result === "kept" ||
      (result.result === "behind" && result.item.action === "behind" && result.item.gone !== undefined),
  );
  if (!report.dryRun && undeployed) return ExitCode.Negative;
  return report.labels.some((label) => label.status === "pending") ? ExitCode.Negative : ExitCode.Ok;
}
