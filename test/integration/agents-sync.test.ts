// Agents in every sync command: pull writes them, diff and status compare them three ways, push and publish make
// versions after the prompts they name, and labels move only by versions the plan names.
import { readFile, rename, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { describeWithOpenApiSpec } from "../support/openapi.js";
import { completion } from "../support/registry.js";
import { commitAll, edit, git, newRepo, readJson, sandboxPerTest, type TestSandbox } from "../support/in-process.js";

const sandbox = sandboxPerTest();

const SECRET = "Bearer sk-live-never-in-git-0123456789";

/** The agents' nodes as PromptLayer's Agent Builder would save them. */
const triageNodes = (replyPrompt = "refund-reply") => [
  {
    name: "classify",
    node_type: "PROMPT_TEMPLATE",
    configuration: { template: { prompt_name: "intent-classifier", label: "prod" } },
    dependencies: ["question"],
    is_output_node: false,
  },
  {
    name: "reply",
    node_type: "PROMPT_TEMPLATE",
    configuration: { template: { prompt_name: replyPrompt, label: "prod" } },
    dependencies: ["classify", "question"],
    is_output_node: true,
  },
  {
    name: "escalate",
    node_type: "ENDPOINT",
    configuration: {
      url: "https://tickets.example.com/escalate",
      headers: { Authorization: SECRET, "Content-Type": "application/json" },
    },
    dependencies: ["classify"],
    is_output_node: false,
  },
];
const condition = (target: string, value: string) => ({
  source_node_name: "classify",
  target_node_name: target,
  is_and: true,
  conditionals: [
    { position: 0, operator: "=", left_config: { source: "classify" }, right_config: { static_value: value } },
  ],
});
const triageEdges = [condition("reply", "refund"), condition("escalate", "legal")];

/**
 * A team's workspace: a snippet, prompts (two labelled prod), and two agents in folders, support-triage (conditional
 * edges, a secret header) labelled prod, and digest. Pulled into a git repository and committed.
 */
async function agentWorkspace(server: TestSandbox) {
  const support = await server.folder("support");
  const billing = await server.folder("billing", support);
  await server.publish("tone", completion("Be brief."));
  await server.publish("intent-classifier", completion("refund"), { labels: ["prod"] });
  await server.publish("refund-reply", completion("Refund for {question}. @@@tone@@@"), {
    labels: ["prod"],
    folderId: support,
  });
  const triage = await server.post("/rest/workflows", {
    name: "support-triage",
    folder_id: support,
    required_input_variables: { question: "string" },
    nodes: triageNodes(),
    edges: triageEdges,
    commit_message: "Built in the Agent Builder",
    release_labels: ["prod"],
  });
  await server.post("/rest/workflows", {
    name: "digest",
    folder_id: billing,
    required_input_variables: { question: "string" },
    nodes: [
      {
        name: "summary",
        node_type: "PROMPT_TEMPLATE",
        configuration: { template: { prompt_name: "refund-reply", label: "prod" } },
        dependencies: ["question"],
        is_output_node: true,
      },
    ],
    edges: [],
  });
  const repo = await newRepo({ git: true });
  const pulled = await server.plx(repo, "pull");
  expect(pulled.exitCode, pulled.stderr).toBe(0);
  await commitAll(repo, "Adopt plx");
  return { repo, triageId: triage.workflow_id as number };
}

const workflowOf = (state: any, name: string) => state.workflows.workflows.find((w: any) => w.name === name);
const agentLabels = (state: any, name: string) =>
  Object.fromEntries(
    state.workflows.labels
      .filter((label: any) => label.workflow_id === workflowOf(state, name).id)
      .map((label: any) => [label.name, label.version_number]),
  );

/** An edit made in PromptLayer's Agent Builder: a new version of the agent. */
async function editInUi(server: TestSandbox, nodes: object[]) {
  await server.post("/rest/workflows", {
    workflow_name: "support-triage",
    required_input_variables: { question: "string" },
    nodes,
    edges: triageEdges,
  });
}

const TRIAGE = "prompts/support/support-triage.agent.yaml";

describe("pull, diff and status with agents", () => {
  it("writes agents as files in their folders, records them in plx.lock, and then finds nothing to change", async () => {
    const server = await sandbox();
    const { repo, triageId } = await agentWorkspace(server);

    const file = await readFile(join(repo, TRIAGE), "utf8");
    expect(file).toContain("prompt: refund-reply@label:prod");
    expect(file).toContain('operator: "="');
    expect(file).not.toContain("sk-live");
    expect(await readFile(join(repo, "prompts/support/billing/digest.agent.yaml"), "utf8")).toContain(
      "prompt: refund-reply@label:prod",
    );
    const lock = await readJson(join(repo, "plx.lock"));
    expect(lock.agents["support-triage"]).toMatchObject({
      id: triageId,
      path: TRIAGE,
      version: 1,
      labels: { prod: 1 },
      prompts: ["intent-classifier", "refund-reply"],
    });
    expect(Object.keys(lock.agents)).toEqual(["digest", "support-triage"]);
    expect(Object.keys(lock.templates)).toEqual(["intent-classifier", "refund-reply", "tone"]);

    const diff = await server.plx(repo, "diff", "--exit-code");
    expect(diff.exitCode, diff.stdout + diff.stderr).toBe(0);
    expect(diff.stdout).toBe("No differences: 3 template(s) and 2 agent(s) match PromptLayer (latest).\n");
    const status = await server.plx(repo, "status");
    expect(status.stdout).toBe("Clean: 3 template(s) and 2 agent(s) match plx.lock.\n");
    const before = await readFile(join(repo, "plx.lock"), "utf8");
    await server.clearRequests();
    const again = await server.plx(repo, "pull");
    expect(again.exitCode).toBe(0);
    // Nothing moved: no agent is read again, and the lock stays byte for byte.
    expect((await server.requests()).filter((r) => /^\/workflows\/\d+$/.test(r.path))).toEqual([]);
    expect(await readFile(join(repo, "plx.lock"), "utf8")).toBe(before);
  });

  it("tells an agent edited here from one edited in PromptLayer, with a diff of each", async () => {
    const server = await sandbox();
    const { repo } = await agentWorkspace(server);
    await edit(join(repo, "prompts/support/billing/digest.agent.yaml"), "refund-reply@label:prod", "tone");
    const nodes = triageNodes();
    nodes[0]!.dependencies = [];
    await editInUi(server, [
      ...nodes,
      { name: "question", node_type: "VARIABLE", configuration: {}, is_output_node: false },
    ]);

    const status = await server.plx(repo, "status", "--json");
    expect(JSON.parse(status.stdout).changes.map((c: any) => [c.kind, c.name, c.state])).toEqual([
      ["agent", "digest", "local-changed"],
    ]);
    const diff = await server.plx(repo, "diff", "--json");
    const changes = JSON.parse(diff.stdout).changes;
    expect(changes.map((c: any) => [c.kind, c.name, c.state, c.remoteVersion])).toEqual([
      ["agent", "digest", "local-changed", 1],
      ["agent", "support-triage", "remote-changed", 2],
    ]);
    expect(changes[0].patch).toContain("-    prompt: refund-reply@label:prod\n+    prompt: tone");
    // Remote first, as for prompts: what PromptLayer added shows as removed here.
    expect(changes[1].patch).toContain("-  question:\n-    node_type: VARIABLE");

    // pull brings the remote edit in and leaves the local one.
    const pulled = await server.plx(repo, "pull");
    expect(pulled.exitCode).toBe(1);
    expect(pulled.stdout).toMatch(/updated +prompts\/support\/support-triage\.agent\.yaml v2/);
    expect(pulled.stdout).toMatch(/skipped +prompts\/support\/billing\/digest\.agent\.yaml/);
    expect(await readFile(join(repo, TRIAGE), "utf8")).toContain("question:\n    node_type: VARIABLE");
  });
});

describe("agents at a tracked label, and in saved plans", () => {
  it("pulls only the agents carrying the tracked label, at the labelled version", async () => {
    const server = await sandbox();
    await agentWorkspace(server);
    await editInUi(server, triageNodes("intent-classifier"));
    const repo = await newRepo();
    const pulled = await server.plx(repo, "pull", "--label", "prod", "--json");
    expect(pulled.exitCode, pulled.stderr).toBe(0);
    const agents = JSON.parse(pulled.stdout).items.filter((item: any) => item.kind === "agent");
    expect(agents).toEqual([expect.objectContaining({ name: "support-triage", action: "create", version: 1 })]);
    expect(await readFile(join(repo, TRIAGE), "utf8")).toContain("prompt: refund-reply@label:prod");
    expect((await server.plx(repo, "diff", "--label", "prod", "--exit-code")).exitCode).toBe(0);
  });

  it("applies a saved plan only while the agents it was made from have not moved", async () => {
    const server = await sandbox();
    const { repo } = await agentWorkspace(server);
    await edit(join(repo, TRIAGE), "url: https://tickets.example.com/escalate", "url: https://tickets.example.com/v2");
    const planned = await server.plx(repo, "publish", "--label", "prod", "--dry-run", "--plan-out", "plan.json");
    expect(planned.exitCode, planned.stderr).toBe(0);
    const plan = await readJson(join(repo, "plan.json"));
    expect(plan.items.find((item: any) => item.kind === "agent" && item.name === "support-triage")).toMatchObject({
      action: "update",
      remoteVersion: 1,
    });
    await editInUi(server, triageNodes("intent-classifier"));
    const stale = await server.plx(repo, "publish", "--label", "prod", "--yes", "--plan", "plan.json");
    expect(stale.exitCode).toBe(5);
    expect(stale.stdout).toContain("support-triage: PromptLayer moved from v1 to v2");
    expect(workflowOf(await server.state(), "support-triage").versions).toHaveLength(2);
  });
});

describe("agent files that cannot be synced", () => {
  it("refuses two files claiming one agent before anything is sent or written", async () => {
    const server = await sandbox();
    const { repo } = await agentWorkspace(server);
    await writeFile(
      join(repo, "prompts/triage-copy.agent.yaml"),
      `name: support-triage\n${await readFile(join(repo, TRIAGE), "utf8")}`,
    );
    const lock = await readFile(join(repo, "plx.lock"), "utf8");
    await server.clearRequests();
    for (const command of ["pull", "push"]) {
      const result = await server.plx(repo, command);
      expect(result.exitCode, command).toBe(2);
      expect(result.stderr).toContain(
        `agent name "support-triage" is also claimed by prompts/support/support-triage.agent.yaml`,
      );
    }
    expect((await server.requests()).filter((r) => r.method !== "GET")).toEqual([]);
    expect(await readFile(join(repo, "plx.lock"), "utf8")).toBe(lock);
  });
});

describe("publish with agents", () => {
  it("publishes an edited agent as exactly one new version with prod on it, after the prompt it now names", async () => {
    const server = await sandbox();
    const { repo, triageId } = await agentWorkspace(server);
    await writeFile(
      join(repo, "prompts/support/refund-reply-v2.prompt.yaml"),
      "type: completion\ncontent: v2 {question}\n",
    );
    await edit(join(repo, TRIAGE), "prompt: refund-reply@label:prod", "prompt: refund-reply-v2@label:prod");
    await commitAll(repo, "Reply with the new prompt");
    await server.clearRequests();

    const published = await server.plx(repo, "publish", "--label", "prod", "--yes");
    expect(published.exitCode, published.stdout + published.stderr).toBe(0);
    expect(published.stdout).toContain(`updated v2 ${TRIAGE}`);
    const state = await server.state();
    const triage = workflowOf(state, "support-triage");
    expect(triage.versions).toHaveLength(2);
    expect(agentLabels(state, "support-triage")).toEqual({ prod: 2 });
    const v2 = triage.versions[1];
    expect(v2.commit_message).toBe(`Reply with the new prompt (${await git(repo, "rev-parse", "--short=7", "HEAD")})`);
    // The secret plx never wrote to git is still on the endpoint node.
    expect(v2.nodes.find((n: any) => n.name === "escalate").configuration.headers.Authorization).toBe(SECRET);
    expect(triage.external_ids).toEqual([{ source: "plx", external_id: TRIAGE }]);
    // The prompt went first, with prod, then the agent that names it: one new version each.
    const writes = (await server.requests()).filter((r) => r.method !== "GET");
    expect(writes.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /rest/prompt-templates", "POST /rest/workflows"]);
    expect(writes[0]!.body.release_labels).toEqual(["prod"]);
    expect(writes[1]!.body).toMatchObject({ workflow_id: triageId, release_labels: ["prod"] });

    // The labelled version runs the new prompt.
    const run = await server.plx(
      repo,
      "agent",
      "run",
      "support-triage",
      "--label",
      "prod",
      "--input-var",
      "question=Q1",
    );
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toBe("v2 Q1\n");

    // A no-op publish mints nothing, and the lock is where PromptLayer is.
    await server.clearRequests();
    const again = await server.plx(repo, "publish", "--label", "prod", "--yes");
    expect(again.exitCode, again.stdout + again.stderr).toBe(0);
    expect((await server.requests()).filter((r) => r.method !== "GET")).toEqual([]);
    const lock = await readJson(join(repo, "plx.lock"));
    expect(lock.agents["support-triage"]).toMatchObject({ version: 2, labels: { prod: 2 } });
    expect((await server.plx(repo, "diff", "--exit-code")).exitCode).toBe(0);
  });

  it("never overwrites an edit made in PromptLayer's Agent Builder: exit 5, nothing sent", async () => {
    const server = await sandbox();
    const { repo } = await agentWorkspace(server);
    const nodes = triageNodes();
    (nodes[1]!.configuration as any).template.label = "staging-ui";
    await server.publish("refund-reply", completion("staging"), { labels: ["staging-ui"] });
    await editInUi(server, nodes);
    await edit(join(repo, TRIAGE), "url: https://tickets.example.com/escalate", "url: https://tickets.example.com/v2");
    await commitAll(repo, "New ticket endpoint");
    await server.clearRequests();

    const published = await server.plx(repo, "publish", "--label", "prod", "--yes");
    expect(published.exitCode).toBe(5);
    expect(published.stdout).toContain("Refused: 1 agent(s) were edited in PromptLayer since this repo last synced");
    expect(published.stdout).toContain(`conflict ${TRIAGE} — PromptLayer has v2, edited outside this repo since v1`);
    expect(published.stdout).toContain("+    prompt: refund-reply@label:prod");
    expect((await server.requests()).filter((r) => r.method !== "GET")).toEqual([]);
    expect(workflowOf(await server.state(), "support-triage").versions).toHaveLength(2);
  });

  it("moves an agent's label by a new version identical to the one holding the repository's content, named in the plan", async () => {
    const server = await sandbox();
    const { repo } = await agentWorkspace(server);
    // staging on v1; the repository's content becomes v2, published without labels.
    await edit(join(repo, TRIAGE), "url: https://tickets.example.com/escalate", "url: https://tickets.example.com/v2");
    await commitAll(repo, "New ticket endpoint");
    expect((await server.plx(repo, "push")).exitCode).toBe(0);

    const dry = await server.plx(repo, "publish", "--label", "prod", "--dry-run", "--json");
    expect(dry.exitCode, dry.stderr).toBe(0);
    const planned = JSON.parse(dry.stdout).labels.filter((l: any) => l.kind === "agent");
    expect(planned).toEqual([
      expect.objectContaining({ name: "digest", action: "skip" }),
      expect.objectContaining({ name: "support-triage", action: "copy", from: 1, to: 2, creates: 3 }),
    ]);
    const human = await server.plx(repo, "publish", "--label", "prod", "--dry-run");
    expect(human.stdout).toContain(
      "would move label prod -> support-triage v3, a new version identical to v2 (an agent's label moves only with a new version) (was v1)",
    );
    await server.clearRequests();

    const published = await server.plx(repo, "publish", "--label", "prod", "--yes", "--json");
    expect(published.exitCode, published.stderr).toBe(0);
    const report = JSON.parse(published.stdout);
    expect(report.results.find((r: any) => r.item.name === "support-triage")).toMatchObject({
      result: "copied",
      of: 2,
      version: 3,
    });
    const state = await server.state();
    const triage = workflowOf(state, "support-triage");
    expect(triage.versions).toHaveLength(3);
    expect(triage.versions[2].nodes).toEqual(
      triage.versions[1].nodes.map((node: any) => ({
        ...node,
        id: expect.any(String),
        workflow_version_id: triage.versions[2].id,
      })),
    );
    expect(agentLabels(state, "support-triage")).toEqual({ prod: 3 });
    expect((await server.requests()).filter((r) => r.method === "POST").map((r) => r.path)).toEqual([
      "/rest/workflows",
    ]);
    expect((await readJson(join(repo, "plx.lock"))).agents["support-triage"]).toMatchObject({
      version: 3,
      labels: { prod: 3 },
    });

    // Where the label already points at the repository's content, nothing is copied again.
    await server.clearRequests();
    const again = await server.plx(repo, "publish", "--label", "prod", "--yes");
    expect(again.exitCode, again.stdout + again.stderr).toBe(0);
    expect((await server.requests()).filter((r) => r.method !== "GET")).toEqual([]);
  });

  it("refuses to copy a version over a later edit made in PromptLayer: the label is left alone, exit 5", async () => {
    const server = await sandbox();
    const { repo } = await agentWorkspace(server);
    // The repository's content is v2 (staging goes on it), then the Agent Builder makes v3.
    await edit(join(repo, TRIAGE), "url: https://tickets.example.com/escalate", "url: https://tickets.example.com/v2");
    expect((await server.plx(repo, "push", "-m", "v2")).exitCode).toBe(0);
    await editInUi(server, triageNodes("intent-classifier"));
    await server.clearRequests();

    const published = await server.plx(repo, "publish", "--label", "prod", "--yes");
    expect(published.exitCode).toBe(5);
    expect(published.stdout).toContain(
      "label left alone prod on support-triage: moving prod to v2 needs a new version identical to v2, which would hide v3, edited in PromptLayer since",
    );
    expect((await server.requests()).filter((r) => r.method !== "GET")).toEqual([]);
  });

  it("refuses an agent naming a prompt that neither the repository nor PromptLayer has, before sending anything", async () => {
    const server = await sandbox();
    const { repo } = await agentWorkspace(server);
    await edit(join(repo, TRIAGE), "prompt: refund-reply@label:prod", "prompt: no-such-prompt@label:prod");
    await server.clearRequests();
    const pushed = await server.plx(repo, "push", "-m", "typo");
    expect(pushed.exitCode).toBe(2);
    expect(pushed.stdout).toContain(
      `invalid ${TRIAGE} — refers to the prompt "no-such-prompt", which neither this repository nor PromptLayer has`,
    );
    expect((await server.requests()).filter((r) => r.method !== "GET")).toEqual([]);
  });

  it("creates a new agent in its folder and moves one whose file moved, following it with its external ID", async () => {
    const server = await sandbox();
    const { repo } = await agentWorkspace(server);
    await mkdir(join(repo, "prompts/ops"), { recursive: true });
    await writeFile(
      join(repo, "prompts/ops/echo.agent.yaml"),
      "required_input_variables:\n  question: string\nnodes:\n  say:\n    node_type: PROMPT_TEMPLATE\n    prompt: tone\n    is_output_node: true\n",
    );
    await rename(join(repo, "prompts/support/billing/digest.agent.yaml"), join(repo, "prompts/ops/digest.agent.yaml"));
    await commitAll(repo, "Ops agents");
    const pushed = await server.plx(repo, "push");
    expect(pushed.exitCode, pushed.stdout + pushed.stderr).toBe(0);
    expect(pushed.stdout).toContain("created v1 prompts/ops/echo.agent.yaml");
    const state = await server.state();
    const ops = state.folders.find((f: any) => f.name === "ops");
    expect(workflowOf(state, "echo")).toMatchObject({ folder_id: ops.id });
    expect(workflowOf(state, "digest")).toMatchObject({
      folder_id: ops.id,
      external_ids: [{ source: "plx", external_id: "prompts/ops/digest.agent.yaml" }],
    });
    expect(workflowOf(state, "digest").versions).toHaveLength(1);
    expect((await server.plx(repo, "diff", "--exit-code")).exitCode).toBe(0);
  });

  it("pull --prune removes the file of an agent deleted in PromptLayer; push --delete deletes one whose file was", async () => {
    const server = await sandbox();
    const { repo } = await agentWorkspace(server);
    const digest = workflowOf(await server.state(), "digest");
    await fetch(`${server.url}/api/public/v2/folders/entities`, {
      method: "DELETE",
      headers: { "X-API-KEY": "ui", "content-type": "application/json" },
      body: JSON.stringify({ entities: [{ id: digest.id, type: "WORKFLOW" }] }),
    });
    const pruned = await server.plx(repo, "pull", "--prune");
    expect(pruned.exitCode, pruned.stderr).toBe(0);
    expect(pruned.stdout).toMatch(/removed +prompts\/support\/billing\/digest\.agent\.yaml/);
    expect(Object.keys((await readJson(join(repo, "plx.lock"))).agents)).toEqual(["support-triage"]);

    await rm(join(repo, TRIAGE));
    const deleted = await server.plx(repo, "push", "--delete", "--yes");
    expect(deleted.exitCode, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain(`deleted ${TRIAGE}`);
    expect((await server.state()).workflows.workflows).toEqual([]);
    expect((await readJson(join(repo, "plx.lock"))).agents).toBeUndefined();
  });
});

describe("plx check --remote with agents", () => {
  it("fails on an agent edited both here and in PromptLayer, naming its file, whole or given alone", async () => {
    const server = await sandbox();
    const { repo } = await agentWorkspace(server);
    await edit(join(repo, TRIAGE), "url: https://tickets.example.com/escalate", "url: https://tickets.example.com/v2");
    expect((await server.plx(repo, "check", "--remote")).exitCode).toBe(0);
    const nodes = triageNodes();
    (nodes[2]!.configuration as any).url = "https://tickets.example.com/ui";
    await editInUi(server, nodes);

    for (const files of [[], [TRIAGE]]) {
      const checked = await server.plx(repo, "check", "--remote", "--json", ...files);
      expect(checked.exitCode, checked.stdout + checked.stderr).toBe(1);
      const report = JSON.parse(checked.stdout);
      expect(report.remote.conflicts).toBe(1);
      expect(report.findings).toEqual([expect.objectContaining({ path: TRIAGE, code: "conflict" })]);
    }
  });
});

describe("plx label with agents", () => {
  it("lists agents' labels, and sets one by a new version identical to the version asked for", async () => {
    const server = await sandbox();
    const { repo } = await agentWorkspace(server);
    const listed = await server.plx(repo, "label", "ls", "--json");
    expect(JSON.parse(listed.stdout).labels).toEqual([
      { kind: "prompt", name: "intent-classifier", label: "prod", version: 1, matchesLocal: true },
      { kind: "prompt", name: "refund-reply", label: "prod", version: 1, matchesLocal: true },
      { kind: "agent", name: "support-triage", label: "prod", version: 1, matchesLocal: true },
    ]);
    expect((await server.plx(repo, "label", "ls")).stdout).toMatch(/support-triage +prod +v1 +matches local \(agent\)/);

    // New content goes out without labels (v2); staging then goes on it by a copy, v3.
    await edit(join(repo, TRIAGE), "url: https://tickets.example.com/escalate", "url: https://tickets.example.com/v2");
    expect((await server.plx(repo, "push", "-m", "New endpoint")).exitCode).toBe(0);
    const set = await server.plx(repo, "label", "set", "staging", "support-triage");
    expect(set.exitCode, set.stderr).toBe(0);
    expect(set.stdout).toBe("set staging -> support-triage v3 (a new version identical to v2)\n");
    let state = await server.state();
    expect(workflowOf(state, "support-triage").versions).toHaveLength(3);
    expect(agentLabels(state, "support-triage")).toEqual({ prod: 1, staging: 3 });
    expect((await readJson(join(repo, "plx.lock"))).agents["support-triage"]).toMatchObject({
      version: 3,
      labels: { prod: 1, staging: 3 },
    });
    // A label already on a version with that content stays: no copy of a copy.
    await server.clearRequests();
    expect((await server.plx(repo, "label", "set", "staging", "support-triage@2")).stdout).toBe(
      "unchanged staging -> support-triage v3\n",
    );
    expect((await server.requests()).filter((r) => r.method !== "GET")).toEqual([]);

    // Promoting staging to prod copies v3 (the latest) once; promoting again changes nothing.
    const promoted = await server.plx(repo, "label", "promote", "staging", "prod", "--yes");
    expect(promoted.exitCode, promoted.stderr).toBe(0);
    expect(promoted.stdout).toContain("set prod -> support-triage v4 (a new version identical to v3) (was v1)");
    state = await server.state();
    expect(agentLabels(state, "support-triage")).toEqual({ prod: 4, staging: 3 });
    await server.clearRequests();
    const again = await server.plx(repo, "label", "promote", "staging", "prod", "--yes", "--json");
    expect(again.exitCode).toBe(0);
    expect(JSON.parse(again.stdout).changes.filter((c: any) => c.kind === "agent")).toEqual([
      expect.objectContaining({ name: "support-triage", status: "unchanged", version: 4 }),
    ]);
    expect((await server.requests()).filter((r) => r.method !== "GET")).toEqual([]);
    // The publish that follows finds every label where the repository put it.
    const published = await server.plx(repo, "publish", "--label", "prod", "--label", "staging", "--yes");
    expect(published.exitCode, published.stdout + published.stderr).toBe(0);
    expect(workflowOf(await server.state(), "support-triage").versions).toHaveLength(4);
  });

  it("refuses a label set whose copy would hide a different latest version, and any label rm on an agent", async () => {
    const server = await sandbox();
    const { repo } = await agentWorkspace(server);
    await editInUi(server, triageNodes("intent-classifier"));
    await server.clearRequests();

    const set = await server.plx(repo, "label", "set", "staging", "support-triage@1", "--agent");
    expect(set.exitCode).toBe(5);
    expect(set.stderr).toContain(
      "Moving staging on the agent support-triage to v1 needs a new version identical to v1 (PromptLayer moves an agent's labels only with new versions), which would become the latest over v2, whose content differs.",
    );
    const promoted = await server.plx(repo, "label", "promote", "prod", "staging", "support-triage", "--yes");
    expect(promoted.exitCode).toBe(5);
    expect(promoted.stdout).toContain("left alone staging on support-triage: moving staging needs a new version");

    const removed = await server.plx(repo, "label", "rm", "prod", "support-triage", "--yes");
    expect(removed.exitCode).toBe(2);
    expect(removed.stderr).toContain("PromptLayer's API has no route that removes or moves an agent's label");
    expect((await server.requests()).filter((r) => r.method !== "GET")).toEqual([]);
    expect(agentLabels(await server.state(), "support-triage")).toEqual({ prod: 1 });
  });
});

describeWithOpenApiSpec("requests plx sends to sync agents", (contract) => {
  it("match PromptLayer's OpenAPI spec: pull, diff, push, publish with copies, moves, deletes and labels", async () => {
    const server = await sandbox();
    const { repo } = await agentWorkspace(server);
    await edit(join(repo, TRIAGE), "url: https://tickets.example.com/escalate", "url: https://tickets.example.com/v2");
    await mkdir(join(repo, "prompts/ops"), { recursive: true });
    await rename(join(repo, "prompts/support/billing/digest.agent.yaml"), join(repo, "prompts/ops/digest.agent.yaml"));
    await writeFile(
      join(repo, "prompts/ops/echo.agent.yaml"),
      "nodes:\n  say:\n    node_type: PROMPT_TEMPLATE\n    prompt: tone\n    is_output_node: true\n",
    );
    await commitAll(repo, "Agents change");
    for (const args of [
      ["diff"],
      ["push"],
      ["publish", "--label", "prod", "--label", "staging", "--yes", "--all"],
      ["label", "ls"],
      ["label", "set", "canary", "support-triage"],
      ["label", "promote", "canary", "beta", "--yes"],
    ]) {
      const result = await server.plx(repo, ...args);
      expect(result.exitCode, `${args.join(" ")}: ${result.stdout}${result.stderr}`).toBe(0);
    }
    await rm(join(repo, "prompts/ops/echo.agent.yaml"));
    expect((await server.plx(repo, "push", "--delete", "--yes")).exitCode).toBe(0);
    expect((await server.plx(repo, "pull")).exitCode).toBe(0);

    const requests = await server.requests();
    const used = new Set(requests.map((r) => `${r.method} ${contract.matchPath(r.method, r.path)}`));
    for (const call of [
      "GET /workflows/{workflow_id_or_name}",
      "GET /workflows/{workflow_id_or_name}/labels",
      "POST /rest/workflows",
      "POST /api/public/v2/folders/entities",
      "DELETE /api/public/v2/folders/entities",
      "DELETE /workflows/{workflow_id}/external-ids/{source}/{external_id}",
    ])
      expect(used, call).toContain(call);
    const problems = requests.flatMap((r) => {
      const template = contract.matchPath(r.method, r.path);
      if (template === undefined) return [`${r.method} ${r.path}: not in the spec`];
      return r.body === undefined || r.body === null
        ? []
        : contract.checkRequest(r.method, template, r.body).map((p) => `${r.method} ${template}: ${p}`);
    });
    expect(problems).toEqual([]);
  });
});
