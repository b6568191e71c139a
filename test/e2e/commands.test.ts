// One happy path per command, as users run them: the built binary against `plx sandbox` over real HTTP. Every other
// case of these commands is tested in-process (test/integration/), where it is cheaper to run.
import { copyFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPlx, type SandboxProcess, startSandboxProcess } from "../support/cli.js";
import { plxEnv, registry, seedTeamWorkspace } from "../support/registry.js";
import { edit, newRepo, readJson } from "../support/repo.js";
import { completion } from "../support/templates.js";

const OPENAI_KEY = "sk-e2e-run-openai-0123456789abcdef";
const MODEL = { model: { provider: "openai", name: "gpt-4o-mini", api_type: "chat-completions", parameters: {} } };

let sandbox: SandboxProcess;
beforeAll(async () => {
  sandbox = await startSandboxProcess();
  const api = registry(sandbox.url);
  await seedTeamWorkspace(api);
  await api.publish("greet", completion("Say hello to {name}"), { labels: ["prod"], metadata: MODEL });
  await api.post("/rest/workflows", {
    name: "greeter",
    required_input_variables: { name: "string" },
    nodes: [
      {
        name: "hello",
        node_type: "PROMPT_TEMPLATE",
        configuration: { template: { prompt_name: "greet", label: "prod" } },
        dependencies: ["name"],
        is_output_node: true,
      },
    ],
    edges: [],
    release_labels: ["prod"],
  });
});
afterAll(async () => {
  await sandbox.stop();
});

const plx = (repo: string, ...args: string[]) =>
  runPlx(args, {
    cwd: repo,
    env: plxEnv(sandbox.url, { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `${sandbox.url}/v1`, GITHUB_RUN_ID: "5" }),
  });
const templateOf = (state: any, name: string) => state.templates.find((t: any) => t.name === name);

async function pulledRepo(): Promise<string> {
  const repo = await newRepo();
  const pulled = await plx(repo, "pull");
  expect(pulled.exitCode, pulled.stderr).toBe(0);
  return repo;
}

describe("each command over real HTTP", () => {
  it("pull writes the workspace; status, diff and check then find it clean", async () => {
    const repo = await newRepo();
    const pulled = await plx(repo, "pull");
    expect(pulled.exitCode, pulled.stderr).toBe(0);
    // Four templates and the agent the run test uses.
    expect(pulled.stdout).toContain("5 created, 0 updated, 0 unchanged, 0 skipped");
    expect(pulled.stdout).toContain("created       prompts/greeter.agent.yaml v1");
    expect(await readFile(join(repo, "prompts/support/billing/refund-reply.prompt.yaml"), "utf8")).toContain(
      "You handle refunds. @@@tone@@@",
    );
    expect((await readJson(join(repo, "plx.lock"))).templates["refund-reply"]).toMatchObject({ version: 1 });
    expect((await plx(repo, "status", "--exit-code")).stdout).toContain(
      "Clean: 4 template(s) and 1 agent(s) match plx.lock.",
    );
    expect(await plx(repo, "diff", "--exit-code")).toMatchObject({ exitCode: 0 });
    expect(await plx(repo, "check")).toMatchObject({ exitCode: 0 });
  });

  it("push publishes an edit, and publish --label deploys one", async () => {
    const repo = await pulledRepo();
    await edit(join(repo, "prompts/tone.prompt.yaml"), "Be warm", "Be kind");
    const pushed = await plx(repo, "push");
    expect(pushed.exitCode, pushed.stderr).toBe(0);
    expect(pushed.stdout).toContain("updated v2 prompts/tone.prompt.yaml");

    await edit(join(repo, "prompts/support/billing/refund-reply.prompt.yaml"), "You handle refunds.", "Refunds.");
    const published = await plx(repo, "publish", "--label", "prod", "--yes");
    expect(published.exitCode, published.stderr).toBe(0);
    expect(published.stdout).toContain("label prod -> refund-reply v2 (was v1)");
    const state = await sandbox.state();
    const refund = templateOf(state, "refund-reply");
    expect(state.labels.find((l: any) => l.template_id === refund.id && l.name === "prod").version_number).toBe(2);
  });

  it("label set, ls, promote and rm manage labels", async () => {
    const repo = await pulledRepo();
    expect((await plx(repo, "label", "set", "staging", "résumé-court@1")).exitCode).toBe(0);
    expect((await plx(repo, "label", "promote", "staging", "canary", "résumé-court", "--yes")).exitCode).toBe(0);
    const listed = await plx(repo, "label", "ls", "résumé-court", "--json");
    expect(listed.exitCode).toBe(0);
    expect(JSON.parse(listed.stdout).labels.map((l: any) => [l.label, l.version])).toEqual([
      ["canary", 1],
      ["staging", 1],
    ]);
    expect((await plx(repo, "label", "rm", "canary", "résumé-court", "--yes")).exitCode).toBe(0);
    const after = JSON.parse((await plx(repo, "label", "ls", "résumé-court", "--json")).stdout);
    expect(after.labels.map((l: any) => l.label)).toEqual(["staging"]);
  });

  it("eval-report uploads results to PromptLayer Tables and gates on them", async () => {
    const repo = await pulledRepo();
    await copyFile(
      fileURLToPath(new URL("../../fixtures/evals/plx.ndjson", import.meta.url)),
      join(repo, "results.ndjson"),
    );
    const reported = await plx(repo, "eval-report", "results.ndjson", "--fail-under", "pass_rate=50%");
    expect(reported.exitCode, reported.stderr).toBe(0);
    expect(reported.stdout).toContain("Gate passed (3 case(s)).");
    const tables = (await sandbox.state()).tables.tables.map((table: any) => table.title);
    expect(tables).toContain("plx: refund-reply");
  });

  it("run renders a template, calls the model and logs the call", async () => {
    const ran = await plx(await newRepo(), "run", "greet", "--label", "prod", "--var", "name=Ada");
    expect(ran.exitCode, ran.stderr).toBe(0);
    // execa strips the final newline.
    expect(ran.stdout).toBe("[gpt-4o-mini] Say hello to Ada");
    expect(ran.stderr).toMatch(/^openai:gpt-4o-mini · greet v1 · .* · request \d+$/);
  });

  it("agent run runs an agent and prints its output", async () => {
    const ran = await plx(await newRepo(), "agent", "run", "greeter", "--label", "prod", "--input-var", "name=Bo");
    expect(ran.exitCode, ran.stderr).toBe(0);
    expect(ran.stdout).toBe("Say hello to Bo");
    expect(ran.stderr).toMatch(/^agent greeter: 1\/1 nodes done$/m);
  });
});
