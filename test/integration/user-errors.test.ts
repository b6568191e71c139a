// Mistakes people make are usage errors with a message and a hint, never "a bug in plx".
import { mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { newRepo, plx } from "../support/in-process.js";

describe("plx sandbox", () => {
  it("on a busy port: exit 2 naming the port, not a bug", async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const result = await plx(["sandbox", "--port", String(port)], { cwd: await newRepo() });
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain(`error Port ${port} on 127.0.0.1 is already in use.`);
      expect(result.stderr).toContain("--port 0");
      expect(result.stderr).not.toContain("bug");
    } finally {
      busy.close();
    }
  });

  it.each([
    ["not JSON", "{half", "it is not JSON"],
    ["another file", '{"hello": "world"}', "it is not a state file the sandbox wrote"],
  ])("with --data pointing at %s: exit 2 naming the file", async (_what, content, problem) => {
    const repo = await newRepo();
    const data = join(repo, "state.json");
    await writeFile(data, content);
    const result = await plx(["sandbox", "--data", data], { cwd: repo });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`The sandbox state file ${data} cannot be used: ${problem}`);
  });

  it("with --data pointing at a directory: exit 2 naming the file", async () => {
    const repo = await newRepo();
    const data = join(repo, "a-directory");
    await mkdir(data);
    const result = await plx(["sandbox", "--data", data], { cwd: repo });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`${data} cannot be used: it cannot be read (EISDIR)`);
  });
});

describe("report files", () => {
  it.each([
    ["eval-report", ["results.ndjson", "--no-upload", "--junit", "results.ndjson/junit.xml"]],
    ["check", ["--codequality", "plx.config.yaml/report.json"]],
  ])("%s cannot write where a file stands in the way: exit 2 naming the path", async (command, args) => {
    const repo = await newRepo();
    await mkdir(join(repo, "prompts"));
    await writeFile(join(repo, "results.ndjson"), JSON.stringify({ id: "a", output: "x" }));
    const result = await plx([command, ...args], { cwd: repo });
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/error Could not write .*(junit\.xml|report\.json) \(ENOTDIR\)/);
  });
});

describe("outside a project", () => {
  it.each([["status"], ["diff"], ["check"], ["push"]])("plx %s says there is no project (exit 2)", async (command) => {
    const { mkdtemp } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const empty = await mkdtemp(join(tmpdir(), "plx-empty-"));
    const result = await plx([command], {
      cwd: empty,
      env: { PROMPTLAYER_API_KEY: "pl_x", PROMPTLAYER_BASE_URL: "http://127.0.0.1:9" },
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("is not in a plx project");
    expect(result.stdout).not.toContain("Clean");
  });
});
