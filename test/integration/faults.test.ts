// Seeded faults, in-process: every run meets a different, reproducible sequence of 5xx, 429 with Retry-After, dropped
// connections, answers lost after the write landed and slow bodies, and must end exactly where a run without faults
// ends. A few sandboxes at a time, so the suite behaves the same on a busy 2-core machine.
import { copyFile, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fastGlob from "fast-glob";
import { describe, expect, it } from "vitest";
import { seedTeamWorkspace } from "../support/registry.js";
import { newRepo, plx, sandboxPerTest } from "../support/in-process.js";

const sandbox = sandboxPerTest();

/** 20 seeds, at most this many at once: in-process runs mostly wait out retry delays, using little CPU. */
const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);
const AT_ONCE = 10;

async function inBatches<T, R>(items: readonly T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size) {
    results.push(...(await Promise.all(items.slice(start, start + size).map(work))));
  }
  return results;
}

const promptFiles = async (repo: string) => {
  const paths = (await fastGlob("prompts/**/*.prompt.yaml", { cwd: repo })).sort();
  return Object.fromEntries(
    await Promise.all(paths.map(async (path) => [path, await readFile(join(repo, path), "utf8")])),
  );
};

async function run(knobs: Record<string, number>, seed: number) {
  const server = await sandbox({ seed });
  await seedTeamWorkspace(server);
  const repo = await newRepo();
  const setFaults = (values: Record<string, number>) =>
    fetch(`${server.url}/__sandbox/faults`, { method: "PATCH", body: JSON.stringify(values) });
  await setFaults(knobs);
  const pulled = await server.plx(repo, "pull", "--retries", "12");
  const files = await promptFiles(repo);
  const tone = join(repo, "prompts/tone.prompt.yaml");
  await writeFile(tone, (await readFile(tone, "utf8")).replace("Be warm", "Be kind"));
  const published = await server.plx(repo, "publish", "--label", "prod", "--yes", "--retries", "12");
  await copyFile(
    fileURLToPath(new URL("../../fixtures/evals/plx.ndjson", import.meta.url)),
    join(repo, "results.ndjson"),
  );
  const evals = await plx(["eval-report", "results.ndjson", "--retries", "12"], {
    cwd: repo,
    env: { ...server.env, GITHUB_RUN_ID: "99" },
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

describe("seeded faults", () => {
  it("pull, publish and eval-report end in the same local and remote state as a run without faults", async () => {
    const clean = await run({}, 0);
    expect(clean.published.exitCode, clean.published.stdout + clean.published.stderr).toBe(0);
    expect(clean.sheets).toEqual([
      { title: "plx: refund-reply", sheets: [{ title: "refund-reply v1 · run 99", rows: 3 }] },
    ]);
    const faulty = await inBatches(SEEDS, AT_ONCE, (seed) =>
      run({ failRate: 0.2, dropRate: 0.05, dropAfterCommitRate: 0.1, rateLimit: 40, slowBodyMs: 20 }, seed),
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
  }, 240_000);

  it("exits 3 when a fault outlasts the retries, saying what was and was not done", async () => {
    const server = await sandbox();
    await seedTeamWorkspace(server);
    const repo = await newRepo();
    expect((await server.plx(repo, "pull")).exitCode).toBe(0);
    await fetch(`${server.url}/__sandbox/faults`, { method: "PATCH", body: JSON.stringify({ failRate: 1 }) });
    const tone = join(repo, "prompts/tone.prompt.yaml");
    await writeFile(tone, (await readFile(tone, "utf8")).replace("Be warm", "Be kind"));
    const result = await server.plx(repo, "push", "--retries", "1");
    expect(result.exitCode).toBe(3);
    expect(result.stderr + result.stdout).toMatch(/HTTP 503/);
  });
});
