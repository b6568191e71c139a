// Agents as code end to end, as CI runs it: the built binary against `plx sandbox` over real HTTP. A workspace with
// prompts, a snippet and two agents in folders is pulled, an agent edited and published with prod, and run.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runPlx, type SandboxProcess, sandboxesPerTest } from "../support/cli.js";
import { completion, plxEnv, registry } from "../support/registry.js";
import { commitAll, newRepo } from "../support/repo.js";

const sandbox = sandboxesPerTest();

const promptNode = (name: string, prompt: string, dependencies: string[], output: boolean) => ({
  name,
  node_type: "PROMPT_TEMPLATE",
  configuration: { template: { prompt_name: prompt, label: "prod" } },
  dependencies,
  is_output_node: output,
});

async function seed(server: SandboxProcess) {
  const api = registry(server.url);
  const support = await api.folder("support");
  const ops = await api.folder("ops");
  await api.publish("signature", completion("-- Support"));
  await api.publish("route", completion("refund"), { labels: ["prod"] });
  await api.publish("reply", completion("Refund {question} @@@signature@@@"), { labels: ["prod"], folderId: support });
  const triage = {
    required_input_variables: { question: "string" },
    nodes: [
      promptNode("classify", "route", ["question"], false),
      promptNode("answer", "reply", ["classify", "question"], true),
    ],
    edges: [
      {
        source_node_name: "classify",
        target_node_name: "answer",
        is_and: true,
        conditionals: [
          { position: 0, operator: "=", left_config: { source: "classify" }, right_config: { static_value: "refund" } },
        ],
      },
    ],
  };
  await api.post("/rest/workflows", { name: "triage", folder_id: support, ...triage, release_labels: ["prod"] });
  await api.post("/rest/workflows", {
    name: "nightly",
    folder_id: ops,
    required_input_variables: { question: "string" },
    nodes: [promptNode("sum", "reply", ["question"], true)],
  });
  return triage;
}

describe("agents as code", () => {
  it("pull, a clean diff, publish --label prod after the prompt the agent now names, a UI edit refused, a run", async () => {
    const server = await sandbox();
    const triage = await seed(server);
    const repo = await newRepo({ git: true });
    const plx = (...args: string[]) => runPlx(args, { cwd: repo, env: plxEnv(server.url) });

    const pulled = await plx("pull");
    expect(pulled.exitCode, pulled.stderr).toBe(0);
    expect(pulled.stdout).toMatch(/created +prompts\/support\/triage\.agent\.yaml v1/);
    expect(pulled.stdout).toMatch(/created +prompts\/ops\/nightly\.agent\.yaml v1/);
    expect(await readFile(join(repo, "prompts/support/triage.agent.yaml"), "utf8")).toContain(
      "    prompt: reply@label:prod\n",
    );
    await commitAll(repo, "Adopt plx");
    expect((await plx("diff", "--exit-code")).exitCode).toBe(0);

    // The agent now answers with a new prompt, which the same publish creates first.
    await writeFile(
      join(repo, "prompts/support/reply-short.prompt.yaml"),
      "type: completion\ncontent: Short {question}\n",
    );
    const file = join(repo, "prompts/support/triage.agent.yaml");
    await writeFile(
      file,
      (await readFile(file, "utf8")).replace("prompt: reply@label:prod", "prompt: reply-short@label:prod"),
    );
    await commitAll(repo, "Shorter replies");
    const published = await plx("publish", "--label", "prod", "--yes");
    expect(published.exitCode, published.stdout + published.stderr).toBe(0);
    expect(published.stdout).toContain("created v1 prompts/support/reply-short.prompt.yaml");
    expect(published.stdout).toContain("updated v2 prompts/support/triage.agent.yaml");
    const state = await server.state();
    const agent = state.workflows.workflows.find((w: any) => w.name === "triage");
    expect(agent.versions).toHaveLength(2);
    expect(state.workflows.labels.filter((l: any) => l.workflow_id === agent.id)).toEqual([
      expect.objectContaining({ name: "prod", version_number: 2 }),
    ]);
    const writes = (await server.requests()).filter((r) => r.method === "POST" && r.path.startsWith("/rest/"));
    expect(writes.map((r) => r.path).slice(-2)).toEqual(["/rest/prompt-templates", "/rest/workflows"]);

    const run = await plx("agent", "run", "triage", "--label", "prod", "--input-var", "question=late parcel");
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toBe("Short late parcel");

    // An edit in PromptLayer's Agent Builder, then one here: the publish is refused and sends nothing.
    await registry(server.url).post("/rest/workflows", { workflow_name: "triage", ...triage, edges: [] });
    await writeFile(file, (await readFile(file, "utf8")).replace("static_value: refund", "static_value: refunds"));
    await commitAll(repo, "Broader route");
    const before = (await server.requests()).length;
    const refused = await plx("publish", "--label", "prod", "--yes");
    expect(refused.exitCode).toBe(5);
    expect(refused.stdout).toContain("conflict prompts/support/triage.agent.yaml");
    const after = (await server.requests()).slice(before);
    expect(after.filter((r) => r.method !== "GET")).toEqual([]);
  });
});
