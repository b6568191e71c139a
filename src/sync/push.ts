// `plx push` and `plx publish`: changed files become new versions. The plan is built first (every file validated,
// every remote edit detected) and applied only when it holds no invalid file and no conflict; the same code path
// serves --dry-run, saved plans and the real run.
import { contentHash } from "../core/canonical.js";
import type { Lockfile } from "../core/lock.js";
import { nameKeyed } from "../core/records.js";
import {
  planPush,
  publishLevels,
  remoteNeedsRead,
  SnippetCycleError,
  type PushItem,
  type PushRemote,
} from "../core/push-plan.js";
import { publishVersionOf, templateFromRaw, type TemplateDoc } from "../core/template.js";
import type { ResolvedConfig } from "../config/schema.js";
import { ExitCode, isInterruption, isPlxError, plxError } from "../errors/index.js";
import { isAncestorOfHead, type GitHead } from "../files/git.js";
import type { LocalTemplate } from "../files/local.js";
import { writeLockfile } from "../files/lockfile.js";
import { locationFromPath } from "../files/paths.js";
import { contentHashOf, type PromptLayerClient, type PublishBody } from "../promptlayer/index.js";
import { patchOf } from "./compare.js";
import { applyLabels, type LabelChange } from "./labels.js";
import { readRepository } from "./repository.js";
import { nameMatcher } from "./select.js";
import { listRemoteHeads, type RemoteHead } from "./remote.js";

export const COMMIT_MESSAGE_LIMIT = 72;

export interface PushOptions {
  names: string[];
  dryRun: boolean;
  force: boolean;
  /** Commit message; default from the git HEAD subject. */
  message?: string;
  /** Release labels to point at the pushed content (`plx publish --label`). */
  labels: string[];
  /** The CI run, stamped into metadata.plx. */
  runUrl?: string;
  /** A plan saved earlier: applied only if nothing it was built from has moved. */
  savedPlan?: SavedPlan;
}

export interface PushDeps {
  client: PromptLayerClient;
  config: ResolvedConfig;
  git: GitHead | undefined;
  /** Asked before anything is sent when labels will move; absent = no one to ask (the CLI checked --yes). */
  confirm?: (plan: PushItem[]) => Promise<boolean>;
  signal?: AbortSignal;
}

/** `moved`: an unchanged template whose file moved; its folder or external ID followed, and no version was needed. */
export type PushOutcome = "published" | "moved" | "skipped" | "failed" | "planned";

export interface PushResult extends PushItem {
  outcome?: PushOutcome;
  /** Published, but another version landed between the plan and this publish. */
  raced?: boolean;
  version?: number;
  recovered?: boolean;
  error?: { code: string; message: string; exitCode: ExitCode };
  patch?: string;
}

export interface SavedPlan {
  plxPlan: 1;
  createdAt: string;
  labels: string[];
  items: Array<Pick<PushItem, "name" | "path" | "action" | "hash" | "remoteVersion" | "moveTo">>;
}

export interface PushReport {
  dryRun: boolean;
  items: PushResult[];
  labels: LabelChange[];
  /** Set when the run stopped before sending anything, and why. */
  blocked?: "conflict" | "invalid" | "stale-plan" | "declined";
  stale?: string[];
  plan: SavedPlan;
}

export async function push(deps: PushDeps, options: PushOptions): Promise<PushReport> {
  const { client, config } = deps;
  // Checked first, so a dry run refuses what the real run would.
  const message = commitMessage(options.message, deps.git);
  // One invalid file and nothing is sent: a half-applied push is worse than none. The listing is only a read, so it
  // overlaps the reading of the files.
  const [{ lock, templates }, listed] = await Promise.all([
    readRepository(config),
    listRemoteHeads(client, { kind: "latest" }),
  ]);
  const matches = nameMatcher(options.names);
  const locals = templates.filter((t) => matches(t.name, t.folder));
  const byName = new Map(templates.map((t) => [t.name, t]));

  const heads = new Map(listed.map((head) => [head.name, head]));
  const remoteDocs = new Map<string, TemplateDoc>();
  const remotes = new Map<string, PushRemote>();
  await Promise.all(
    locals.map(async (local) => {
      const head = heads.get(local.name);
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
  );

  const items: PushResult[] = planPush({
    locals: locals.map((t) => ({ name: t.name, path: t.path, hash: t.hash, folder: t.folder, snippets: t.snippets })),
    lock: lock.templates,
    remotes,
    remoteNames: new Map(listed.map((head) => [head.id, head.name])),
    baseFolders: new Map(
      Object.entries(lock.templates).map(([name, entry]) => [
        name,
        locationFromPath(entry.path, config.promptsDir).folder,
      ]),
    ),
    force: options.force,
  });
  let levels: PushItem[][];
  try {
    levels = publishLevels(items, new Map(templates.map((t) => [t.name, t.snippets])));
  } catch (error) {
    if (error instanceof SnippetCycleError) throw plxError("SYNC.SNIPPET_CYCLE", { cycle: error.cycle });
    throw error;
  }
  const plan = savedPlanOf(items, options.labels);
  const report: PushReport = { dryRun: options.dryRun, items, labels: [], plan };

  for (const item of items.filter((i) => i.action === "conflict" && i.remoteVersion !== undefined)) {
    const local = byName.get(item.name)!;
    Object.assign(item, {
      patch: patchOf(item.path, remoteDocs.get(item.name), local.doc, { version: item.remoteVersion! }).patch,
    });
  }
  if (options.savedPlan) {
    const stale = staleEntries(options.savedPlan, plan);
    if (stale.length > 0) return { ...report, blocked: "stale-plan", stale };
  }
  if (items.some((item) => item.action === "conflict")) return { ...report, blocked: "conflict" };
  if (items.some((item) => item.action === "invalid")) return { ...report, blocked: "invalid" };
  if (options.dryRun) {
    for (const item of items)
      if (item.action === "create" || item.action === "update" || item.moveTo) item.outcome = "planned";
    return report;
  }
  if (deps.confirm && options.labels.length > 0 && !(await deps.confirm(items)))
    return { ...report, blocked: "declined" };

  try {
    await relocateAll(deps, items, heads);
    await publishAll(deps, options, { levels, items, locals: byName, lock, message });
  } catch (error) {
    if (!isInterruption(error)) throw error;
    const done = items.filter((item) => item.outcome === "published").map((item) => `${item.name} v${item.version}`);
    throw plxError("INTERRUPTED", {
      doneSoFar: done.length > 0 ? `published before stopping: ${done.join(", ")}` : "nothing was published",
    });
  } finally {
    // Whatever happened, what did get published is recorded, so the next run converges instead of repeating it.
    await writeLockfile(config.rootDir, nextLock(lock, items, byName));
  }
  if (options.labels.length > 0) {
    report.labels = await applyLabels(client, options.labels, targetsFor(items)).catch((error: unknown) => {
      // The versions are published and recorded: say so, with the labels as failed, rather than only the error.
      if (!isPlxError(error) || isInterruption(error)) throw error;
      return targetsFor(items).flatMap((target) =>
        options.labels.map(
          (label): LabelChange => ({
            name: target.name,
            label,
            version: target.version,
            status: "failed",
            error: error.message,
          }),
        ),
      );
    });
    await writeLockfile(config.rootDir, withLabels(nextLock(lock, items, byName), report.labels));
  }
  return report;
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

interface Publishing {
  levels: PushItem[][];
  items: PushResult[];
  locals: ReadonlyMap<string, LocalTemplate>;
  lock: Lockfile;
  message: string;
}

/**
 * Files moved since the last sync, before anything is published: the template goes to the file's new folder (a
 * failure there fails the item, so it is neither published nor recorded at its new path), and for a template
 * with nothing to publish, the external ID follows the file (a publish re-ties its own).
 */
async function relocateAll(deps: PushDeps, items: PushResult[], heads: ReadonlyMap<string, RemoteHead>): Promise<void> {
  const { client, config } = deps;
  await Promise.all(
    items
      .filter((item) => item.moveTo || (item.action === "unchanged" && item.previousPath))
      .map(async (item) => {
        try {
          if (item.moveTo)
            await client.moveToFolder(
              { id: item.id!, type: heads.get(item.name)!.type },
              await client.ensureFolderPath(item.moveTo),
            );
          if (item.action === "unchanged" && item.previousPath) {
            await client.attachExternalId(item.id!, { source: config.externalIdSource, external_id: item.path });
            await client.detachExternalId(item.id!, {
              source: config.externalIdSource,
              external_id: item.previousPath,
            });
          }
          if (item.action === "unchanged") item.outcome = "moved";
        } catch (error) {
          if (!isPlxError(error) || isInterruption(error)) throw error;
          Object.assign(item, {
            outcome: "failed",
            error: { code: error.code, message: error.message, exitCode: error.exitCode },
          });
        }
      }),
  );
}

async function publishAll(
  deps: PushDeps,
  options: PushOptions,
  { levels, items, locals, lock, message }: Publishing,
): Promise<void> {
  const failed = new Set<string>();
  for (const level of levels) {
    await Promise.all(
      level.map(async (planned) => {
        const item = items.find((candidate) => candidate.name === planned.name)!;
        // Its move failed: publishing it at the old place would record it at the new one.
        if (item.outcome === "failed") {
          failed.add(item.name);
          return;
        }
        const blocker = item.snippets.find((snippet) => failed.has(snippet));
        if (blocker) {
          failed.add(item.name);
          Object.assign(item, { outcome: "skipped", reason: `its snippet ${blocker} was not published` });
          return;
        }
        try {
          const local = locals.get(item.name)!;
          const body = await publishBody(deps, options, item, local.doc, message);
          const result = await deps.client.publish(body, { previousVersion: item.remoteVersion ?? null });
          const previousPath = lock.templates[item.name]?.path;
          if (previousPath && previousPath !== item.path) {
            await deps.client
              .detachExternalId(result.id, { source: deps.config.externalIdSource, external_id: previousPath })
              .catch(() => undefined);
          }
          Object.assign(item, {
            outcome: "published",
            id: result.id,
            version: result.version,
            recovered: result.recovered,
          });
          // The API has no compare-and-set: a version number past the one after what the plan saw means another
          // publish landed in between, and this one now sits on top of it. Say so; never let it pass silently.
          const expected = (item.remoteVersion ?? 0) + 1;
          if (result.version > expected) {
            item.raced = true;
            item.reason = `v${expected}${result.version - 1 > expected ? `–v${result.version - 1}` : ""} appeared in PromptLayer while this publish ran; review them with plx diff`;
          }
        } catch (error) {
          if (isInterruption(error)) throw error;
          failed.add(item.name);
          const described = isPlxError(error)
            ? { code: error.code, message: error.message, exitCode: error.exitCode }
            : { code: "INTERNAL", message: String(error), exitCode: ExitCode.Negative };
          Object.assign(item, { outcome: "failed", error: described });
        }
      }),
    );
  }
}

async function publishBody(
  deps: PushDeps,
  options: PushOptions,
  item: PushItem,
  doc: TemplateDoc,
  message: string,
): Promise<PublishBody> {
  const version = publishVersionOf(doc);
  const stamp = {
    content_hash: item.hash,
    path: item.path,
    ...(deps.git ? { git_sha: deps.git.sha } : {}),
    ...(options.runUrl ? { run_url: options.runUrl } : {}),
  };
  const folderId = item.action === "create" ? await deps.client.ensureFolderPath(doc.folder) : undefined;
  return {
    prompt_template: {
      prompt_name: doc.name,
      tags: doc.tags,
      ...(folderId !== undefined ? { folder_id: folderId } : {}),
    },
    prompt_version: {
      ...version,
      prompt_template: version.prompt_template as PublishBody["prompt_version"]["prompt_template"],
      commit_message: message,
      metadata: { ...version.metadata, plx: stamp },
    },
    release_labels: options.labels.length > 0 ? options.labels : null,
    external_ids: [{ source: deps.config.externalIdSource, external_id: item.path }],
  };
}

/** `-m`, else the HEAD commit's subject with its short sha, within the API's 72 characters. */
export function commitMessage(message: string | undefined, git: GitHead | undefined): string {
  if (message !== undefined) {
    if (message.length > COMMIT_MESSAGE_LIMIT)
      throw plxError("SYNC.COMMIT_MESSAGE_TOO_LONG", { length: message.length, limit: COMMIT_MESSAGE_LIMIT });
    return message;
  }
  if (!git) return "Published with plx";
  const suffix = ` (${git.sha.slice(0, 7)})`;
  const room = COMMIT_MESSAGE_LIMIT - suffix.length;
  const subject = git.subject.length > room ? `${git.subject.slice(0, room - 1).trimEnd()}…` : git.subject;
  return `${subject}${suffix}`;
}

function targetsFor(items: readonly PushResult[]) {
  return items.flatMap((item) => {
    if (item.outcome === "published")
      return [{ name: item.name, id: item.id!, version: item.version!, setByPublish: true }];
    if (item.action === "unchanged" && item.id !== undefined)
      return [{ name: item.name, id: item.id, version: item.syncedVersion!, setByPublish: false }];
    return [];
  });
}

function nextLock(lock: Lockfile, items: readonly PushResult[], locals: ReadonlyMap<string, LocalTemplate>): Lockfile {
  const templates = nameKeyed(lock.templates);
  for (const item of items) {
    const version =
      item.outcome === "published"
        ? item.version
        : item.action === "unchanged" && (item.outcome === undefined || item.outcome === "moved")
          ? item.syncedVersion
          : undefined;
    if (version === undefined || item.id === undefined) continue;
    const previous = templates[item.name];
    const local = locals.get(item.name)!;
    // A file moved here whose template did not move (nothing was sent for it) keeps its synced path: the move
    // is still to be pushed, and a pull must not take it for a move made in PromptLayer.
    const path = item.outcome === undefined && previous ? previous.path : item.path;
    templates[item.name] = {
      id: item.id,
      path,
      version,
      hash: item.hash,
      labels: nameKeyed(previous?.labels),
      snippets: local.snippets,
      ...(path === item.path ? { file: local.fileHash } : {}),
    };
  }
  return { ...lock, templates };
}

function withLabels(lock: Lockfile, changes: readonly LabelChange[]): Lockfile {
  const templates = nameKeyed(lock.templates);
  for (const change of changes) {
    const entry = templates[change.name];
    if (entry && change.status !== "pending" && change.status !== "failed")
      templates[change.name] = { ...entry, labels: nameKeyed(entry.labels, { [change.label]: change.version }) };
  }
  return { ...lock, templates };
}

function savedPlanOf(items: readonly PushItem[], labels: string[]): SavedPlan {
  return {
    plxPlan: 1,
    createdAt: new Date().toISOString(),
    labels,
    items: items.map(({ name, path, action, hash, remoteVersion, moveTo }) => ({
      name,
      path,
      action,
      hash,
      ...(remoteVersion === undefined ? {} : { remoteVersion }),
      ...(moveTo ? { moveTo } : {}),
    })),
  };
}

/** What moved since a plan was saved: a remote version, a local file, or the set of templates itself. */
function staleEntries(saved: SavedPlan, now: SavedPlan): string[] {
  const current = new Map(now.items.map((item) => [item.name, item]));
  const stale: string[] = [];
  for (const item of saved.items) {
    const fresh = current.get(item.name);
    if (!fresh) stale.push(`${item.name}: no longer in the repository`);
    else if (fresh.remoteVersion !== item.remoteVersion)
      stale.push(
        `${item.name}: PromptLayer moved from ${item.remoteVersion === undefined ? "nothing" : `v${item.remoteVersion}`} to ${fresh.remoteVersion === undefined ? "nothing" : `v${fresh.remoteVersion}`}`,
      );
    else if (fresh.hash !== item.hash) stale.push(`${item.name}: ${item.path} changed since the plan was made`);
    else if (fresh.path !== item.path || fresh.moveTo?.join("/") !== item.moveTo?.join("/"))
      stale.push(`${item.name}: moved since the plan was made (now ${fresh.path})`);
  }
  for (const name of current.keys())
    if (!saved.items.some((item) => item.name === name)) stale.push(`${name}: new since the plan was made`);
  if (now.labels.join() !== saved.labels.join())
    stale.push(`labels: the plan was made for ${saved.labels.join(", ") || "none"}`);
  return stale;
}

const FAILURE_PRIORITY = [ExitCode.Auth, ExitCode.Conflict, ExitCode.Remote, ExitCode.Usage];

export function pushExitCode(report: PushReport): ExitCode {
  if (report.blocked === "conflict" || report.blocked === "stale-plan") return ExitCode.Conflict;
  if (report.blocked === "invalid") return ExitCode.Usage;
  if (report.blocked === "declined") return ExitCode.Negative;
  if (report.items.some((item) => item.raced)) return ExitCode.Conflict;
  const failedWith = new Set(
    report.items.flatMap((item) => (item.outcome === "failed" && item.error ? [item.error.exitCode] : [])),
  );
  // The most telling failure decides: a rejected key, then a clash with PromptLayer's state, then a remote failure.
  const telling = FAILURE_PRIORITY.find((code) => failedWith.has(code));
  if (telling !== undefined) return telling;
  if (failedWith.size > 0 || report.items.some((item) => item.outcome === "skipped")) return ExitCode.Negative;
  if (report.labels.some((change) => change.status === "failed")) return ExitCode.Remote;
  // A protected label waiting for approval: the deploy did not do everything it was asked to.
  return report.labels.some((change) => change.status === "pending") ? ExitCode.Negative : ExitCode.Ok;
}
