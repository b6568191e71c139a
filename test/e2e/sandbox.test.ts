// `plx sandbox` as a process: its listening line, its request log, a clean stop on SIGTERM, --api-key and --data.
// What its API answers is tested in-process: test/integration/sandbox-api.test.ts.
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PromptLayer } from "promptlayer";
import { afterEach, describe, expect, it } from "vitest";
import { cleanEnv, startSandboxProcess, type SandboxProcess } from "../support/cli.js";
import { chat } from "../support/templates.js";

const running: SandboxProcess[] = [];
async function sandbox(args: string[] = [], env = cleanEnv()): Promise<SandboxProcess> {
  const started = await startSandboxProcess(args, env);
  running.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

/** A chat template whose user message is `text`. */
const terse = (text: string) => chat(["system", "You are terse."], ["user", text]);

describe("plx sandbox", () => {
  it("prints the listening line first, logs requests on stderr, and stops cleanly on SIGTERM", async () => {
    const server = await sandbox();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${server.url}/prompt-templates`, { headers: { "X-API-KEY": "any-key" } });
    expect(response.status).toBe(200);
    await expect
      .poll(() => server.stderrLines.some((line) => line.includes("GET /prompt-templates") && line.includes("200")))
      .toBe(true);
    const stopped = await server.stop("SIGTERM");
    running.pop();
    expect(stopped.exitCode).toBe(0);
    expect(stopped.stdout.trim().split("\n")).toEqual([`listening on ${server.url}`]);
  });

  it("needs a key, and with --api-key only that key", async () => {
    const open = await sandbox();
    expect((await fetch(`${open.url}/prompt-templates`)).status).toBe(401);

    const locked = await sandbox(["--api-key", "pl_sandbox_secret_key_1"]);
    expect((await fetch(`${locked.url}/prompt-templates`, { headers: { "X-API-KEY": "wrong" } })).status).toBe(401);
    expect(
      (await fetch(`${locked.url}/prompt-templates`, { headers: { "X-API-KEY": "pl_sandbox_secret_key_1" } })).status,
    ).toBe(200);
    expect(locked.stderrLines.join("\n")).not.toContain("pl_sandbox_secret_key_1");
  });

  it("keeps its state across restarts with --data", async () => {
    const dir = await mkdtemp(join(tmpdir(), "plx-sandbox-"));
    const dataFile = join(dir, "state.json");
    const first = await sandbox(["--data", dataFile]);
    const client = new PromptLayer({ apiKey: "k-123456", baseURL: first.url });
    await client.templates.publish({
      prompt_template: { prompt_name: "kept" },
      prompt_version: { prompt_template: terse("persisted") },
    } as never);
    await first.stop();
    running.splice(running.indexOf(first), 1);
    expect(JSON.parse(await readFile(dataFile, "utf8"))).toBeTypeOf("object");

    const second = await sandbox(["--data", dataFile]);
    const again = new PromptLayer({ apiKey: "k-123456", baseURL: second.url });
    const kept: any = await again.templates.get("kept");
    expect(kept.prompt_template.messages[1].content[0].text).toBe("persisted");
  });
});
