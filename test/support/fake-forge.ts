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
