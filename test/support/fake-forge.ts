// In-memory GitHub issue-comments and GitLab MR-notes APIs on node:http, strict about what the docs require.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  body: string;
}

export interface Stored {
  id: number;
  body: string;
  user?: { login: string; type: string };
  author?: { username: string };
  system?: boolean;
}

export interface FakeForge {
  url: string;
  requests: Seen[];
  comments: Stored[];
  /** Makes every request answer this status (e.g. 403 for a fork). */
  failWith: { status: number; body: unknown } | undefined;
  close(): Promise<void>;
}

const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(body === undefined ? "" : JSON.stringify(body));
};

export async function fakeForge(
  kind: "github" | "gitlab",
  options: { token: string; owner?: string; repo?: string; number?: number; project?: string; iid?: number },
): Promise<FakeForge> {
  const requests: Seen[] = [];
  const state: FakeForge = { url: "", requests, comments: [], failWith: undefined, close: async () => {} };
  let nextId = 1000;

  const server = createServer(async (req, res) => {
    const { seen, url } = await record(req);
    requests.push(seen);
    if (state.failWith) return send(res, state.failWith.status, state.failWith.body);

    if (kind === "github") {
      if (req.headers.authorization !== `Bearer ${options.token}`)
        return send(res, 401, { message: "Bad credentials" });
      if (req.headers.accept !== "application/vnd.github+json") return send(res, 415, { message: "bad accept" });
      if (req.headers["x-github-api-version"] !== "2022-11-28") return send(res, 400, { message: "bad version" });
      const base = `/api/v3/repos/${options.owner}/${options.repo}/issues`;
      if (req.method === "GET" && url.pathname === `${base}/${options.number}/comments`) {
        const perPage = Number(url.searchParams.get("per_page") ?? 30);
        const page = Number(url.searchParams.get("page") ?? 1);
        return send(res, 200, state.comments.slice((page - 1) * perPage, page * perPage));
      }
      if (req.method === "POST" && url.pathname === `${base}/${options.number}/comments`) {
        if (req.headers["content-type"] !== "application/json") return send(res, 415, { message: "json please" });
        const { body } = JSON.parse(seen.body) as { body: string };
        if (body.length > 65_536) return send(res, 422, { message: "Body is too long" });
        const comment = { id: nextId++, body, user: { login: "github-actions[bot]", type: "Bot" } };
        state.comments.push(comment);
        return send(res, 201, { ...comment, html_url: `https://github.example/c/${comment.id}` });
      }
      const patch = new RegExp(`^${base}/comments/(\\d+)$`).exec(url.pathname);
      if (req.method === "PATCH" && patch) {
        const comment = state.comments.find((c) => c.id === Number(patch[1]));
        if (!comment) return send(res, 404, { message: "Not Found" });
        // The token acts as github-actions[bot], which may edit only its own comments.
        if (comment.user?.login !== "github-actions[bot]")
          return send(res, 403, { message: "Resource not accessible by integration" });
        comment.body = (JSON.parse(seen.body) as { body: string }).body;
        return send(res, 200, { ...comment, html_url: `https://github.example/c/${comment.id}` });
      }
      return send(res, 404, { message: "Not Found" });
    }

    if (req.headers["private-token"] !== options.token) return send(res, 401, { message: "401 Unauthorized" });
    const base = `/api/v4/projects/${options.project}/merge_requests/${options.iid}/notes`;
    if (req.method === "GET" && url.pathname === base) {
      const perPage = Number(url.searchParams.get("per_page") ?? 20);
      const page = Number(url.searchParams.get("page") ?? 1);
      const more = page * perPage < state.comments.length;
      return send(res, 200, state.comments.slice((page - 1) * perPage, page * perPage), {
        "x-next-page": more ? String(page + 1) : "",
      });
    }
    if (req.method === "POST" && url.pathname === base) {
      const { body } = JSON.parse(seen.body) as { body: string };
      const note = { id: nextId++, body, author: { username: "project_1_bot" }, system: false };
      state.comments.push(note);
      return send(res, 201, note);
    }
    const put = new RegExp(`^${base}/(\\d+)$`).exec(url.pathname);
    if (req.method === "PUT" && put) {
      const note = state.comments.find((c) => c.id === Number(put[1]));
      if (!note) return send(res, 404, { message: "404 Not found" });
      note.body = (JSON.parse(seen.body) as { body: string }).body;
      return send(res, 200, note);
    }
    return send(res, 404, { message: "404 Not found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

// ---- Pull requests, merge requests, dispatches and pipeline triggers ----

export interface FakeChangeRequest {
  number: number;
  title: string;
  body: string;
  head: string;
  base: string;
  state: "open" | "closed";
  draft: boolean;
  labels: string[];
  reviewers: string[];
  comments: string[];
}

export interface FakeForgeHost {
  url: string;
  /** What a client sets as GITHUB_API_URL or CI_API_V4_URL. */
  apiUrl: string;
  requests: Seen[];
  requestsTo(method: string, pathPattern: RegExp): Seen[];
  changeRequests: FakeChangeRequest[];
  /** repository_dispatch bodies (GitHub) or pipeline-trigger forms (GitLab), in order. */
  dispatches: Array<Record<string, unknown>>;
  /** The next `count` requests (with `method`, when given) answer `status`; then the fake behaves again. */
  failNext(status: number, count?: number, method?: string): void;
  close(): Promise<void>;
}

const GITHUB_USERS = new Set(["octocat", "reviewer-1"]);
const GITLAB_USERS = new Map([
  ["alice", 11],
  ["bob", 12],
]);

/**
 * GitHub's pulls, issue comments, labels, reviewers and dispatches (under /api/v3, as on GitHub Enterprise), or
 * GitLab's merge requests, notes, users and pipeline triggers (under /api/v4), with the rules plx must respect: one
 * open request per branch, body size limits, client_payload limits, the token and the API version header.
 */
export async function fakeForgeHost(
  kind: "github" | "gitlab",
  options: { token: string; repository: string; triggerToken?: string },
): Promise<FakeForgeHost> {
  const requests: Seen[] = [];
  const changeRequests: FakeChangeRequest[] = [];
  const dispatches: Array<Record<string, unknown>> = [];
  const failures: Array<{ status: number; method?: string }> = [];
  const prefix = kind === "github" ? "/api/v3" : "/api/v4";

  const server = createServer(async (req, res) => {
    const { seen, url } = await record(req);
    requests.push(seen);
    const failing = failures.findIndex((failure) => failure.method === undefined || failure.method === req.method);
    if (failing >= 0) {
      const [failure] = failures.splice(failing, 1);
      return send(res, failure!.status, { message: `injected ${failure!.status}` });
    }
    const path = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : url.pathname;
    const body = (): any => (seen.body === "" ? {} : JSON.parse(seen.body));
    if (kind === "github") return github(req.method ?? "", path, url.searchParams, req.headers, body, res);
    return gitlab(req.method ?? "", path, url.searchParams, req.headers, seen.body, body, res);
  });

  function github(
    method: string,
    path: string,
    query: URLSearchParams,
    headers: IncomingMessage["headers"],
    body: () => any,
    res: ServerResponse,
  ) {
    if (headers.authorization !== `Bearer ${options.token}`) return send(res, 401, { message: "Bad credentials" });
    if (headers.accept !== "application/vnd.github+json") return send(res, 415, { message: "bad accept" });
    if (headers["x-github-api-version"] !== "2022-11-28") return send(res, 400, { message: "bad version" });
    const repo = `/repos/${options.repository}`;
    const owner = options.repository.split("/")[0];
    const asJson = (pr: FakeChangeRequest) => ({
      number: pr.number,
      html_url: `https://github.example/${options.repository}/pull/${pr.number}`,
      title: pr.title,
      body: pr.body,
      state: pr.state,
      draft: pr.draft,
      head: { ref: pr.head },
      base: { ref: pr.base },
    });
    if (!path.startsWith(repo)) return send(res, 404, { message: "Not Found" });
    const rest = path.slice(repo.length);
    if (method === "POST" && rest === "/dispatches") {
      const sent = body();
      if (typeof sent.event_type !== "string" || sent.event_type.length > 100)
        return send(res, 422, { message: "event_type invalid" });
      const payload = sent.client_payload ?? {};
      if (Object.keys(payload).length > 10) return send(res, 422, { message: "client_payload has too many keys" });
      if (Buffer.byteLength(JSON.stringify(payload)) >= 64 * 1024) return send(res, 422, { message: "too large" });
      dispatches.push(sent);
      res.writeHead(204).end();
      return;
    }
    if (method === "GET" && rest === "/pulls") {
      const head = query.get("head");
      const state = query.get("state") ?? "open";
      return send(
        res,
        200,
        changeRequests
          .filter((pr) => `${owner}:${pr.head}` === head && (state === "all" || pr.state === state))
          .map(asJson),
      );
    }
    if (method === "POST" && rest === "/pulls") {
      const sent = body();
      if (String(sent.body ?? "").length > 65_536) return send(res, 422, { message: "Body is too long" });
      if (changeRequests.some((pr) => pr.head === sent.head && pr.state === "open"))
        return send(res, 422, { message: `A pull request already exists for ${owner}:${sent.head}.` });
      const pr: FakeChangeRequest = {
        number: changeRequests.length + 1,
        title: sent.title,
        body: sent.body ?? "",
        head: sent.head,
        base: sent.base,
        state: "open",
        draft: Boolean(sent.draft),
        labels: [],
        reviewers: [],
        comments: [],
      };
      changeRequests.push(pr);
      return send(res, 201, asJson(pr));
    }
    const match = /^\/(pulls|issues)\/(\d+)(\/[a-z_]+)?$/.exec(rest);
    const pr = match ? changeRequests.find((candidate) => candidate.number === Number(match[2])) : undefined;
    if (!match || !pr) return send(res, 404, { message: "Not Found" });
    const [, collection, , sub] = match;
    if (method === "PATCH" && collection === "pulls" && !sub) {
      const sent = body();
      if (sent.body !== undefined && String(sent.body).length > 65_536)
        return send(res, 422, { message: "Body is too long" });
      if (sent.title !== undefined) pr.title = sent.title;
      if (sent.body !== undefined) pr.body = sent.body;
      if (sent.base !== undefined) pr.base = sent.base;
      if (sent.state === "closed" || sent.state === "open") pr.state = sent.state;
      return send(res, 200, asJson(pr));
    }
    if (method === "POST" && collection === "issues" && sub === "/comments") {
      pr.comments.push(body().body);
      return send(res, 201, { id: pr.comments.length });
    }
    if (method === "POST" && collection === "issues" && sub === "/labels") {
      for (const label of body().labels as string[]) if (!pr.labels.includes(label)) pr.labels.push(label);
      return send(
        res,
        200,
        pr.labels.map((name) => ({ name })),
      );
    }
    if (method === "POST" && collection === "pulls" && sub === "/requested_reviewers") {
      const { reviewers = [] } = body() as { reviewers?: string[] };
      const unknown = reviewers.find((login) => !GITHUB_USERS.has(login));
      if (unknown) return send(res, 422, { message: `Reviews may only be requested from collaborators: ${unknown}` });
      pr.reviewers.push(...reviewers);
      return send(res, 201, asJson(pr));
    }
    return send(res, 404, { message: "Not Found" });
  }

  function gitlab(
    method: string,
    path: string,
    query: URLSearchParams,
    headers: IncomingMessage["headers"],
    raw: string,
    body: () => any,
    res: ServerResponse,
  ) {
    const project = `/projects/${encodeURIComponent(options.repository)}`;
    if (method === "POST" && path === `${project}/trigger/pipeline`) {
      const form = new URLSearchParams(raw);
      if (form.get("token") !== options.triggerToken) return send(res, 404, { message: "404 Not Found" });
      dispatches.push(Object.fromEntries(form));
      return send(res, 201, { id: dispatches.length, ref: form.get("ref") });
    }
    if (headers["private-token"] !== options.token) return send(res, 401, { message: "401 Unauthorized" });
    const asJson = (mr: FakeChangeRequest) => ({
      iid: mr.number,
      web_url: `https://gitlab.example/${options.repository}/-/merge_requests/${mr.number}`,
      title: mr.title,
      description: mr.body,
      state: mr.state === "open" ? "opened" : "closed",
      source_branch: mr.head,
      target_branch: mr.base,
      labels: mr.labels,
    });
    if (method === "GET" && path === "/users") {
      const id = GITLAB_USERS.get(query.get("username") ?? "");
      return send(res, 200, id === undefined ? [] : [{ id, username: query.get("username") }]);
    }
    if (!path.startsWith(project)) return send(res, 404, { message: "404 Project Not Found" });
    const rest = path.slice(project.length);
    if (method === "GET" && rest === "/merge_requests") {
      const state = query.get("state");
      return send(
        res,
        200,
        changeRequests
          .filter((mr) => mr.head === query.get("source_branch") && (state !== "opened" || mr.state === "open"))
          .map(asJson),
      );
    }
    if (method === "POST" && rest === "/merge_requests") {
      const sent = body();
      if (changeRequests.some((mr) => mr.head === sent.source_branch && mr.state === "open"))
        return send(res, 409, { message: ["Another open merge request already exists for this source branch: !1"] });
      const mr: FakeChangeRequest = {
        number: changeRequests.length + 1,
        title: sent.title,
        body: sent.description ?? "",
        head: sent.source_branch,
        base: sent.target_branch,
        state: "open",
        draft: /^draft:/i.test(sent.title),
        labels: [],
        reviewers: [],
        comments: [],
      };
      changeRequests.push(mr);
      return send(res, 201, asJson(mr));
    }
    const match = /^\/merge_requests\/(\d+)(\/notes)?$/.exec(rest);
    const mr = match ? changeRequests.find((candidate) => candidate.number === Number(match[1])) : undefined;
    if (!match || !mr) return send(res, 404, { message: "404 Not found" });
    if (method === "POST" && match[2]) {
      mr.comments.push(body().body);
      return send(res, 201, { id: mr.comments.length });
    }
    if (method === "PUT" && !match[2]) {
      const sent = body();
      if (sent.description !== undefined && String(sent.description).length > 1_048_576)
        return send(res, 400, { message: "description is too long" });
      if (sent.title !== undefined) mr.title = sent.title;
      if (sent.description !== undefined) mr.body = sent.description;
      if (sent.target_branch !== undefined) mr.base = sent.target_branch;
      if (sent.state_event === "close") mr.state = "closed";
      if (sent.add_labels !== undefined)
        for (const label of String(sent.add_labels).split(",")) if (!mr.labels.includes(label)) mr.labels.push(label);
      if (Array.isArray(sent.reviewer_ids)) mr.reviewers = sent.reviewer_ids.map(String);
      return send(res, 200, asJson(mr));
    }
    return send(res, 404, { message: "404 Not found" });
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    apiUrl: `${url}${prefix}`,
    requests,
    requestsTo: (method, pattern) => requests.filter((r) => r.method === method && pattern.test(r.path)),
    changeRequests,
    dispatches,
    failNext(status, count = 1, method) {
      for (let i = 0; i < count; i++) failures.push({ status, ...(method ? { method } : {}) });
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
/** A request as the fakes record it, body read whole. */
async function record(req: IncomingMessage): Promise<{ seen: Seen; url: URL }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const url = new URL(req.url ?? "/", "http://x");
  const seen: Seen = {
    method: req.method ?? "",
    path: url.pathname,
    query: url.searchParams,
    headers: req.headers,
    body: Buffer.concat(chunks).toString("utf8"),
  };
  return { seen, url };
}
