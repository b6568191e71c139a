// `plx agent run`, in process against the sandbox: the output of the labelled version, failed nodes and runs that
// outlive --wait (exit 1), usage and network failures (exit 2 and 3), --json, and GitHub Actions' summary and outputs.
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startSandbox } from "../../../src/sandbox/index.js";
import { plx } from "../../support/in-process.js";

const KEY = "pl_agent_run_cli_key_0123456789";
type Sandbox = Awaited<ReturnType<typeof startSandbox>>;
const running: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((sandbox) => sandbox.close()));
});

const text = (value: string) => [{ type: "text", text: value }];

/** A sandbox with a prompt whose prod label is on version 1, and an agent whose prod label renders it. */
async function workspace() {
  const sandbox = await startSandbox({ apiKey: KEY });
  running.push(sandbox);
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${sandbox.url}${path}`, {
      method,
      headers: { "x-api-key": KEY, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(response.status, `${method} ${path}`).toBeLessThan(300);
    return response.status === 204 ? undefined : response.json();
  };
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${sandbox.url}/__sandbox/${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  const publish = (template: object, labels: string[] = []) =>
    call("POST", "/rest/prompt-templates", {
      prompt_template: { prompt_name: "refund-reply" },
      prompt_version: { prompt_template: template },
      release_labels: labels,
    });
  await publish({ type: "completion", content: text("Dear {tier} customer: {question}") }, ["prod"]);
  await publish({ type: "completion", content: text("unlabelled v2 {question}") });
  const node = (version: object) => ({
    name: "reply",
    node_type: "PROMPT_TEMPLATE",
    configuration: { template: { prompt_name: "refund-reply", ...version } },
    dependencies: ["question", "tier"],
    is_output_node: true,
  });
  const tier = {
    name: "tier",
    node_type: "VARIABLE",
    configuration: { value: { type: "string", value: "valued" } },
    is_output_node: false,
  };
  const base = { required_input_variables: { question: "string" }, edges: [] };
  await call("POST", "/rest/workflows", {
    name: "triage",
    nodes: [tier, node({ label: "prod" })],
    release_labels: ["prod"],
    ...base,
  });
  await call("POST", "/rest/workflows", { workflow_name: "triage", nodes: [tier, node({})], ...base });
  const env = { PROMPTLAYER_API_KEY: KEY, PROMPTLAYER_BASE_URL: sandbox.url };
  const cwd = await mkdtemp(join(tmpdir(), "plx-agent-run-"));
  const requests = async () =>
    (await (await admin("GET", "requests")).json()) as Array<{
      method: string;
      path: string;
      body: any;
      status: number;
    }>;
  return { sandbox, call, admin, env, cwd, requests };
}

const QUESTION = ["--input-var", "question=Where is my refund?"];

describe("plx agent run", () => {
  it("prints the labelled version's rendered output alone, polling while it runs, and exits 0", async () => {
    const { env, cwd, requests } = await workspace();
    const result = await plx(["agent", "run", "triage", "--label", "prod", ...QUESTION], { cwd, env });
    expect(result).toMatchObject({ exitCode: 0, stdout: "Dear valued customer: Where is my refund?\n" });
    expect(result.stderr).toContain("agent triage: 1/2 nodes done; running reply\n");
    expect(result.stderr).toContain("agent triage: 2/2 nodes done\n");
    const sent = await requests();
    expect(sent.find((r) => r.path === "/workflows/triage/run")!.body).toEqual({
      workflow_label_name: "prod",
      input_variables: { question: "Where is my refund?" },
      return_all_outputs: true,
    });
    const reads = sent.filter((r) => r.path === "/workflow-version-execution-results").map((r) => r.status);
    expect(reads).toEqual([202, 200]);
  });

  it("runs the latest version by default, and a version named as name@version", async () => {
    const { env, cwd } = await workspace();
    const latest = await plx(["agent", "run", "triage", ...QUESTION], { cwd, env });
    expect(latest.stdout).toBe("unlabelled v2 Where is my refund?\n");
    const first = await plx(["agent", "run", "triage@1", ...QUESTION], { cwd, env });
    expect(first.stdout).toBe("Dear valued customer: Where is my refund?\n");
  });

  it("with --all-outputs, prints every node's status and value, then the output", async () => {
    const { env, cwd } = await workspace();
    const result = await plx(["agent", "run", "triage", "--label", "prod", "--all-outputs", ...QUESTION], {
      cwd,
      env,
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(
      [
        "SUCCESS  tier",
        "  valued",
        "SUCCESS  reply (output)",
        "  Dear valued customer: Where is my refund?",
        "",
        "Dear valued customer: Where is my refund?",
        "",
      ].join("\n"),
    );
  });

  it("exits 1 naming the node that failed and its error", async () => {
    const { env, cwd, admin } = await workspace();
    await admin("POST", "agent-seeds", {
      agent: "triage",
      node: "tier",
      status: "FAILED",
      error_message: "CRM timed out",
    });
    const result = await plx(["agent", "run", "triage", "--label", "prod", ...QUESTION], { cwd, env });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^agent triage \(execution \d+\) failed:\n {2}node tier failed: CRM timed out\n$/);
  });

  it("exits 1 with the execution id when the run outlives --wait", async () => {
    const { env, cwd, admin } = await workspace();
    await admin("PATCH", "agents", { polls: 1_000_000 });
    const result = await plx(["agent", "run", "triage", "--wait", "300ms", "--json", ...QUESTION], {
      cwd,
      env,
    });
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      command: "agent run",
      ok: false,
      exitCode: 1,
      status: "timed-out",
      agent: "triage",
    });
    expect(report.executionId).toEqual(expect.any(Number));
    expect(report).not.toHaveProperty("output");

    const human = await plx(["agent", "run", "triage", "--wait", "0", ...QUESTION], { cwd, env });
    expect(human.exitCode).toBe(1);
    expect(human.stdout).toMatch(
      /agent triage \(execution (\d+)\) is still running after \d+ s\.\nLook it up later with its execution id \1/,
    );
  });

  it("reports the run as one JSON document with every node", async () => {
    const { env, cwd } = await workspace();
    const result = await plx(["agent", "run", "triage", "--label", "prod", "--json", ...QUESTION], {
      cwd,
      env,
    });
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      schemaVersion: 2,
      command: "agent run",
      ok: true,
      exitCode: 0,
      agent: "triage",
      label: "prod",
      status: "succeeded",
      output: "Dear valued customer: Where is my refund?",
      failed: [],
      polls: 2,
    });
    expect(report.nodes.map((node: { name: string; status: string }) => [node.name, node.status])).toEqual([
      ["tier", "SUCCESS"],
      ["reply", "SUCCESS"],
    ]);
  });

  it("takes inputs from a JSON file, --input-var winning, and records --metadata on the run", async () => {
    const { env, cwd, requests } = await workspace();
    await writeFile(join(cwd, "case.json"), JSON.stringify({ question: "from the file", tier: "gold" }));
    const result = await plx(
      [
        "agent",
        "run",
        "triage",
        "--inputs-file",
        "case.json",
        "--input-var",
        "tier=platinum",
        "--metadata",
        "git_sha=abc",
        "--metadata",
        "job=ci=1",
      ],
      { cwd, env },
    );
    expect(result.stdout).toBe("unlabelled v2 from the file\n");
    const run = (await requests()).find((r) => r.path === "/workflows/triage/run")!;
    expect(run.body).toMatchObject({
      input_variables: { question: "from the file", tier: "platinum" },
      metadata: { git_sha: "abc", job: "ci=1" },
    });
  });

  it("passes on PromptLayer's warning about inputs, on stderr", async () => {
    const { env, cwd } = await workspace();
    const result = await plx(["agent", "run", "triage", "--input-var", "typo=1"], { cwd, env });
    expect(result.stderr).toContain(
      "warning: PromptLayer: missing input variables: question; unused input variables: typo",
    );
  });

  it.each([
    [["agent", "run", "ghost"], "AGENT.NOT_FOUND", 'PromptLayer has no agent "ghost".'],
    [["agent", "run", "triage", "--label", "staging"], "AGENT.NOT_FOUND", 'no agent "triage" with the label "staging"'],
    [["agent", "run", "triage@9"], "AGENT.NOT_FOUND", 'no agent "triage" at version 9'],
    [["agent", "run", "triage@2", "--label", "prod"], "USAGE.CONFLICTING_OPTIONS", "a run takes one"],
    [["agent", "run", "triage@0"], "USAGE.INVALID_OPTION", "versions start at 1"],
    [["agent", "run", "triage", "--input-var", "novalue"], "USAGE.INVALID_OPTION", "expected name=value"],
    [["agent", "run", "triage", "--wait", "soon"], "USAGE.INVALID_OPTION", "such as 90s, 10m or 1h"],
    [
      ["agent", "run", "triage", "--inputs-file", "missing.json"],
      "AGENT.INPUTS_FILE",
      "missing.json cannot be used: ENOENT",
    ],
  ])("%j is a usage error, exit 2: %s", async (argv, code, message) => {
    const { env, cwd } = await workspace();
    const result = await plx([...argv, "--json"], { cwd, env });
    expect(result.exitCode).toBe(2);
    const { error } = JSON.parse(result.stdout);
    expect(error.code).toBe(code);
    expect(error.message).toContain(message);
  });

  it("refuses an inputs file that is not a JSON object", async () => {
    const { env, cwd } = await workspace();
    await writeFile(join(cwd, "list.json"), "[1, 2]");
    await writeFile(join(cwd, "bad.json"), "{oops");
    for (const [file, problem] of [
      ["list.json", "not an object of input variables"],
      ["bad.json", "it is not JSON"],
    ]) {
      const result = await plx(["agent", "run", "triage", "--inputs-file", file!], { cwd, env });
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain(problem);
    }
  });

  it("exits 3 when PromptLayer cannot be reached, having sent nothing twice", async () => {
    const { env, cwd, sandbox } = await workspace();
    await sandbox.close();
    running.splice(running.indexOf(sandbox), 1);
    const result = await plx(["agent", "run", "triage", "--retries", "0"], { cwd, env });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain("Could not reach PromptLayer for POST");
  });

  it("shows a spinner in a terminal instead of lines", async () => {
    const { env, cwd } = await workspace();
    const result = await plx(["agent", "run", "triage", "--label", "prod", ...QUESTION], {
      cwd,
      env,
      tty: true,
    });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain("\r\x1b[2K⠋ agent triage: 1/2 nodes done; running reply");
    expect(result.stderr.endsWith("\r\x1b[2K")).toBe(true);
    expect(result.stderr).not.toContain("\n");
  });

  it("in GitHub Actions, writes the step summary and outputs, and keeps the agent's text from running commands", async () => {
    const { env, cwd, call } = await workspace();
    await call("POST", "/rest/workflows", {
      name: "sly",
      nodes: [
        {
          name: "out",
          node_type: "VARIABLE",
          configuration: { value: { type: "string", value: "x" } },
          is_output_node: true,
        },
      ],
      edges: [],
    });
    const summary = join(cwd, "summary.md");
    const outputs = join(cwd, "outputs.txt");
    const github = { ...env, PLX_CI: "github", GITHUB_STEP_SUMMARY: summary, GITHUB_OUTPUT: outputs };
    const result = await plx(["agent", "run", "sly", "--input-var", "out=::add-mask::hello\nline two"], {
      cwd,
      env: github,
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^::stop-commands::(\w+)\n::add-mask::hello\nline two\n::\1::\n/);
    expect(result.stderr).toContain("agent sly: 1/1 nodes done\n");
    const written = await readFile(summary, "utf8");
    expect(written).toContain("### plx agent run: `sly` succeeded");
    expect(written).toContain("```\n::add-mask::hello\nline two\n```");
    expect(written).toContain("| `out` (output) | SUCCESS |  |");
    const set = await readFile(outputs, "utf8");
    expect(set).toContain("status=succeeded\n");
    expect(set).toMatch(/execution_id=\d+\n/);
    expect(set).toMatch(/output<<(ghadelimiter_[\w-]+)\n::add-mask::hello\nline two\n\1\n/);
  });
});
