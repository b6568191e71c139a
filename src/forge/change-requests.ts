// One pull request (GitHub) or merge request (GitLab) per branch: find it, open it, update it, close it. Both forges
// behind one interface, so `plx pull --pr` reads the same on either.
import { isPlxError, plxError } from "../errors/index.js";
import { ForgeHttp, type ForgeHttpOptions } from "./http.js";
import type { ForgeKind, ForgeSettings } from "./settings.js";

export interface ChangeRequest {
  number: number;
  url: string;
  title: string;
  body: string;
}

export interface OpenInput {
  branch: string;
  base: string;
  title: string;
  body: string;
  draft: boolean;
}

export interface ChangeRequests {
  kind: ForgeKind;
  /** "pull request" or "merge request". */
  noun: string;
  /** Longest body the forge takes. */
  bodyLimit: number;
  /** The open one whose head is `branch`, if any. */
  findOpen(branch: string): Promise<ChangeRequest | undefined>;
  /** Opens one; when the forge says one is open for the branch already (a race), returns that one updated. */
  open(input: OpenInput): Promise<ChangeRequest>;
  update(number: number, change: { title: string; body: string; base: string }): Promise<ChangeRequest>;
  /** Comments, then closes. */
  close(number: number, comment: string): Promise<void>;
  addLabels(number: number, labels: readonly string[]): Promise<void>;
  /** Users, and on GitHub `org/team` for a team. */
  requestReviewers(number: number, reviewers: readonly string[]): Promise<void>;
}

/** GitHub refuses longer bodies with 422 "Body is too long". */
export const GITHUB_BODY_LIMIT = 65_536;
/** GitLab's description limit is 1,048,576 characters; stay a little under. */
export const GITLAB_BODY_LIMIT = 1_000_000;

export function changeRequestsFor(settings: ForgeSettings, options: ForgeHttpOptions = {}): ChangeRequests {
  const http = new ForgeHttp(settings, options);
  return settings.kind === "github" ? github(http, settings) : gitlab(http, settings);
}

interface GithubPull {
  number: number;
  html_url: string;
  title: string;
  body: string | null;
}

function github(http: ForgeHttp, settings: ForgeSettings): ChangeRequests {
  const repo = `/repos/${settings.repository.split("/").map(encodeURIComponent).join("/")}`;
  const owner = settings.repository.split("/")[0]!;
  const what = `repository ${settings.repository}`;
  const of = (pull: GithubPull): ChangeRequest => ({
    number: pull.number,
    url: pull.html_url,
    title: pull.title,
    body: pull.body ?? "",
  });
  const findOpen = async (branch: string) => {
    const reply = await http.request({
      method: "GET",
      path: `${repo}/pulls`,
      query: { head: `${owner}:${branch}`, state: "open", per_page: "100" },
      what,
    });
    const pull = (reply.json as GithubPull[] | undefined)?.[0];
    return pull ? of(pull) : undefined;
  };
  const update: ChangeRequests["update"] = async (number, change) =>
    of(
      (await http.request({ method: "PATCH", path: `${repo}/pulls/${number}`, body: change, what })).json as GithubPull,
    );
  return {
    kind: "github",
    noun: "pull request",
    bodyLimit: GITHUB_BODY_LIMIT,
    findOpen,
    update,
    async open(input) {
      const reply = await http.request({
        method: "POST",
        path: `${repo}/pulls`,
        body: {
          title: input.title,
          head: input.branch,
          base: input.base,
          body: input.body,
          draft: input.draft,
          maintainer_can_modify: false,
        },
        expect: [422],
        what,
      });
      if (reply.status !== 422) return of(reply.json as GithubPull);
      // "A pull request already exists for acme:plx/promptlayer": another run opened it first. Use that one.
      const existing = await findOpen(input.branch);
      if (!existing) throw refused("github", "POST", `${repo}/pulls`, reply.json);
      return update(existing.number, { title: input.title, body: input.body, base: input.base });
    },
    async close(number, comment) {
      await http.request({
        method: "POST",
        path: `${repo}/issues/${number}/comments`,
        body: { body: comment },
        idempotent: false,
        what,
      });
      await http.request({ method: "PATCH", path: `${repo}/pulls/${number}`, body: { state: "closed" }, what });
    },
    async addLabels(number, labels) {
      if (labels.length === 0) return;
      await http.request({
        method: "POST",
        path: `${repo}/issues/${number}/labels`,
        body: { labels },
        idempotent: true,
        what,
      });
    },
    async requestReviewers(number, reviewers) {
      if (reviewers.length === 0) return;
      const teams = reviewers.filter((reviewer) => reviewer.includes("/")).map((team) => team.split("/").pop()!);
      const users = reviewers.filter((reviewer) => !reviewer.includes("/"));
      await http.request({
        method: "POST",
        path: `${repo}/pulls/${number}/requested_reviewers`,
        body: { reviewers: users, team_reviewers: teams },
        idempotent: true,
        what,
      });
    },
  };
}

interface GitlabMergeRequest {
  iid: number;
  web_url: string;
  title: string;
  description: string | null;
}

function gitlab(http: ForgeHttp, settings: ForgeSettings): ChangeRequests {
  const project = `/projects/${encodeURIComponent(settings.repository)}`;
  const what = `project ${settings.repository}`;
  const of = (mr: GitlabMergeRequest): ChangeRequest => ({
    number: mr.iid,
    url: mr.web_url,
    title: mr.title,
    body: mr.description ?? "",
  });
  const findOpen = async (branch: string) => {
    const reply = await http.request({
      method: "GET",
      path: `${project}/merge_requests`,
      query: { source_branch: branch, state: "opened", per_page: "100" },
      what,
    });
    const mr = (reply.json as GitlabMergeRequest[] | undefined)?.[0];
    return mr ? of(mr) : undefined;
  };
  const update: ChangeRequests["update"] = async (number, change) =>
    of(
      (
        await http.request({
          method: "PUT",
          path: `${project}/merge_requests/${number}`,
          body: { title: change.title, description: change.body, target_branch: change.base },
          what,
        })
      ).json as GitlabMergeRequest,
    );
  return {
    kind: "gitlab",
    noun: "merge request",
    bodyLimit: GITLAB_BODY_LIMIT,
    findOpen,
    update,
    async open(input) {
      const title = input.draft && !/^draft:/i.test(input.title) ? `Draft: ${input.title}` : input.title;
      const reply = await http.request({
        method: "POST",
        path: `${project}/merge_requests`,
        body: {
          source_branch: input.branch,
          target_branch: input.base,
          title,
          description: input.body,
          remove_source_branch: true,
        },
        expect: [409],
        what,
      });
      if (reply.status !== 409) return of(reply.json as GitlabMergeRequest);
      // "Another open merge request already exists for this source branch": use it.
      const existing = await findOpen(input.branch);
      if (!existing) throw refused("gitlab", "POST", `${project}/merge_requests`, reply.json);
      return update(existing.number, { title, body: input.body, base: input.base });
    },
    async close(number, comment) {
      await http.request({
        method: "POST",
        path: `${project}/merge_requests/${number}/notes`,
        body: { body: comment },
        idempotent: false,
        what,
      });
      await http.request({
        method: "PUT",
        path: `${project}/merge_requests/${number}`,
        body: { state_event: "close" },
        what,
      });
    },
    async addLabels(number, labels) {
      if (labels.length === 0) return;
      await http.request({
        method: "PUT",
        path: `${project}/merge_requests/${number}`,
        body: { add_labels: labels.join(",") },
        what,
      });
    },
    async requestReviewers(number, reviewers) {
      if (reviewers.length === 0) return;
      // GitLab wants user ids; look each username up.
      const ids = await Promise.all(
        reviewers.map(async (username) => {
          const reply = await http.request({
            method: "GET",
            path: "/users",
            query: { username },
            what: `user ${username}`,
          });
          const id = (reply.json as Array<{ id: number }> | undefined)?.[0]?.id;
          if (id === undefined) throw plxError("FORGE.NOT_FOUND", { forge: "gitlab", what: `user ${username}` });
          return id;
        }),
      );
      await http.request({
        method: "PUT",
        path: `${project}/merge_requests/${number}`,
        body: { reviewer_ids: ids },
        what,
      });
    },
  };
}

function refused(forge: ForgeKind, method: string, path: string, json: unknown) {
  const message = (json as { message?: unknown } | undefined)?.message;
  return plxError("FORGE.REFUSED", {
    forge,
    method,
    path,
    status: forge === "github" ? 422 : 409,
    message: typeof message === "string" ? message : JSON.stringify(message ?? json ?? ""),
  });
}

/** Whether an error is the forge's, rather than plx's or the network's own. */
export const isForgeError = (error: unknown): boolean => isPlxError(error) && error.code.startsWith("FORGE.");
