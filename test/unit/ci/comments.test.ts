import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  GITHUB_COMMENT_MAX_CHARS,
  GITLAB_TOKEN_MISSING_WARNING,
  commentMarker,
  composeBody,
  githubPullRequestNumber,
  upsertGithubComment,
  upsertGitlabNote,
  upsertStickyComment,
} from "../../../src/ci/comments.js";
import { isPlxError } from "../../../src/errors/index.js";
import { type FakeForge, fakeForge } from "../../support/fake-forge.js";

const GH_TOKEN = "ghs_faketoken1234567890abcdefABCDEF";
const GL_TOKEN = "glpat-faketoken1234567890";

let forge: FakeForge | undefined;
afterEach(async () => {
  await forge?.close();
  forge = undefined;
});

const githubEnv = (url: string, extra: Record<string, string> = {}) => ({
  GITHUB_ACTIONS: "true",
  GITHUB_API_URL: `${url}/api/v3`,
  GITHUB_REPOSITORY: "acme/prompts",
  GITHUB_REF: "refs/pull/7/merge",
  GITHUB_TOKEN: GH_TOKEN,
  GITHUB_SERVER_URL: "https://github.example",
  GITHUB_RUN_ID: "99",
  ...extra,
});

const gitlabEnv = (url: string, extra: Record<string, string> = {}) => ({
  GITLAB_CI: "true",
  CI_API_V4_URL: `${url}/api/v4`,
  CI_PROJECT_ID: "42",
  CI_MERGE_REQUEST_IID: "3",
  PLX_GITLAB_TOKEN: GL_TOKEN,
  CI_MERGE_REQUEST_PROJECT_URL: "https://gitlab.example/acme/prompts",
  ...extra,
});

describe("markers and bodies", () => {
  it("builds hidden markers that cannot close early", () => {
    expect(commentMarker("diff")).toBe("<!-- plx:diff -->");
    expect(commentMarker("eval-report", "support/triage")).toBe("<!-- plx:eval-report:support/triage -->");
    expect(commentMarker("x-->", "a b")).toBe("<!-- plx:x-_:a_b -->");
  });

  it("appends the marker and truncates long bodies with a link", () => {
    expect(composeBody("hello\n\n", "<!-- m -->", 100)).toEqual({ body: "hello\n\n<!-- m -->", truncated: false });
    const { body, truncated } = composeBody(
      "x".repeat(200_000),
      "<!-- plx:diff -->",
      GITHUB_COMMENT_MAX_CHARS,
      "https://run",
    );
    expect(truncated).toBe(true);
    expect(body.length).toBeLessThanOrEqual(GITHUB_COMMENT_MAX_CHARS);
    expect(body.endsWith("\n\n<!-- plx:diff -->")).toBe(true);
    expect(body).toContain("[job log](https://run)");
  });

  it("does not split a surrogate pair when truncating", () => {
    const { body } = composeBody("😀".repeat(100), "<!-- m -->", 150);
    expect(body).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
});

describe("pull request number", () => {
  it("reads pull_request.number from the event file, else GITHUB_REF", async () => {
    const dir = await mkdtemp(join(tmpdir(), "plx-ev-"));
    try {
      const path = join(dir, "event.json");
      await writeFile(path, JSON.stringify({ pull_request: { number: 31 } }));
      expect(await githubPullRequestNumber({ GITHUB_EVENT_PATH: path, GITHUB_REF: "refs/pull/5/merge" })).toBe(31);
      await writeFile(path, JSON.stringify({ issue: { number: 8, pull_request: { url: "x" } } }));
      expect(await githubPullRequestNumber({ GITHUB_EVENT_PATH: path })).toBe(8);
      await writeFile(path, JSON.stringify({ ref: "refs/heads/main" }));
      expect(await githubPullRequestNumber({ GITHUB_EVENT_PATH: path, GITHUB_REF: "refs/pull/5/merge" })).toBe(5);
      expect(await githubPullRequestNumber({ GITHUB_EVENT_PATH: join(dir, "missing.json") })).toBeUndefined();
      expect(await githubPullRequestNumber({ GITHUB_REF: "refs/heads/main" })).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("GitHub sticky comment", () => {
  const server = () => fakeForge("github", { token: GH_TOKEN, owner: "acme", repo: "prompts", number: 7 });

  it("creates the comment, then updates the same one", async () => {
    forge = await server();
    const env = githubEnv(forge.url);
    const first = await upsertGithubComment({ env, kind: "diff", markdown: "### plx diff\n1 change" });
    expect(first).toEqual({
      status: "created",
      provider: "github",
      id: 1000,
      url: "https://github.example/c/1000",
      truncated: false,
    });

    const second = await upsertGithubComment({ env, kind: "diff", markdown: "### plx diff\n2 changes" });
    expect(second).toMatchObject({ status: "updated", id: 1000 });
    expect(forge.comments).toHaveLength(1);
    expect(forge.comments[0]!.body).toBe("### plx diff\n2 changes\n\n<!-- plx:diff -->");

    const calls = forge.requests.map((r) => `${r.method} ${r.path}?${r.query}`);
    expect(calls).toEqual([
      "GET /api/v3/repos/acme/prompts/issues/7/comments?per_page=100&page=1",
      "POST /api/v3/repos/acme/prompts/issues/7/comments?",
      "GET /api/v3/repos/acme/prompts/issues/7/comments?per_page=100&page=1",
      "PATCH /api/v3/repos/acme/prompts/issues/comments/1000?",
    ]);
    for (const request of forge.requests) {
      expect(request.headers.authorization).toBe(`Bearer ${GH_TOKEN}`);
      expect(request.headers.accept).toBe("application/vnd.github+json");
      expect(request.headers["x-github-api-version"]).toBe("2022-11-28");
      if (request.method !== "GET") {
        expect(request.headers["content-type"]).toBe("application/json");
        expect(Object.keys(JSON.parse(request.body))).toEqual(["body"]);
      }
    }
  });

  it("paginates to find the marker and keeps kinds apart", async () => {
    forge = await server();
    for (let i = 0; i < 150; i += 1)
      forge.comments.push({ id: i + 1, body: `chatter ${i}`, user: { login: "dev", type: "User" } });
    forge.comments.push({
      id: 500,
      body: "old\n\n<!-- plx:eval-report -->",
      user: { login: "github-actions[bot]", type: "Bot" },
    });
    forge.comments.push({
      id: 501,
      body: "old\n\n<!-- plx:diff -->",
      user: { login: "github-actions[bot]", type: "Bot" },
    });
    const result = await upsertGithubComment({ env: githubEnv(forge.url), kind: "diff", markdown: "new" });
    expect(result).toMatchObject({ status: "updated", id: 501 });
    expect(forge.requests.filter((r) => r.method === "GET").map((r) => r.query.get("page"))).toEqual(["1", "2"]);
    expect(forge.comments.find((c) => c.id === 500)!.body).toContain("old");
  });

  it("prefers a bot's marked comment over a person's", async () => {
    forge = await server();
    forge.comments.push({ id: 1, body: "quoted <!-- plx:diff -->", user: { login: "dev", type: "User" } });
    forge.comments.push({ id: 2, body: "<!-- plx:diff -->", user: { login: "github-actions[bot]", type: "Bot" } });
    expect(await upsertGithubComment({ env: githubEnv(forge.url), kind: "diff", markdown: "x" })).toMatchObject({
      status: "updated",
      id: 2,
    });
  });

  it("starts its own comment when the only marked one is a person's, which its token cannot edit", async () => {
    forge = await server();
    forge.comments.push({
      id: 1,
      body: "<!-- plx:diff --> posted with a personal token",
      user: { login: "dev", type: "User" },
    });
    expect(await upsertGithubComment({ env: githubEnv(forge.url), kind: "diff", markdown: "x" })).toMatchObject({
      status: "created",
      id: 1000,
    });
    expect(forge.requests.map((r) => r.method)).toEqual(["GET", "PATCH", "POST"]);
    expect(await upsertGithubComment({ env: githubEnv(forge.url), kind: "diff", markdown: "y" })).toMatchObject({
      status: "updated",
      id: 1000,
    });
    expect(forge.comments.find((c) => c.id === 1)!.body).toContain("posted with a personal token");
  });

  it("falls back on 403 (fork pull request) without throwing", async () => {
    forge = await server();
    forge.failWith = { status: 403, body: { message: "Resource not accessible by integration" } };
    const result = await upsertGithubComment({ env: githubEnv(forge.url), kind: "diff", markdown: "x" });
    expect(result).toMatchObject({ status: "fallback", provider: "github", httpStatus: 403 });
    expect(result.status === "fallback" && result.reason).toContain("fork");
    expect(JSON.stringify(result)).not.toContain(GH_TOKEN);
  });

  it("falls back when there is no token and skips outside pull requests", async () => {
    expect(
      await upsertGithubComment({
        env: { GITHUB_REPOSITORY: "a/b", GITHUB_REF: "refs/pull/1/merge" },
        kind: "diff",
        markdown: "x",
      }),
    ).toMatchObject({
      status: "fallback",
    });
    expect(
      await upsertGithubComment({
        env: { GITHUB_REPOSITORY: "a/b", GITHUB_REF: "refs/heads/main", GITHUB_TOKEN: GH_TOKEN },
        kind: "diff",
        markdown: "x",
      }),
    ).toMatchObject({
      status: "skipped",
      warning: undefined,
    });
  });

  it("throws a PlxError without the token for other failures", async () => {
    forge = await server();
    forge.failWith = { status: 500, body: { message: `boom, token was ${GH_TOKEN}` } };
    const error = await upsertGithubComment({ env: githubEnv(forge.url), kind: "diff", markdown: "x" }).catch(
      (e: unknown) => e,
    );
    expect(isPlxError(error)).toBe(true);
    const text = JSON.stringify(error) + String((error as Error).message);
    expect(text).toContain("HTTP 500");
    expect(text).not.toContain(GH_TOKEN);
  });

  it("throws a PlxError without the token when the network fails", async () => {
    const error = await upsertGithubComment({
      env: githubEnv("http://127.0.0.1:1"),
      kind: "diff",
      markdown: "x",
      fetch: async () => {
        throw new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } });
      },
    }).catch((e: unknown) => e);
    expect(isPlxError(error) && error.code).toBe("CI.COMMENT_FAILED");
    expect((error as Error).message).toContain("ECONNREFUSED");
    expect((error as Error).message).not.toContain(GH_TOKEN);
  });

  it("truncates bodies GitHub would refuse", async () => {
    forge = await server();
    const result = await upsertGithubComment({
      env: githubEnv(forge.url),
      kind: "diff",
      markdown: "y".repeat(100_000),
    });
    expect(result).toMatchObject({ status: "created", truncated: true });
    expect(forge.comments[0]!.body).toContain("https://github.example/acme/prompts/actions/runs/99");
  });
});

describe("GitLab sticky note", () => {
  const server = () => fakeForge("gitlab", { token: GL_TOKEN, project: "42", iid: 3 });

  it("creates the note, then updates the same one", async () => {
    forge = await server();
    forge.comments.push({ id: 1, body: "<!-- plx:diff --> mentioned by the system", system: true });
    const env = gitlabEnv(forge.url);
    expect(await upsertGitlabNote({ env, kind: "diff", markdown: "one" })).toEqual({
      status: "created",
      provider: "gitlab",
      id: 1000,
      url: "https://gitlab.example/acme/prompts/-/merge_requests/3#note_1000",
      truncated: false,
    });
    expect(await upsertGitlabNote({ env, kind: "diff", markdown: "two" })).toMatchObject({
      status: "updated",
      id: 1000,
    });
    expect(forge.comments.find((c) => c.id === 1000)!.body).toBe("two\n\n<!-- plx:diff -->");
    expect(forge.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /api/v4/projects/42/merge_requests/3/notes",
      "POST /api/v4/projects/42/merge_requests/3/notes",
      "GET /api/v4/projects/42/merge_requests/3/notes",
      "PUT /api/v4/projects/42/merge_requests/3/notes/1000",
    ]);
    const list = forge.requests[0]!;
    expect(Object.fromEntries(list.query)).toEqual({ sort: "asc", order_by: "created_at", per_page: "100", page: "1" });
    for (const request of forge.requests) {
      expect(request.headers["private-token"]).toBe(GL_TOKEN);
      expect(request.headers.authorization).toBeUndefined();
    }
    expect(JSON.parse(forge.requests[1]!.body)).toEqual({ body: "one\n\n<!-- plx:diff -->" });
  });

  it("follows x-next-page", async () => {
    forge = await server();
    for (let i = 0; i < 120; i += 1) forge.comments.push({ id: i + 1, body: `note ${i}` });
    forge.comments.push({ id: 900, body: "<!-- plx:eval-report:triage -->" });
    expect(
      await upsertGitlabNote({ env: gitlabEnv(forge.url), kind: "eval-report", key: "triage", markdown: "z" }),
    ).toMatchObject({ status: "updated", id: 900 });
  });

  it("skips with a warning when there is no token, and without one outside MR pipelines", async () => {
    const noToken = await upsertGitlabNote({
      env: { CI_MERGE_REQUEST_IID: "3", CI_API_V4_URL: "http://x", CI_PROJECT_ID: "1" },
      kind: "diff",
      markdown: "x",
    });
    expect(noToken).toEqual({
      status: "skipped",
      provider: "gitlab",
      reason: "PLX_GITLAB_TOKEN is not set",
      warning: GITLAB_TOKEN_MISSING_WARNING,
    });
    const noMr = await upsertGitlabNote({ env: { PLX_GITLAB_TOKEN: GL_TOKEN }, kind: "diff", markdown: "x" });
    expect(noMr).toMatchObject({ status: "skipped", warning: undefined });
  });

  it("writes to the target project of a fork's merge request", async () => {
    forge = await server();
    const result = await upsertGitlabNote({
      env: gitlabEnv(forge.url, { CI_PROJECT_ID: "77", CI_MERGE_REQUEST_PROJECT_ID: "42" }),
      kind: "diff",
      markdown: "x",
    });
    expect(result).toMatchObject({ status: "created" });
    expect(forge.requests.map((r) => r.path)).toContain("/api/v4/projects/42/merge_requests/3/notes");
  });

  it("falls back on 403", async () => {
    forge = await server();
    forge.failWith = { status: 403, body: { message: "403 Forbidden" } };
    const result = await upsertGitlabNote({ env: gitlabEnv(forge.url), kind: "diff", markdown: "x" });
    expect(result).toMatchObject({ status: "fallback", provider: "gitlab", httpStatus: 403 });
    expect(JSON.stringify(result)).not.toContain(GL_TOKEN);
  });
});

describe("provider dispatch", () => {
  it("skips outside GitHub and GitLab", async () => {
    expect(await upsertStickyComment(undefined, { env: {}, kind: "diff", markdown: "x" })).toMatchObject({
      status: "skipped",
      provider: undefined,
    });
  });
});
