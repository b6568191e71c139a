// Robustness: seeded faults, SIGKILL mid-pull, two publishes racing, Ctrl-C mid-publish.
import { copyFile, cp, readdir, readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { execa } from "execa";
import fastGlob from "fast-glob";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PLX_BIN, runPlx, sandboxesPerTest, type SandboxProcess } from "../support/cli.js";
import { completion, emptyRepo, plxEnv, registry, seedTeamWorkspace } from "../support/registry.js";

const sandbox = sandboxesPerTest();

const promptFiles = async (repo: string) => {
  const paths = (await fastGlob("prompts/**/*.prompt.yaml", { cwd: repo })).sort();
  return Object.fromEntries(
    await Promise.all(paths.map(async (path) => [path, await readFile(join(repo, path), "utf8")] as const)),
  );
};

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

describe("seeded faults", () => {
  // 20 seeds: each run meets a different, reproducible sequence of 5xx, 429 with Retry-After, dropped connections,
  // answers lost after the write landed and slow bodies, and must end exactly where a run without faults ends.
  const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);

  async function run(knobs: Record<string, number>, seed: number) {
    const server = await sandbox(["--seed", String(seed)]);
    await seedTeamWorkspace(registry(server.url));
    const repo = await emptyRepo();
    const setFaults = (values: Record<string, number>) =>
      fetch(`${server.url}/__sandbox/faults`, { method: "PATCH", body: JSON.stringify(values) });
    const env = plxEnv(server.url);
    await setFaults(knobs);
    const pulled = await runPlx(["pull", "--retries", "12"], { cwd: repo, env });
    const files = await promptFiles(repo);
    const tone = join(repo, "prompts/tone.prompt.yaml");
    await writeFile(tone, (await readFile(tone, "utf8")).replace("Be warm", "Be kind"));
    const published = await runPlx(["publish", "--label", "prod", "--yes", "--retries", "12"], { cwd: repo, env });
    await copyFile(
      fileURLToPath(new URL("../../fixtures/evals/plx.ndjson", import.meta.url)),
      join(repo, "results.ndjson"),
    );
    const evals = await runPlx(["eval-report", "results.ndjson", "--retries", "12"], {
      cwd: repo,
      env: { ...env, GITHUB_RUN_ID: "99" },
    });
    await setFaults({ failRate: 0, dropRate: 0, dropAfterCommitRate: 0, rateLimit: 0, slowBodyMs: 0 });
    const state = await server.state();
    const sheets = (state.tables?.tables ?? []).map((t: any) => ({
      title: t.title,
      sheets: t.sheets.map((s: any) => ({ title: s.title, rows: s.rows.length })),
    }));
    const remote = state.templates
      .map((t: any) => ({
        name: t.name,
        versions: t.versions.map((v: any) => JSON.stringify(v.prompt_template)),
        labels: state.labels
          .filter((l: any) => l.template_id === t.id)
          .map((l: any) => `${l.name}@${l.version_number}`)
          .sort(),
      }))
      .sort((a: any, b: any) => a.name.localeCompare(b.name));
    await server.stop();
    return {
      pulled,
      published,
      evals,
      sheets,
      files,
      remote,
      lock: JSON.parse(await readFile(join(repo, "plx.lock"), "utf8")),
    };
  }

  it("pull, publish and eval-report end in the same local and remote state as a run without faults", async () => {
    const clean = await run({}, 0);
    expect(clean.published.exitCode).toBe(0);
    expect(clean.sheets).toEqual([
      { title: "plx: refund-reply", sheets: [{ title: "refund-reply v1 · run 99", rows: 3 }] },
    ]);
    const faulty = await Promise.all(
      SEEDS.map((seed) =>
        run({ failRate: 0.2, dropRate: 0.05, dropAfterCommitRate: 0.1, rateLimit: 40, slowBodyMs: 20 }, seed),
      ),
    );
    for (const [index, result] of faulty.entries()) {
      const seed = SEEDS[index];
      expect(result.pulled.exitCode, `seed ${seed}: ${result.pulled.stderr}`).toBe(0);
      expect(result.published.exitCode, `seed ${seed}: ${result.published.stdout}${result.published.stderr}`).toBe(0);
      expect(result.evals.exitCode, `seed ${seed}: ${result.evals.stderr}`).toBe(0);
      expect(result.sheets, `seed ${seed}`).toEqual(clean.sheets);
      expect(result.files, `seed ${seed}`).toEqual(clean.files);
      expect(result.remote, `seed ${seed}`).toEqual(clean.remote);
      expect(result.lock, `seed ${seed}`).toEqual(clean.lock);
    }
  });

  it("exits 3 when a fault outlasts the retries, saying what was and was not done", async () => {
    const server = await sandbox();
    await seedTeamWorkspace(registry(server.url));
    const repo = await emptyRepo();
    await runPlx(["pull"], { cwd: repo, env: plxEnv(server.url) });
    await fetch(`${server.url}/__sandbox/faults`, { method: "PATCH", body: JSON.stringify({ failRate: 1 }) });
    const tone = join(repo, "prompts/tone.prompt.yaml");
    await writeFile(tone, (await readFile(tone, "utf8")).replace("Be warm", "Be kind"));
    const result = await runPlx(["push", "--retries", "1"], { cwd: repo, env: plxEnv(server.url) });
    expect(result.exitCode).toBe(3);
    expect(result.stderr + result.stdout).toMatch(/HTTP 503/);
  });
});

describe("crashes and races", () => {
  it("leaves every file whole when pull is killed at random moments, and the next pull converges", async () => {
    const server = await sandbox(["--latency", "15"]);
    await manyTemplates(server, 40);
    const repo = await emptyRepo();
    const env = plxEnv(server.url, { PLX_CONCURRENCY: "4" });
    expect((await runPlx(["pull"], { cwd: repo, env })).exitCode).toBe(0);
    const before = await promptFiles(repo);

    for (let trial = 0; trial < 10; trial++) {
      const reg = registry(server.url);
      await Promise.all(
        Array.from({ length: 40 }, (_, i) => reg.publish(`t${i}`, completion(`v${trial + 2} ${i}\nline two`))),
      );
      const child = execa(process.execPath, [PLX_BIN, "pull"], { cwd: repo, env, extendEnv: false, reject: false });
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 400));
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

  it("lets two publishes race without silently losing either update", async () => {
    const server = await sandbox(["--latency", "30"]);
    await seedTeamWorkspace(registry(server.url));
    const first = await emptyRepo();
    const env = plxEnv(server.url);
    await runPlx(["pull"], { cwd: first, env });
    const second = `${first}-other`;
    await cp(first, second, { recursive: true });
    for (const [repo, word] of [
      [first, "kind"],
      [second, "firm"],
    ] as const) {
      const tone = join(repo, "prompts/tone.prompt.yaml");
      await writeFile(tone, (await readFile(tone, "utf8")).replace("Be warm", `Be ${word}`));
    }
    const results = await Promise.all(
      [first, second].map((repo) => runPlx(["publish", "--label", "prod", "--yes"], { cwd: repo, env })),
    );
    const codes = results.map((result) => result.exitCode).sort();
    expect(codes, results.map((result) => result.stdout + result.stderr).join("\n---\n")).toEqual([0, 5]);
    expect(results.find((result) => result.exitCode === 0)!.stdout).not.toContain("pending approval");
    // The loser either was refused before sending (its edit stays in its files) or published on top and says so.
    const loser = results.find((result) => result.exitCode === 5)!;
    expect(loser.stdout).toMatch(/conflict prompts\/tone|appeared in PromptLayer while this publish ran/);
    const tone = (await server.state()).templates.find((t: any) => t.name === "tone");
    const texts = tone.versions.map((v: any) => v.prompt_template.content[0].text).slice(1);
    expect(texts.length).toBeGreaterThanOrEqual(1);
    for (const text of texts)
      expect(["Be firm, brief and precise. 🙂", "Be kind, brief and precise. 🙂"]).toContain(text);
  });

  it("stops on Ctrl-C during a publish with exit 130, saying what was published", async () => {
    const server = await sandbox(["--latency", "150"]);
    await manyTemplates(server, 12);
    const repo = await emptyRepo();
    const env = plxEnv(server.url, { PLX_CONCURRENCY: "2" });
    await runPlx(["pull"], { cwd: repo, env });
    for (const path of Object.keys(await promptFiles(repo))) {
      await writeFile(join(repo, path), (await readFile(join(repo, path), "utf8")).replace("line two", "line 2"));
    }
    const child = execa(process.execPath, [PLX_BIN, "push"], { cwd: repo, env, extendEnv: false, reject: false });
    await new Promise((resolve) => setTimeout(resolve, 1_200));
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
