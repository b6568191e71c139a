// `plx check` on agent files, in process: the graph's rules and the prompts nodes refer to, each finding at its
// file:line:col, alongside the prompt checks that were there before.
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkGraph } from "../../../src/agents/graph.js";
import { plx } from "../../support/in-process.js";

async function repoWith(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "plx-agent-check-"));
  await mkdir(join(root, ".git"));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

const LOCK = JSON.stringify({
  lockfileVersion: 1,
  templates: {
    "intent-classifier": {
      id: 3,
      path: "prompts/intent-classifier.prompt.yaml",
      version: 2,
      hash: `sha256:${"0".repeat(64)}`,
      labels: { prod: 2 },
      snippets: [],
    },
  },
});

const GOOD = `required_input_variables:
  question: string
nodes:
  classify:
    node_type: PROMPT_TEMPLATE
    prompt: intent-classifier@label:prod
    dependencies: [question]
  reply:
    node_type: PROMPT_TEMPLATE
    prompt: refund-reply@label:prod
    is_output_node: true
    dependencies: [classify, question]
edges:
  - source_node_name: classify
    target_node_name: reply
    is_and: true
    conditionals:
      - position: 0
        operator: "="
        left_config:
          source: classify
        right_config:
          static_value: refund
`;

const REFUND = "type: completion\ncontent: Refund {question}\n";

async function check(files: Record<string, string>, args: string[] = []) {
  const root = await repoWith({ "plx.lock": LOCK, "prompts/support/refund-reply.prompt.yaml": REFUND, ...files });
  const result = await plx(["check", ...args, "--json"], { cwd: root });
  return { ...result, report: JSON.parse(result.stdout) };
}

describe("plx check: agent files", () => {
  it("passes a valid agent whose prompts exist as files or in plx.lock, and counts it", async () => {
    const { exitCode, report } = await check({ "prompts/support/triage.agent.yaml": GOOD });
    expect(report.findings).toEqual([]);
    expect(report.checked).toBe(2);
    expect(exitCode).toBe(0);
  });

  it("reports each broken rule at its line and column, and exits 1", async () => {
    const broken = `required_input_variables:
  question: string
  tier: string
nodes:
  classify:
    node_type: PROMPT_TEMPLATE
    prompt: no-such-prompt@label:prod
    dependencies: [question, answer]
  answer:
    node_type: VARIABLE
    dependencies: [classify, mystery]
    configuration:
      value: {type: string, value: x}
edges:
  - source_node_name: classify
    target_node_name: ghost
    is_and: true
    conditionals:
      - position: 0
        operator: "="
        left_config:
          source: nowhere
        right_config:
          static_value: 1
`;
    const { exitCode, report } = await check({ "prompts/broken.agent.yaml": broken });
    const found = report.findings.map(
      (f: { line: number; col: number; severity: string; code: string; message: string }) =>
        `${f.line}:${f.col} ${f.severity} ${f.code} ${f.message}`,
    );
    expect(found).toEqual([
      '3:9 warning input-unused the input variable "tier" is declared but no node uses it',
      "5:3 error no-output-node no node is an output node",
      '7:13 error prompt-missing node "classify" refers to the prompt "no-such-prompt", which matches no prompt file and no template in plx.lock',
      "10:5 error cycle nodes form a cycle: answer -> classify -> answer",
      '11:30 error unknown-reference node "answer" depends on "mystery", which is neither a node nor a declared input variable',
      '16:23 error edge-node an edge names the node "ghost", which does not exist',
      '22:19 error unknown-reference an edge condition compares "nowhere", which is neither a node nor a declared input variable',
    ]);
    for (const finding of report.findings) expect(finding.path).toBe("prompts/broken.agent.yaml");
    expect(exitCode).toBe(1);
  });

  it("reports a file that is not an agent file's shape as invalid, at its position", async () => {
    const { exitCode, report } = await check({ "prompts/x.agent.yaml": "nodes:\n  a:\n    node_type: [1]\n" });
    expect(report.findings).toEqual([
      expect.objectContaining({
        path: "prompts/x.agent.yaml",
        line: 3,
        col: 16,
        code: "invalid-file",
        severity: "error",
      }),
    ]);
    expect(exitCode).toBe(1);
  });

  it("refuses two files that claim one agent name", async () => {
    const { report } = await check({
      "prompts/a/triage.agent.yaml": GOOD,
      "prompts/b/triage.agent.yaml": GOOD,
    });
    expect(report.findings.map((f: { path: string; code: string }) => [f.path, f.code])).toEqual([
      ["prompts/a/triage.agent.yaml", "agent-duplicate"],
      ["prompts/b/triage.agent.yaml", "agent-duplicate"],
    ]);
  });

  it("checks only the agent files named, as a pre-commit hook passes them", async () => {
    const { report } = await check({ "prompts/good.agent.yaml": GOOD, "prompts/bad.agent.yaml": "nodes: 3\n" }, [
      "prompts/good.agent.yaml",
    ]);
    expect(report.findings).toEqual([]);
    expect(report.checked).toBe(1);
  });

  it("prints findings as file:line:col for people", async () => {
    const root = await repoWith({ "prompts/x.agent.yaml": "nodes:\n  a:\n    node_type: VARIABLE\n" });
    const result = await plx(["check"], { cwd: root });
    expect(result.stdout).toContain("prompts/x.agent.yaml:2:3: error no node is an output node [no-output-node]");
    expect(result.stdout).toContain("1 file(s) checked: 1 error(s), 0 warning(s)");
    expect(result.exitCode).toBe(1);
  });
});

describe("agent graph rules", () => {
  const node = (name: string, extra: Record<string, unknown> = {}) => ({ name, node_type: "VARIABLE", ...extra });
  const always = { position: 0, operator: "is_null", left_config: {}, right_config: {} };

  it("finds duplicate and unnamed nodes in an API body, which a YAML mapping cannot hold", () => {
    const issues = checkGraph({
      nodes: [node("a", { is_output_node: true }), node("a"), { node_type: "VARIABLE" }],
      edges: [],
      inputs: {},
    });
    expect(issues.map((issue) => issue.code)).toEqual(["node-duplicate", "node-name"]);
  });

  it("finds a cycle made by edges alone, and one through a node's own dependency", () => {
    const byEdges = checkGraph({
      nodes: [node("a", { is_output_node: true }), node("b")],
      edges: [
        { source_node_name: "a", target_node_name: "b", conditionals: [always] },
        { source_node_name: "b", target_node_name: "a", conditionals: [always] },
      ],
      inputs: {},
    });
    expect(byEdges.map((issue) => issue.message)).toEqual(["nodes form a cycle: a -> b -> a"]);
    const self = checkGraph({
      nodes: [node("a", { is_output_node: true, dependencies: ["a"] })],
      edges: [],
      inputs: {},
    });
    expect(self.map((issue) => issue.message)).toEqual(["nodes form a cycle: a -> a"]);
  });

  it("wants at least one condition on every edge, as the spec does", () => {
    const issues = checkGraph({
      nodes: [node("a", { is_output_node: true }), node("b")],
      edges: [{ source_node_name: "b", target_node_name: "a", conditionals: [] }],
      inputs: {},
    });
    expect(issues.map((issue) => [issue.code, issue.site])).toEqual([
      ["edge-conditions", { kind: "edge", index: 0, path: ["conditionals"] }],
    ]);
  });

  it("accepts a dependency on a declared input and a mapping from one", () => {
    const issues = checkGraph({
      nodes: [
        node("a", {
          is_output_node: true,
          dependencies: ["q"],
          configuration: { prompt_template_variable_mappings: { text: "q" } },
        }),
      ],
      edges: [],
      inputs: { q: "string" },
    });
    expect(issues).toEqual([]);
  });
});
