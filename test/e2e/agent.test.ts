// plx agent run end to end: the built binary against `plx sandbox` over real HTTP, in a directory that is not a plx
// project (a service repository running its agent in CI).
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPlx, startSandboxProcess, type SandboxProcess } from "../support/cli.js";
import { plxEnv, registry, text } from "../support/registry.js";

let sandbox: SandboxProcess;
beforeAll(async () => {
  sandbox = await startSandboxProcess();
  const api = registry(sandbox.url);
  await api.publish("answer", { type: "completion", content: [text("Re: {question}")] }, { labels: ["prod"] });
  await api.post("/rest/workflows", {
    name: "support agent",
    required_input_variables: { question: "string" },
    nodes: [
      {
        name: "reply",
        node_type: "PROMPT_TEMPLATE",
        configuration: { template: { prompt_name: "answer", label: "prod" } },
        dependencies: ["question"],
        is_output_node: true,
      },
      { name: "audit", node_type: "CODE_EXECUTION", configuration: { code: "return 1" }, is_output_node: false },
    ],
    edges: [],
    release_labels: ["prod"],
  });
});
afterAll(async () => {
  await sandbox.stop();
});

describe("plx agent run", () => {
  it("prints the output of the labelled version and exits 0 when every node succeeds", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "plx-e2e-agent-"));
    await fetch(`${sandbox.url}/__sandbox/agent-seeds`, {
      method: "POST",
      body: JSON.stringify({ agent: "support agent", node: "audit", value: "ok" }),
    });
    const result = await runPlx(["agent", "run", "support agent", "--label", "prod", "--input-var", "question=hi"], {
      cwd,
      env: plxEnv(sandbox.url),
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe("Re: hi");
    expect(result.stderr).toMatch(/^agent support agent: 2\/2 nodes done$/m);
    const runs = (await sandbox.requests()).filter((r) => r.path === "/workflows/support%20agent/run");
    expect(runs.map((r) => r.status)).toEqual([201]);
  });

  it("exits 1 naming the node that failed, with its error", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "plx-e2e-agent-"));
    await fetch(`${sandbox.url}/__sandbox/agent-seeds`, { method: "DELETE" });
    const result = await runPlx(["agent", "run", "support agent", "--input-var", "question=hi"], {
      cwd,
      env: plxEnv(sandbox.url),
    });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain("node audit failed: The plx sandbox does not run CODE_EXECUTION nodes");
  });
});
