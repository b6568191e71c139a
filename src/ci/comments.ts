// Sticky pull-request comments (GitHub) and merge-request notes (GitLab): one comment per kind, found again by a
// hidden marker and edited in place, so every run updates the same comment instead of adding another.
// GitHub: docs.github.com/en/rest/issues/comments. GitLab: docs.gitlab.com/api/notes/.
// Tokens go only into request headers: never into a returned value, an error message or an error's details.
import type { Env } from "../core/env.js";
import { readFile as fsReadFile } from "node:fs/promises";
import { type PlxError, plxError } from "../errors/index.js";
import { githubRunUrl } from "./github.js";
import { gitlabJobUrl } from "./gitlab.js";

export type { Env };
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export const GITHUB_API_VERSION = "2022-11-28";
/** GitHub refuses longer bodies with 422 "Body is too long". */
export const GITHUB_COMMENT_MAX_CHARS = 65_536;
/** GitLab's note body limit. */
export const GITLAB_NOTE_MAX_CHARS = 1_000_000;
const PAGE_SIZE = 100;
const MAX_PAGES = 200;
const DEFAULT_TIMEOUT_MS = 30_000;
const USER_AGENT = "plx-cli";

export type CommentProvider = "github" | "gitlab";

export type CommentResult =
  | {
      status: "created" | "updated";
      provider: CommentProvider;
      id: number;
      url: string | undefined;
      truncated: boolean;
    }
  /** The comment could not be written (fork PR, missing permission or token): show the Markdown elsewhere and warn. */
  | { status: "fallback"; provider: CommentProvider; reason: string; httpStatus: number | undefined }
  /** Nothing to do here (not a PR/MR pipeline, no GitLab token). `warning`, when set, should be shown once per run. */
  | { status: "skipped"; provider: CommentProvider | undefined; reason: string; warning: string | undefined };

export interface CommentOptions {
  env: Env;
  /** What the comment is about: "diff", "eval-report", "publish"… One sticky comment per kind (and key). */
  kind: string;
  /** Optional second part, e.g. a prompt name, for one comment per prompt. */
  key?: string;
  markdown: string;
  fetch?: FetchLike;
  /** Reads $GITHUB_EVENT_PATH; defaults to fs.readFile. */
  readFile?: (path: string) => Promise<string>;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** `<!-- plx:<kind> -->` or `<!-- plx:<kind>:<key> -->`; characters that could end the comment are replaced. */
export function commentMarker(kind: string, key?: string): string {
  const clean = (part: string) => part.replace(/[^A-Za-z0-9_./@:+-]/g, "_").replace(/-{2,}/g, "-");
  return `<!-- plx:${clean(kind)}${key === undefined || key === "" ? "" : `:${clean(key)}`} -->`;
}

/**
 * The body to send: the Markdown, cut to fit `maxChars` with a note pointing at `moreUrl`, then the marker on its
 * own line. Counted in UTF-16 units, which is never less than the characters GitHub counts.
 */
export function composeBody(
  markdown: string,
  marker: string,
  maxChars: number,
  moreUrl?: string,
): { body: string; truncated: boolean } {
  const tail = `\n\n${marker}`;
  const text = markdown.replace(/\s+$/, "");
  if (text.length + tail.length <= maxChars) return { body: text + tail, truncated: false };
  const note = `\n\n---\n_Truncated: this report is longer than a comment can hold${moreUrl ? `; the full report is in the [job log](${moreUrl})` : ""}._`;
  let cut = Math.max(0, maxChars - tail.length - note.length);
  // Do not split a surrogate pair.
  if (cut > 0 && /[\uD800-\uDBFF]/.test(text.charAt(cut - 1))) cut -= 1;
  return { body: text.slice(0, cut) + note + tail, truncated: true };
}

// ---- transport ----

interface Reply {
  status: number;
  headers: Headers;
  json: unknown;
  text: string;
}

const scrub = (text: string, token: string) => (token.length >= 4 ? text.split(token).join("***") : text);

function commentFailed(provider: CommentProvider, message: string, details: Record<string, unknown>): PlxError {
  return plxError("CI.COMMENT_FAILED", { provider, message, details });
}

async function send(
  provider: CommentProvider,
  options: CommentOptions,
  token: string,
  headers: Record<string, string>,
  method: string,
  url: string,
  body?: unknown,
): Promise<Reply> {
  const fetchImpl: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const path = new URL(url).pathname;
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method,
      headers: {
        ...headers,
        "User-Agent": USER_AGENT,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
    const reason = timeout.aborted
      ? "timed out"
      : typeof cause?.code === "string"
        ? cause.code
        : error instanceof Error
          ? error.message
          : String(error);
    throw commentFailed(provider, `${method} ${path} failed: ${scrub(reason, token)}.`, {
      method,
      path,
      reason: scrub(reason, token),
    });
  }
  const text = await response.text().catch(() => "");
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text };
}

function serverMessage(reply: Reply, token: string): string | undefined {
  const message =
    (reply.json as { message?: unknown; error?: unknown } | undefined)?.message ??
    (reply.json as { error?: unknown } | undefined)?.error;
  const text =
    typeof message === "string"
      ? message
      : typeof message === "object" && message !== null
        ? JSON.stringify(message)
        : undefined;
  return text === undefined ? undefined : scrub(text, token).slice(0, 300);
}

const isFallbackStatus = (status: number) => status === 401 || status === 403 || status === 404;

function unexpected(provider: CommentProvider, reply: Reply, token: string, method: string, url: string): PlxError {
  const path = new URL(url).pathname;
  const message = serverMessage(reply, token);
  return commentFailed(provider, `${method} ${path} answered HTTP ${reply.status}${message ? `: ${message}` : ""}.`, {
    status: reply.status,
    method,
    path,
  });
}

function fallbackFor(provider: CommentProvider, reply: Reply, token: string): CommentResult {
  const message = serverMessage(reply, token);
  const why =
    provider === "github"
      ? reply.status === 401
        ? "GitHub rejected the token"
        : "the token may not write to this pull request (a pull request from a fork gets a read-only token; otherwise the job needs `permissions: pull-requests: write`)"
      : reply.status === 401
        ? "GitLab rejected PLX_GITLAB_TOKEN"
        : "PLX_GITLAB_TOKEN may not write notes on this merge request (it needs the api scope and at least the Reporter role)";
  return {
    status: "fallback",
    provider,
    httpStatus: reply.status,
    reason: `HTTP ${reply.status}${message ? ` (${message})` : ""}: ${why}.`,
  };
}

// ---- GitHub ----

/** The pull request number: `pull_request.number` (or an `issue_comment` on a PR) in the event JSON, else `refs/pull/N/merge`. */
export async function githubPullRequestNumber(
  env: Env,
  readFile: (path: string) => Promise<string> = (p) => fsReadFile(p, "utf8"),
): Promise<number | undefined> {
  if (env.GITHUB_EVENT_PATH) {
    try {
      const event = JSON.parse(await readFile(env.GITHUB_EVENT_PATH)) as {
        pull_request?: { number?: unknown };
        issue?: { number?: unknown; pull_request?: unknown };
        number?: unknown;
      };
      const candidates = [event.pull_request?.number, event.issue?.pull_request ? event.issue.number : undefined];
      for (const n of candidates) if (typeof n === "number" && Number.isInteger(n) && n > 0) return n;
    } catch {
      // An unreadable event file is treated like a missing one: fall through to GITHUB_REF.
    }
  }
  const match = /^refs\/pull\/(\d+)\/(?:merge|head)$/.exec(env.GITHUB_REF ?? "");
  return match ? Number(match[1]) : undefined;
}

interface GithubComment {
  id: number;
  body?: string | null;
  html_url?: string;
  user?: { type?: string } | null;
}

export async function upsertGithubComment(options: CommentOptions): Promise<CommentResult> {
  const { env } = options;
  const number = await githubPullRequestNumber(env, options.readFile);
  if (number === undefined)
    return {
      status: "skipped",
      provider: "github",
      reason: "this run is not for a pull request, so there is nothing to comment on",
      warning: undefined,
    };
  const repository = env.GITHUB_REPOSITORY ?? "";
  const [owner, repo, extra] = repository.split("/");
  if (!owner || !repo || extra !== undefined)
    return {
      status: "skipped",
      provider: "github",
      reason: "GITHUB_REPOSITORY is not set",
      warning: "GITHUB_REPOSITORY is not set, so plx cannot find the pull request.",
    };
  const token = env.GITHUB_TOKEN || env.GH_TOKEN;
  if (!token)
    return {
      status: "fallback",
      provider: "github",
      httpStatus: undefined,
      reason:
        "GITHUB_TOKEN is not set; give the step `env: GITHUB_TOKEN: ${{ github.token }}` and `permissions: pull-requests: write`.",
    };

  const api = (env.GITHUB_API_URL || "https://api.github.com").replace(/\/+$/, "");
  const base = `${api}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/issues`;
  const headers = {
    Authorization: `Bearer ${token}`,
    Accept: "application/vnd.github+json",
    "X-GitHub-Api-Version": GITHUB_API_VERSION,
  };
  const marker = commentMarker(options.kind, options.key);
  const { body, truncated } = composeBody(options.markdown, marker, GITHUB_COMMENT_MAX_CHARS, githubRunUrl(env));

  // Any author's comment with the marker counts, but one written by a bot (github-actions[bot], the token plx
  // normally runs with) is preferred, since a token can edit only its own comments.
  let firstMatch: GithubComment | undefined;
  let botMatch: GithubComment | undefined;
  for (let page = 1; page <= MAX_PAGES && botMatch === undefined; page += 1) {
    const url = `${base}/${number}/comments?per_page=${PAGE_SIZE}&page=${page}`;
    const reply = await send("github", options, token, headers, "GET", url);
    if (isFallbackStatus(reply.status)) return fallbackFor("github", reply, token);
    if (reply.status !== 200 || !Array.isArray(reply.json)) throw unexpected("github", reply, token, "GET", url);
    const comments = reply.json as GithubComment[];
    for (const comment of comments) {
      if (typeof comment.body !== "string" || !comment.body.includes(marker)) continue;
      firstMatch ??= comment;
      if (comment.user?.type === "Bot") {
        botMatch = comment;
        break;
      }
    }
    if (comments.length < PAGE_SIZE) break;
  }
  let existing = botMatch ?? firstMatch;

  let [method, url] = existing ? ["PATCH", `${base}/comments/${existing.id}`] : ["POST", `${base}/${number}/comments`];
  let reply = await send("github", options, token, headers, method, url, { body });
  if (reply.status === 403 && existing !== undefined && existing !== botMatch) {
    // Someone else's comment (an earlier run with a personal token): this token cannot edit it, so start its own,
    // which later runs find first.
    existing = undefined;
    [method, url] = ["POST", `${base}/${number}/comments`];
    reply = await send("github", options, token, headers, method, url, { body });
  }
  if (isFallbackStatus(reply.status)) return fallbackFor("github", reply, token);
  if (reply.status !== (existing ? 200 : 201)) throw unexpected("github", reply, token, method, url);
  const written = reply.json as GithubComment | undefined;
  return {
    status: existing ? "updated" : "created",
    provider: "github",
    id: written?.id ?? existing?.id ?? 0,
    url: written?.html_url,
    truncated,
  };
}

// ---- GitLab ----

export const GITLAB_TOKEN_MISSING_WARNING =
  "PLX_GITLAB_TOKEN is not set, so plx did not post the merge request note. A CI job token cannot write notes: add a " +
  "project access token with the api scope as a masked CI/CD variable named PLX_GITLAB_TOKEN (not protected, or merge " +
  "request pipelines will not see it).";

interface GitlabNote {
  id: number;
  body?: string | null;
  system?: boolean;
}

export async function upsertGitlabNote(options: CommentOptions): Promise<CommentResult> {
  const { env } = options;
  const iid = env.CI_MERGE_REQUEST_IID;
  if (!iid || !/^\d+$/.test(iid))
    return {
      status: "skipped",
      provider: "gitlab",
      reason: "this pipeline is not a merge request pipeline, so there is no merge request to comment on",
      warning: undefined,
    };
  const token = env.PLX_GITLAB_TOKEN;
  if (!token)
    return {
      status: "skipped",
      provider: "gitlab",
      reason: "PLX_GITLAB_TOKEN is not set",
      warning: GITLAB_TOKEN_MISSING_WARNING,
    };
  const api = env.CI_API_V4_URL?.replace(/\/+$/, "");
  // A fork's merge request pipeline runs in the fork's project, while the merge request lives in the target's.
  const project = env.CI_MERGE_REQUEST_PROJECT_ID || env.CI_PROJECT_ID;
  if (!api || !project)
    return {
      status: "skipped",
      provider: "gitlab",
      reason: "CI_API_V4_URL or CI_PROJECT_ID is not set",
      warning: "CI_API_V4_URL or CI_PROJECT_ID is not set, so plx cannot find the merge request.",
    };

  const base = `${api}/projects/${encodeURIComponent(project)}/merge_requests/${iid}/notes`;
  const headers = { "PRIVATE-TOKEN": token, Accept: "application/json" };
  const marker = commentMarker(options.kind, options.key);
  const { body, truncated } = composeBody(options.markdown, marker, GITLAB_NOTE_MAX_CHARS, gitlabJobUrl(env));

  let existing: GitlabNote | undefined;
  for (let page = 1; page <= MAX_PAGES && existing === undefined; page += 1) {
    const url = `${base}?sort=asc&order_by=created_at&per_page=${PAGE_SIZE}&page=${page}`;
    const reply = await send("gitlab", options, token, headers, "GET", url);
    if (isFallbackStatus(reply.status)) return fallbackFor("gitlab", reply, token);
    if (reply.status !== 200 || !Array.isArray(reply.json)) throw unexpected("gitlab", reply, token, "GET", url);
    const notes = reply.json as GitlabNote[];
    existing = notes.find((n) => n.system !== true && typeof n.body === "string" && n.body.includes(marker));
    const next = reply.headers.get("x-next-page");
    if (next !== null ? next === "" : notes.length < PAGE_SIZE) break;
  }

  const [method, url] = existing ? ["PUT", `${base}/${existing.id}`] : ["POST", base];
  const reply = await send("gitlab", options, token, headers, method, url, { body });
  if (isFallbackStatus(reply.status)) return fallbackFor("gitlab", reply, token);
  if (reply.status !== (existing ? 200 : 201)) throw unexpected("gitlab", reply, token, method, url);
  const written = reply.json as GitlabNote | undefined;
  const id = written?.id ?? existing?.id ?? 0;
  const mrUrl = env.CI_MERGE_REQUEST_PROJECT_URL
    ? `${env.CI_MERGE_REQUEST_PROJECT_URL}/-/merge_requests/${iid}#note_${id}`
    : undefined;
  return { status: existing ? "updated" : "created", provider: "gitlab", id, url: mrUrl, truncated };
}

/** Posts or updates the sticky comment for the CI the run is in; outside GitHub and GitLab it is skipped. */
export async function upsertStickyComment(
  provider: string | undefined,
  options: CommentOptions,
): Promise<CommentResult> {
  if (provider === "github") return upsertGithubComment(options);
  if (provider === "gitlab") return upsertGitlabNote(options);
  return {
    status: "skipped",
    provider: undefined,
    reason: "comments are posted only in GitHub Actions and GitLab CI",
    warning: "--comment has an effect only in GitHub Actions or GitLab CI; the report is printed instead.",
  };
}
