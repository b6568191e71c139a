// The proposal as a value: which templates changed and how, and the words for the pull request and the commit.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AgentLockEntry, Lockfile, LockEntry } from "../../../src/core/lock.js";
import { commitMessage, PR_MARKER, proposalBody, proposalTitle } from "../../../src/pull-request/body.js";
import {
  changeKey,
  splitDiff,
  type TemplateChange,
  templateChanges,
  versionsToDescribe,
} from "../../../src/pull-request/changes.js";

const entry = (id: number, path: string, version: number, extra: Partial<LockEntry> = {}): LockEntry => ({
  id,
  path,
  version,
  hash: `sha256:${id}-${version}`,
  labels: {},
  snippets: [],
  ...extra,
});
const lock = (templates: Record<string, LockEntry>): Lockfile => ({
  lockfileVersion: 1,
  labels: [],
  templates,
  agents: {},
});

describe("templateChanges", () => {
  it("tells new versions, renames, folder moves, creations, deletions and label moves apart", () => {
    const before = lock({
      tone: entry(1, "prompts/tone.prompt.yaml", 1),
      reply: entry(2, "prompts/reply.prompt.yaml", 3, { labels: { prod: 3 }, snippets: ["tone"] }),
      old: entry(3, "prompts/old.prompt.yaml", 1),
      moving: entry(4, "prompts/moving.prompt.yaml", 1),
      quiet: entry(6, "prompts/quiet.prompt.yaml", 1, { labels: { prod: 1 } }),
    });
    const after = lock({
      tone: entry(1, "prompts/tone.prompt.yaml", 2),
      answer: entry(2, "prompts/answer.prompt.yaml", 5, { labels: { prod: 5, staging: 5 }, snippets: ["tone"] }),
      moving: entry(4, "prompts/support/moving.prompt.yaml", 1, { hash: "sha256:4-1" }),
      fresh: entry(5, "prompts/fresh.prompt.yaml", 1),
      quiet: entry(6, "prompts/quiet.prompt.yaml", 2, { hash: "sha256:6-1", labels: { prod: 2 } }),
    });
    const changes = templateChanges({
      before,
      after,
      files: [
        { status: "M", path: "prompts/tone.prompt.yaml" },
        { status: "R", path: "prompts/answer.prompt.yaml", previousPath: "prompts/reply.prompt.yaml" },
        { status: "D", path: "prompts/old.prompt.yaml" },
        { status: "R", path: "prompts/support/moving.prompt.yaml", previousPath: "prompts/moving.prompt.yaml" },
        { status: "A", path: "prompts/fresh.prompt.yaml" },
        { status: "M", path: "plx.lock" },
      ],
      conflicts: new Set([changeKey("prompt", "tone")]),
      approvals: [{ template: "answer", label: "prod" }],
    });
    const summary = changes.map((change) => [change.name, change.kinds, change.from, change.to, change.conflict]);
    expect(summary).toEqual([
      ["answer", ["renamed", "new-version", "labels"], 3, 5, false],
      ["fresh", ["created"], undefined, 1, false],
      ["moving", ["moved"], undefined, undefined, false],
      ["old", ["deleted"], 1, undefined, false],
      // Republished with the same content: only its label moved, which comes along with the rest.
      ["quiet", ["labels"], undefined, undefined, false],
      ["tone", ["new-version"], 1, 2, true],
    ]);
    const answer = changes.find((change) => change.name === "answer")!;
    expect(answer.labels).toEqual([
      { label: "prod", from: 3, to: 5, approved: true },
      { label: "staging", to: 5, approved: false },
    ]);
    expect(changes.find((change) => change.name === "tone")!.usedBy).toEqual(["answer"]);
  });

  it("proposes agents beside templates, a template and an agent of one name apart, and says which agents run a prompt", () => {
    const agent = (id: number, path: string, version: number, prompts: string[]): AgentLockEntry => ({
      id,
      path,
      version,
      hash: `sha256:a${id}-${version}`,
      labels: {},
      prompts,
    });
    const before: Lockfile = {
      ...lock({ triage: entry(1, "prompts/triage.prompt.yaml", 1) }),
      agents: { triage: agent(1, "prompts/triage.agent.yaml", 1, ["triage"]) },
    };
    const after: Lockfile = {
      ...lock({ triage: entry(1, "prompts/triage.prompt.yaml", 2) }),
      agents: {
        triage: agent(1, "prompts/triage.agent.yaml", 3, ["triage"]),
        router: agent(2, "prompts/router.agent.yaml", 1, []),
      },
    };
    const changes = templateChanges({
      before,
      after,
      files: [
        { status: "M", path: "prompts/triage.prompt.yaml" },
        { status: "M", path: "prompts/triage.agent.yaml" },
        { status: "A", path: "prompts/router.agent.yaml" },
      ],
      conflicts: new Set([changeKey("agent", "triage")]),
      approvals: [],
    });
    expect(
      changes.map((change) => [change.kind, change.name, change.kinds, change.from, change.to, change.conflict]),
    ).toEqual([
      ["agent", "router", ["created"], undefined, 1, false],
      ["prompt", "triage", ["new-version"], 1, 2, false],
      ["agent", "triage", ["new-version"], 1, 3, true],
    ]);
    expect(changes[1]!.usedBy).toEqual(["triage (agent)"]);
    expect(proposalTitle(changes)).toBe("PromptLayer: one template and 2 agents changed (router, triage, triage)");
    const body = proposalBody(
      changes,
      { base: "main", branch: "plx/promptlayer", noun: "pull request", users: [], unwritable: [] },
      60_000,
    );
    expect(body).toContain("### triage (agent): v1 → v3");
    expect(body).toContain("Run by 1: `triage (agent)`. They change with it.");
    expect(commitMessage(changes, { users: [] })).toContain(
      "- router (agent): created (v1) (prompts/router.agent.yaml)",
    );
  });

  it.each([
    ["a version republished as is, a label on it", "sha256:1-1"],
    ["a deploy from git whose lock never came back: a new version the base's file already holds", "sha256:1-2"],
  ])("proposes nothing when only the lock moved: %s", (_case, hash) => {
    const before = lock({ tone: entry(1, "prompts/tone.prompt.yaml", 1, { labels: { prod: 1 } }) });
    const after = lock({ tone: entry(1, "prompts/tone.prompt.yaml", 2, { hash, labels: { prod: 2 } }) });
    expect(
      templateChanges({
        before,
        after,
        files: [{ status: "M", path: "plx.lock" }],
        conflicts: new Set(),
        approvals: [],
      }),
    ).toEqual([]);
  });
});

describe("versionsToDescribe", () => {
  const change = (from: number | undefined, to: number) => ({ from, to }) as TemplateChange;
  it.each([
    [1, 3, [2, 3], 0],
    [undefined, 4, [4], 0],
    [2, 30, [21, 22, 23, 24, 25, 26, 27, 28, 29, 30], 18],
  ])("from v%s to v%s reads %j and counts %i more", (from, to, versions, more) => {
    expect(versionsToDescribe(change(from, to))).toEqual({ versions, more });
  });
});

describe("splitDiff", () => {
  it("keys each file's diff by its path on the branch, unquoting git's octal escapes", () => {
    const diff = [
      "diff --git a/prompts/a.prompt.yaml b/prompts/a.prompt.yaml",
      "index 1..2 100644",
      "--- a/prompts/a.prompt.yaml",
      "+++ b/prompts/a.prompt.yaml",
      "@@ -1 +1 @@",
      "-x",
      "+y",
      "diff --git a/prompts/gone.prompt.yaml b/prompts/gone.prompt.yaml",
      "deleted file mode 100644",
      "--- a/prompts/gone.prompt.yaml",
      "+++ /dev/null",
      'diff --git "a/prompts/r\\303\\251sum\\303\\251.prompt.yaml" "b/prompts/r\\303\\251sum\\303\\251.prompt.yaml"',
      '--- "a/prompts/r\\303\\251sum\\303\\251.prompt.yaml"',
      '+++ "b/prompts/r\\303\\251sum\\303\\251.prompt.yaml"',
      "@@ -1 +1 @@",
    ].join("\n");
    const files = splitDiff(diff);
    expect([...files.keys()]).toEqual([
      "prompts/a.prompt.yaml",
      "prompts/gone.prompt.yaml",
      "prompts/résumé.prompt.yaml",
    ]);
    expect(files.get("prompts/a.prompt.yaml")).toContain("+y");
  });
});

const sample = (overrides: Partial<TemplateChange> = {}): TemplateChange => ({
  kind: "prompt",
  name: "support/refund-reply",
  id: 7,
  path: "prompts/support/refund-reply.prompt.yaml",
  kinds: ["new-version"],
  from: 3,
  to: 5,
  versions: [
    { version: 4, message: "Shorter" },
    { version: 5, message: "Fix `typo` *now*" },
  ],
  moreVersions: 0,
  labels: [],
  usedBy: [],
  conflict: false,
  link: "https://dashboard.promptlayer.com/workspace/1/prompt/7",
  diff: "diff --git a/x b/x\n+```js\n+code\n+```",
  ...overrides,
});
const context = { base: "main", branch: "plx/promptlayer", noun: "pull request", users: ["Ada"], unwritable: [] };

describe("the pull request's words", () => {
  it("titles one template by what happened to it, and several by count", () => {
    expect(proposalTitle([sample()])).toBe("PromptLayer: support/refund-reply v3 → v5");
    expect(
      proposalTitle([
        sample({ name: "a" }),
        sample({ name: "b", kinds: ["deleted"], to: undefined }),
        sample({ name: "c", kinds: ["renamed"], previousName: "old-c" }),
      ]),
    ).toBe("PromptLayer: 3 templates changed (a, b, c)");
  });

  it("writes a body a reviewer can act on, fencing a diff that holds backticks", () => {
    const body = proposalBody(
      [sample({ labels: [{ label: "prod", from: 3, to: 5, approved: true }], usedBy: ["a", "b"] })],
      context,
      65_536,
    );
    expect(body).toContain("### support/refund-reply: v3 → v5");
    expect(body).toContain("[open in PromptLayer](https://dashboard.promptlayer.com/workspace/1/prompt/7)");
    expect(body).toContain("- **v5**: Fix \\`typo\\` \\*now\\*");
    expect(body).toContain("Labels: `prod v3 → v5 (approved change)`");
    expect(body).toContain("Snippet used by 2: `a`, `b`. They change with it.");
    expect(body).toContain("````diff\ndiff --git a/x b/x\n+```js\n+code\n+```\n````");
    expect(body).toContain("Changed in PromptLayer by Ada.");
    expect(body.endsWith(PR_MARKER)).toBe(true);
  });

  it("says what it could not write", () => {
    const body = proposalBody([sample()], { ...context, unwritable: [{ name: "bad", reason: "no messages" }] }, 65_536);
    expect(body).toContain("> - bad: no messages");
  });

  it("names conflicts before anything else", () => {
    const body = proposalBody([sample({ name: "a" }), sample({ name: "b", conflict: true })], context, 65_536);
    expect(body.indexOf("[!WARNING]")).toBeGreaterThan(0);
    expect(body.indexOf("[!WARNING]")).toBeLessThan(body.indexOf("### a"));
  });

  it("fits any set of changes into the limit, ending with the marker", () => {
    const arbitraryChange = fc.record({
      name: fc.string({ minLength: 1, maxLength: 40 }),
      message: fc.string({ maxLength: 200 }),
      diff: fc.string({ maxLength: 5_000 }),
      conflict: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(arbitraryChange, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 2_000, max: 20_000 }),
        (items, limit) => {
          const changes = items.map((item, index) =>
            sample({
              name: `${item.name}-${index}`,
              versions: [{ version: 5, message: item.message }],
              diff: item.diff,
              conflict: item.conflict,
            }),
          );
          const body = proposalBody(changes, context, limit);
          expect(body.length).toBeLessThanOrEqual(limit);
          expect(body.endsWith(PR_MARKER)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("writes a commit message from the versions' own messages, and who made them", () => {
    expect(commitMessage([sample()], { users: ["Ada", "Grace"] })).toBe(
      [
        "PromptLayer: support/refund-reply v3 → v5",
        "",
        "- support/refund-reply: v3 → v5 (prompts/support/refund-reply.prompt.yaml)",
        "  v4: Shorter",
        "  v5: Fix `typo` *now*",
        "",
        "Changed in PromptLayer by Ada, Grace.",
        "",
      ].join("\n"),
    );
  });
});
