// Robustness of the real binary against signals: SIGKILL mid-pull, Ctrl-C mid-publish. (Seeded faults and racing
// publishes run in-process: test/integration/.) Signals are sent when the sandbox has seen a given request, never
// after a fixed wait, so the tests mean the same on a loaded machine.
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import fastGlob from "fast-glob";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PLX_BIN, runPlx, sandboxesPerTest, type SandboxProcess } from "../support/cli.js";
import { plxEnv, registry } from "../support/registry.js";
import { newRepo } from "../support/repo.js";
import { completion } from "../support/templates.js";

const sandbox = sandboxesPerTest();

const promptFiles = async (repo: string) => {
  const paths = (await fastGlob("prompts/**/*.prompt.yaml", { cwd: repo })).sort();
  return Object.fromEntries(
    await Promise.all(paths.map(async (path) => [path, await readFile(join(repo, path), "utf8")] as const)),
  );
};

/**
 * Resolves once the sandbox has recorded `count` requests matching `test` (at once for 0): the moment to send a
 * signal. Polls the recording, a bounded number of times.
 */
async function requestsSeen(
  server: SandboxProcess,
  test: (request: { method: string; path: string }) => boolean,
  count: number,
  child: Promise<unknown>,
): Promise<void> {
  let exited = false;
  void child.then(() => {
    exited = true;
  });
  // The bound only turns a hang into a failure; how fast plx gets there does not matter.
  for (let attempt = 0; attempt < 6_000; attempt++) {
    if (exited || (await server.requests()).filter(test).length >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`the sandbox never saw ${count} matching requests`);
}

/** A workspace of `count` completion templates, each at version 1 with the text "v1 <i>". */
async function manyTemplates(server: SandboxProcess, count: number) {
  const reg = registry(server.url);
  const folder = await reg.folder("many");
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      reg.publish(`t${i}`, completion(`v1 ${i}\nline two`), { folderId: folder }),
    ),
  );
}

/** Template reads seen before each kill: before any, the first, half-way, all but the last. */
const KILL_AFTER_READS = [0, 1, 20, 39];

describe("crashes and interruptions", () => {
  it("leaves every file whole when pull is killed at chosen moments, and the next pull converges", {
    timeout: 180_000,
  }, async () => {
    const server = await sandbox(["--latency", "15"]);
    await manyTemplates(server, 40);
    const repo = await newRepo();
    const env = plxEnv(server.url, { PLX_CONCURRENCY: "4" });
    expect((await runPlx(["pull"], { cwd: repo, env })).exitCode).toBe(0);
    const before = await promptFiles(repo);

    for (const [trial, reads] of KILL_AFTER_READS.entries()) {
      const reg = registry(server.url);
      await Promise.all(
        Array.from({ length: 40 }, (_, i) => reg.publish(`t${i}`, completion(`v${trial + 2} ${i}\nline two`))),
      );
      await fetch(`${server.url}/__sandbox/requests`, { method: "DELETE" });
      const child = execa(process.execPath, [PLX_BIN, "pull"], { cwd: repo, env, extendEnv: false, reject: false });
      await requestsSeen(server, (request) => /^\/prompt-templates\/\d+$/.test(request.path), reads, child);
      child.kill("SIGKILL");
      await child;
      const files = await promptFiles(repo);
      expect(Object.keys(files).sort()).toEqual(Object.keys(before).sort());
      for (const [path, text] of Object.entries(files)) {
        expect(text, path).toMatch(/\ncontent: \|-\n {2}v\d+ \d+\n {2}line two\n$/);
        expect(() => parse(text)).not.toThrow();
      }
      const converged = await runPlx(["pull"], { cwd: repo, env });
      expect(converged.exitCode, converged.stdout + converged.stderr).toBe(0);
      expect((await runPlx(["diff", "--exit-code"], { cwd: repo, env })).exitCode).toBe(0);
    }
    const leftovers = (await readdir(join(repo, "prompts/many"))).filter((name) => !name.endsWith(".prompt.yaml"));
    expect(leftovers.every((name) => name.startsWith("."))).toBe(true);
  });

  it("stops on Ctrl-C during a publish with exit 130, saying what was published", async () => {
    const server = await sandbox(["--latency", "150"]);
    await manyTemplates(server, 12);
    const repo = await newRepo();
    const env = plxEnv(server.url, { PLX_CONCURRENCY: "2" });
    await runPlx(["pull"], { cwd: repo, env });
    for (const path of Object.keys(await promptFiles(repo))) {
      await writeFile(join(repo, path), (await readFile(join(repo, path), "utf8")).replace("line two", "line 2"));
    }
    await fetch(`${server.url}/__sandbox/requests`, { method: "DELETE" });
    const child = execa(process.execPath, [PLX_BIN, "push"], { cwd: repo, env, extendEnv: false, reject: false });
    // Ctrl-C once the first publishes are on the wire.
    await requestsSeen(
      server,
      (request) => request.method === "POST" && request.path === "/rest/prompt-templates",
      2,
      child,
    );
    child.kill("SIGINT");
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(String(result.stderr)).toMatch(/Interrupted; (published before stopping: .*t\d+ v2|nothing was published)/);
    // A publish in flight at the moment of Ctrl-C may land without its answer being read; the lock may lag behind
    // those, never run ahead, and the next run converges without minting anything twice.
    const lock = JSON.parse(await readFile(join(repo, "plx.lock"), "utf8"));
    const versions = new Map((await server.state()).templates.map((t: any) => [t.name, t.versions.length]));
    for (const [name, entry] of Object.entries(lock.templates) as Array<[string, { version: number }]>)
      expect(entry.version).toBeLessThanOrEqual(versions.get(name) as number);
    const again = await runPlx(["push"], { cwd: repo, env });
    expect(again.exitCode, again.stdout + again.stderr).toBe(0);
    const after = JSON.parse(await readFile(join(repo, "plx.lock"), "utf8"));
    expect(Object.values(after.templates).every((entry: any) => entry.version === 2)).toBe(true);
    expect((await server.state()).templates.every((t: any) => t.versions.length === 2)).toBe(true);
  });
});
