// plx agent run in-process against the sandbox, in a directory that is not a plx project (a service repository
// running its agent in CI).
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { plx, sandboxPerTest, type TestSandbox } from "../support/in-process.js";
import { text } from "../support/templates.js";

const sandboxes = sandboxPerTest();

/** A sandbox with a prod-labelled agent: a prompt node answering the question, and a code node plx cannot run. */
async function supportAgent(): Promise<TestSandbox> {
  const sandbox = await sandboxes();
  await sandbox.publish("answer", { type: "completion", content: [text("Re: {question}")] }, { labels: ["prod"] });
  await sandbox.post("/rest/workflows", {
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
  return sandbox;
}

describe("plx agent run", () => {
  it("prints the output of the labelled version and exits 0 when every node succeeds", async () => {
    const sandbox = await supportAgent();
    const cwd = await mkdtemp(join(tmpdir(), "plx-agent-"));
    await fetch(`${sandbox.url}/__sandbox/agent-seeds`, {
      method: "POST",
      body: JSON.stringify({ agent: "support agent", node: "audit", value: "ok" }),
    });
    const result = await plx(["agent", "run", "support agent", "--label", "prod", "--input-var", "question=hi"], {
      cwd,
      env: sandbox.env,
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe("Re: hi\n");
    expect(result.stderr).toMatch(/^agent support agent: 2\/2 nodes done$/m);
    const runs = (await sandbox.requests()).filter((r) => r.path === "/workflows/support%20agent/run");
    expect(runs.map((r) => r.status)).toEqual([201]);
  });

  it("exits 1 naming the node that failed, with its error", async () => {
    const sandbox = await supportAgent();
    const cwd = await mkdtemp(join(tmpdir(), "plx-agent-"));
    const result = await plx(["agent", "run", "support agent", "--input-var", "question=hi"], {
      cwd,
      env: sandbox.env,
    });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain("node audit failed: The plx sandbox does not run CODE_EXECUTION nodes");
  });
});
