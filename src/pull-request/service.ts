// `plx pull --pr`: PromptLayer's state proposed to git as one pull request (GitHub) or merge request (GitLab).
//
// The base commit's prompt files and lock are copied into a scratch directory with an index of its own; the ordinary
// `pull` runs there (PromptLayer's content wins where the base holds an unpublished edit too: those are listed as
// conflicts); the result is committed on top of the base and pushed to the branch plx owns with --force-with-lease;
// then the one open request for that branch is opened, updated, or closed once there is nothing left to propose.
// The user's working tree, index, HEAD and local branches are never touched.
import { mkdir, mkdtemp, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, posix, relative, sep } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { ResolvedConfig } from "../config/schema.js";
import { LOCKFILE_NAME, type SyncKind } from "../core/lock.js";
import { isPlxError, plxError } from "../errors/index.js";
import { readLockfile } from "../files/lockfile.js";
import { type ChangeRequest, type ChangeRequests, changeRequestsFor } from "../forge/change-requests.js";
import type { ForgeHttpOptions } from "../forge/http.js";
import { type ForgeKind, githubSettings, gitlabSettings } from "../forge/settings.js";
import { DEFAULT_AUTHOR, Git, parseAuthor, pushTarget, pushWithLease, Scratch } from "../git/git.js";
import { dashboardOrigin } from "../promptlayer/dashboard.js";
import type { PromptLayerClient } from "../promptlayer/index.js";
import { pull, type PullItem } from "../sync/pull.js";
import { parseWebhookTimestamp } from "../webhook/freshness.js";
import { closingComment, commitMessage, proposalBody, proposalTitle } from "./body.js";
import {
  type ChangeKind,
  changeKey,
  splitDiff,
  type TemplateChange,
  templateChanges,
  versionsToDescribe,
} from "./changes.js";
import { readSyncHints } from "./hints.js";

type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_BRANCH = "plx/promptlayer";

export interface ProposalOptions {
  branch?: string;
  base?: string;
  forge: ForgeKind;
  repo?: string;
  labels: readonly string[];
  reviewers: readonly string[];
  draft: boolean;
  /** `Name <email>`; plx's own identity when absent. */
  author?: string;
  /** Work everything out, push and write nothing. */
  dryRun: boolean;
}

export interface ProposalDeps {
  client: PromptLayerClient;
  config: ResolvedConfig;
  env: Env;
  cwd: string;
  warn: (message: string) => void;
  forgeHttp?: ForgeHttpOptions;
  /** Waits before each retry of a failed push. Default 2 s, 5 s. */
  pushRetryDelaysMs?: readonly number[];
  /** The CI run, linked from a truncated body. */
  runUrl?: string;
  /** Applied to everything sent to the forge or written in the commit: no known secret leaves in a prompt's text. */
  redact?: (text: string) => string;
}

export type ProposalAction = "opened" | "updated" | "unchanged" | "closed" | "none";

export interface ProposalReport {
  proposal: true;
  dryRun: boolean;
  /** What happened to the pull/merge request (with --dry-run, what would). */
  action: ProposalAction;
  forge: ForgeKind;
  branch: string;
  base: string;
  /** Whether PromptLayer holds anything the base does not. */
  changed: boolean;
  number?: number;
  url?: string;
  title?: string;
  commit?: string;
  /** Whether the branch was pushed (it is not when it already held exactly this commit). */
  pushed: boolean;
  /** Every template and agent the proposal changes (the name is kept for the report's version 2 readers). */
  templates: Array<{
    kind: SyncKind;
    name: string;
    path: string;
    changes: ChangeKind[];
    from?: number;
    to?: number;
    conflict: boolean;
  }>;
  conflicts: string[];
  unwritable: Array<{ name: string; reason: string }>;
  /** The body, with --dry-run. */
  body?: string;
}

export async function proposeChanges(deps: ProposalDeps, options: ProposalOptions): Promise<ProposalReport> {
  const { config, env } = deps;
  const settings = options.forge === "github" ? githubSettings(env, options.repo) : gitlabSettings(env, options.repo);
  const forge = changeRequestsFor(settings, deps.forgeHttp);
  const author = options.author === undefined ? DEFAULT_AUTHOR : parseAuthor(options.author);
  if (!author) throw plxError("GIT.AUTHOR_INVALID", { author: options.author! });

  const git = await Git.at(deps.cwd, env);
  // Both resolved, so a symlinked temporary directory (macOS) does not send the path outside the repository.
  const rootInRepo = relative(await realpath(git.root), await realpath(config.rootDir))
    .split(sep)
    .join("/");
  const promptsPath = posix.join(rootInRepo || ".", config.promptsDir);
  const lockPath = posix.join(rootInRepo || ".", LOCKFILE_NAME);
  const uncommitted = await git.uncommitted([promptsPath]);
  if (uncommitted.length > 0) throw plxError("GIT.DIRTY_TREE", { paths: uncommitted });

  const branch = options.branch?.trim() || DEFAULT_BRANCH;
  if (!(await git.isValidBranchName(branch))) throw plxError("GIT.BRANCH_INVALID", { branch });
  const { base, baseCommit } = await resolveBase(git, env, options.base);
  if (base === branch) {
    throw plxError("USAGE.CONFLICTING_OPTIONS", {
      problem: `The branch plx proposes from (${branch}) cannot also be the base.`,
      hint: "Check out the base branch (e.g. main), or pass --base and --branch with different names.",
    });
  }

  const scratchRoot = await mkdtemp(join(tmpdir(), "plx-pr-"));
  try {
    const tree = join(scratchRoot, "tree");
    await mkdir(tree);
    const scratch = new Scratch(git, git.gitDir, tree, join(scratchRoot, "index"), baseCommit);
    await scratch.checkout([promptsPath, lockPath, ".gitignore", posix.join(rootInRepo || ".", ".gitignore")]);
    const scratchConfig: ResolvedConfig = { ...config, rootDir: join(tree, rootInRepo) };
    const before = await readLockfile(scratchConfig.rootDir);
    const { items, conflicts } = await pullWithPromptLayerWinning(deps.client, scratchConfig);
    const after = await readLockfile(scratchConfig.rootDir);
    const files = (await scratch.stage([promptsPath, lockPath])).map((file) => ({
      ...file,
      path: fromRoot(file.path, rootInRepo),
      ...(file.previousPath ? { previousPath: fromRoot(file.previousPath, rootInRepo) } : {}),
    }));
    const hints = await readSyncHints(env);
    const changes = templateChanges({
      before,
      after,
      files,
      conflicts: new Set(conflicts),
      approvals: hints.approvals,
    });
    const unwritable = items
      .filter((item) => item.reason === "remote-invalid")
      .map((item) => ({ name: item.name, reason: item.detail ?? "not a valid prompt file" }));
    const open = await forge.findOpen(branch);
    const report: ProposalReport = {
      proposal: true,
      dryRun: options.dryRun,
      action: "none",
      forge: settings.kind,
      branch,
      base,
      changed: changes.length > 0,
      pushed: false,
      templates: changes.map((change) => ({
        kind: change.kind,
        name: change.name,
        path: change.path,
        changes: change.kinds,
        ...(change.from === undefined ? {} : { from: change.from }),
        ...(change.to === undefined ? {} : { to: change.to }),
        conflict: change.conflict,
      })),
      conflicts: changes.filter((change) => change.conflict).map((change) => change.path),
      unwritable,
    };

    if (changes.length === 0) {
      if (!open) return report;
      if (!options.dryRun) await forge.close(open.number, closingComment(base, forge.noun));
      return { ...report, action: "closed", number: open.number, url: open.url };
    }

    await describeVersions(deps.client, config.baseUrl, changes);
    const redact = deps.redact ?? ((text: string) => text);
    const date = latestVersionDate(changes) ?? (await git.commitDate(baseCommit));
    const commit = await scratch.commit(redact(commitMessage(changes, hints)), author, date);
    const diffs = splitDiff(await git.diff(baseCommit, commit, [promptsPath]));
    for (const change of changes) change.diff = diffs.get(posix.join(rootInRepo, change.path).replace(/^\//, ""));
    const title = redact(proposalTitle(changes));
    const body = proposalBody(
      changes,
      { base, branch, noun: forge.noun, users: hints.users, unwritable, runUrl: deps.runUrl },
      forge.bodyLimit,
      redact,
    );
    const target = pushTarget(env, settings.kind, settings.token);
    const remoteTip = await readRemoteTip(deps, git, target, branch);
    const needsPush = remoteTip !== commit;
    const differs = (request: ChangeRequest) => request.title !== title || request.body.trim() !== body.trim();
    const planned: ProposalAction = !open ? "opened" : needsPush || differs(open) ? "updated" : "unchanged";
    Object.assign(report, { title, commit, action: planned });
    if (options.dryRun) return { ...report, body, ...(open ? { number: open.number, url: open.url } : {}) };

    if (needsPush) {
      await push(deps, git, target, { commit, branch, expected: remoteTip });
      report.pushed = true;
    }
    const request = await settle(
      forge,
      open,
      { branch, base, title, body, draft: options.draft },
      options,
      deps.warn,
    ).catch((error: unknown) => {
      if (!isPlxError(error)) throw error;
      const pushed = report.pushed
        ? `Pushed ${branch} (${commit.slice(0, 7)}) to ${target.label}`
        : `${branch} on ${target.label} already held ${commit.slice(0, 7)}`;
      throw error.withProgress(`${pushed}; the ${forge.noun} was not ${open ? "updated" : "opened"}.`);
    });
    return { ...report, number: request.number, url: request.url };
  } finally {
    await rm(scratchRoot, { recursive: true, force: true });
  }
}

/** The base branch and its commit: --base, else the branch checked out, else the branch the CI job runs for. */
async function resolveBase(
  git: Git,
  env: Env,
  flag: string | undefined,
): Promise<{ base: string; baseCommit: string }> {
  const current = await git.currentBranch();
  const fromCi =
    env.GITHUB_REF?.startsWith("refs/heads/") === true
      ? env.GITHUB_REF.slice("refs/heads/".length)
      : env.CI_COMMIT_BRANCH?.trim() || undefined;
  const base = flag?.trim() || current || fromCi;
  if (!base) throw plxError("GIT.BASE_UNKNOWN", {});
  if (base !== current && !(await git.isValidBranchName(base))) throw plxError("GIT.BRANCH_INVALID", { branch: base });
  // The checkout is the base (CI checks the branch out, sometimes detached): its commit is the one to build on.
  if (base === current || (current === undefined && base === fromCi))
    return { base, baseCommit: (await git.commitOf("HEAD"))! };
  const baseCommit = (await git.commitOf(`refs/heads/${base}`)) ?? (await git.commitOf(`refs/remotes/origin/${base}`));
  if (!baseCommit) throw plxError("GIT.BASE_UNKNOWN", { base });
  return { base, baseCommit };
}

/**
 * The ordinary pull, files of deleted templates removed, then once more with --force for the templates both sides
 * changed: in the proposal PromptLayer's content wins, and the conflict is named for the reviewer.
 */
async function pullWithPromptLayerWinning(
  client: PromptLayerClient,
  config: ResolvedConfig,
): Promise<{ items: PullItem[]; conflicts: string[] }> {
  // Deletions are proposed, not made: the pull request is where they are reviewed, so pruning needs no more consent.
  // A key for another workspace is still refused (yes: false), rather than proposing to delete everything.
  const deps = { client, config, confirmRemovals: async () => true };
  const first = await pull(deps, { names: [], dryRun: false, force: false, prune: true, yes: false });
  const conflicting = first.items.filter((item) => item.action === "skip" && item.reason === "conflict");
  const conflicts = conflicting.map((item) => changeKey(item.kind, item.name));
  if (conflicts.length === 0) return { items: first.items, conflicts };
  // One forced pull per kind, so a template sharing a conflicting agent's name (or the reverse) is left as it is.
  const resolved = new Map<string, PullItem>();
  for (const kind of new Set(conflicting.map((item) => item.kind))) {
    const second = await pull(deps, {
      names: conflicting.filter((item) => item.kind === kind).map((item) => literalPattern(item.name)),
      kinds: [kind],
      dryRun: false,
      force: true,
      prune: true,
      yes: false,
    });
    for (const item of second.items) resolved.set(changeKey(item.kind, item.name), item);
  }
  return { items: first.items.map((item) => resolved.get(changeKey(item.kind, item.name)) ?? item), conflicts };
}

/** A template name as a pattern that matches only itself, whatever glob characters it holds. */
const literalPattern = (name: string) => name.replace(/[\\*?[\](){}!+@|]/g, "\\$&");

const fromRoot = (path: string, rootInRepo: string) =>
  rootInRepo === "" ? path : path.startsWith(`${rootInRepo}/`) ? path.slice(rootInRepo.length + 1) : path;

/** The commit messages of the new versions (a few per template), and a link to each template. */
async function describeVersions(client: PromptLayerClient, baseUrl: string, changes: TemplateChange[]): Promise<void> {
  let workspace: number | undefined;
  await Promise.all(
    changes.map(async (change) => {
      const { versions, more } = versionsToDescribe(change);
      change.moreVersions = more;
      const notes = await Promise.all(
        versions.map(async (version) => {
          if (change.kind === "agent") {
            const read = await client.workflows.get(change.id, { version });
            const message = read?.raw.commit_message;
            return { version, message: typeof message === "string" ? message : null };
          }
          const raw = await client.getTemplate(change.id, { version });
          if (raw) workspace ??= raw.workspace_id;
          const createdAt = typeof raw?.created_at === "string" ? raw.created_at : undefined;
          return { version, message: raw?.commit_message ?? null, ...(createdAt ? { createdAt } : {}) };
        }),
      );
      change.versions = notes;
    }),
  );
  workspace ??= await client.workspaceId();
  if (workspace === undefined) return;
  const origin = dashboardOrigin(baseUrl);
  // The dashboard's address of an agent is not documented: only templates get a link.
  for (const change of changes) {
    if (change.kind === "prompt" && !change.kinds.includes("deleted"))
      change.link = `${origin}/workspace/${workspace}/prompt/${change.id}`;
  }
}

/** When PromptLayer made the newest of the versions: the commit's date, so the same state makes the same commit. */
function latestVersionDate(changes: readonly TemplateChange[]): string | undefined {
  const times = changes
    .flatMap((change) => change.versions.map((note) => note.createdAt))
    .flatMap((text) => (text === undefined ? [] : [parseWebhookTimestamp(text)]))
    .filter((time): time is number => time !== undefined);
  return times.length === 0 ? undefined : new Date(Math.max(...times)).toISOString();
}

/** Where the branch is on the remote now (undefined: it does not exist), retried like a push. */
async function readRemoteTip(
  deps: ProposalDeps,
  git: Git,
  target: ReturnType<typeof pushTarget>,
  branch: string,
): Promise<string | undefined> {
  const delays = deps.pushRetryDelaysMs ?? [2_000, 5_000];
  for (let attempt = 1; ; attempt += 1) {
    const tip = await git.remoteBranch(target.remote, branch, target.env);
    if (tip === null) return undefined;
    if (typeof tip === "string") return tip;
    if (attempt > delays.length)
      throw plxError("GIT.REMOTE_UNREACHABLE", { remote: target.label, message: tip.failed, attempts: attempt });
    await sleep(delays[attempt - 1]!);
  }
}

async function push(
  deps: ProposalDeps,
  git: Git,
  target: ReturnType<typeof pushTarget>,
  { commit, branch, expected }: { commit: string; branch: string; expected: string | undefined },
): Promise<void> {
  const delays = deps.pushRetryDelaysMs ?? [2_000, 5_000];
  for (let attempt = 1; ; attempt += 1) {
    const outcome = await pushWithLease(git, target, commit, branch, expected);
    if (outcome === "pushed") return;
    if (outcome === "stale") throw plxError("GIT.PUSH_STALE", { branch, remote: target.label });
    if (!outcome.retryable || attempt > delays.length) {
      throw plxError("GIT.PUSH_FAILED", {
        branch,
        remote: target.label,
        message: outcome.failed,
        attempts: attempt,
      }).withProgress("Nothing was pushed, and no pull or merge request was opened or changed.");
    }
    await sleep(delays[attempt - 1]!);
  }
}

/** Opens the request or brings the open one up to date; labels and reviewers are a courtesy that never fails it. */
async function settle(
  forge: ChangeRequests,
  open: ChangeRequest | undefined,
  input: { branch: string; base: string; title: string; body: string; draft: boolean },
  options: ProposalOptions,
  warn: (message: string) => void,
): Promise<ChangeRequest> {
  if (open && open.title === input.title && open.body.trim() === input.body.trim()) return open;
  const request = open
    ? await forge.update(open.number, { title: input.title, body: input.body, base: input.base })
    : await forge.open(input);
  // Labels are added again on an update (adding is idempotent); reviewers are asked once, when it opens.
  const courtesies = [["labels", () => forge.addLabels(request.number, options.labels)]] as Array<
    [string, () => Promise<void>]
  >;
  if (!open) courtesies.push(["reviewers", () => forge.requestReviewers(request.number, options.reviewers)]);
  for (const [what, apply] of courtesies) {
    await apply().catch((error: unknown) => {
      if (!isPlxError(error) || error.exitCode === 4) throw error;
      warn(`the ${forge.noun} is open, but its ${what} could not be set: ${error.message}`);
    });
  }
  return request;
}
