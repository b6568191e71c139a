// The stat cache lets a scan trust a file it does not read, only while the file's stamp is exactly what was recorded
// and was recorded safely after the file last changed.
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { scanAgentFiles, scanPromptFiles } from "../../../src/files/local.js";
import { readLockfile } from "../../../src/files/lockfile.js";
import { StatCache } from "../../../src/files/stat-cache.js";
import { readRepository } from "../../../src/sync/repository.js";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");

async function repoWith(text: string) {
  const root = await mkdtemp(join(tmpdir(), "plx-stat-"));
  await mkdir(join(root, "prompts"));
  await writeFile(join(root, "prompts/a.prompt.yaml"), text);
  return root;
}

/** A cache file as plx writes it, saying that the file at its current stamp holds `fileHash`. */
async function cacheSaying(root: string, fileHash: string, writtenAt: number, path = "prompts/a.prompt.yaml") {
  const info = await stat(join(root, path));
  const entry = [info.size, info.mtimeMs, info.ctimeMs, info.ino, fileHash];
  await mkdir(join(root, ".plx/cache"), { recursive: true });
  await writeFile(
    join(root, ".plx/cache/files.json"),
    JSON.stringify({ format: 1, writtenAt, entries: { [path]: entry } }),
  );
}

const lockFor = (fileHash: string) => ({
  lockfileVersion: 1 as const,
  labels: [],
  templates: {
    a: {
      id: 1,
      path: "prompts/a.prompt.yaml",
      version: 1,
      hash: `sha256:${"0".repeat(64)}`,
      labels: {},
      snippets: [],
      file: fileHash,
    },
  },
  agents: {},
});

describe("the stat cache", () => {
  it("vouches for a file at its recorded stamp without the file being read", async () => {
    const root = await repoWith("type: completion\ncontent: edited\n");
    // The cache claims the file still holds the bytes the lock recorded, which it does not: trusting the cache is
    // the only way the scan can take it for unchanged.
    const recorded = sha("type: completion\ncontent: synced\n");
    await cacheSaying(root, recorded, Date.now() + 60_000);
    const scan = await scanPromptFiles(root, "prompts", { lock: lockFor(recorded), cache: StatCache.load(root) });
    expect(scan.templates[0]).toMatchObject({ name: "a", fileHash: recorded });
  });

  it("is not trusted once the stamp differs, or when the file changed just before the cache was written", async () => {
    const text = "type: completion\ncontent: edited\n";
    const recorded = sha("type: completion\ncontent: synced\n");
    const root = await repoWith(text);
    await cacheSaying(root, recorded, Date.now() + 60_000);
    const info = await stat(join(root, "prompts/a.prompt.yaml"));
    await utimes(join(root, "prompts/a.prompt.yaml"), info.atime, new Date(info.mtimeMs - 10_000));
    let scan = await scanPromptFiles(root, "prompts", { lock: lockFor(recorded), cache: StatCache.load(root) });
    expect(scan.templates[0]!.fileHash).toBe(sha(text));

    const racy = await repoWith(text);
    await cacheSaying(racy, recorded, Date.now());
    scan = await scanPromptFiles(racy, "prompts", { lock: lockFor(recorded), cache: StatCache.load(racy) });
    expect(scan.templates[0]!.fileHash).toBe(sha(text));
  });

  it("saves what a scan learnt under .plx/, which git ignores, and forgets files that are gone", async () => {
    const root = await repoWith("type: completion\ncontent: x\n");
    const cache = StatCache.load(root);
    await scanPromptFiles(root, "prompts", { lock: await readLockfile(root), cache });
    await cache.save();
    expect(await readFile(join(root, ".plx/.gitignore"), "utf8")).toContain("*");
    const saved = JSON.parse(await readFile(join(root, ".plx/cache/files.json"), "utf8"));
    expect(Object.keys(saved.entries)).toEqual(["prompts/a.prompt.yaml"]);
    cache.keepOnly(new Set());
    await cache.save();
    expect(JSON.parse(await readFile(join(root, ".plx/cache/files.json"), "utf8")).entries).toEqual({});
  });

  it("saves itself again after meeting a file too recent to trust, dated after it read the file", async () => {
    const text = "type: completion\ncontent: x\n";
    const root = await repoWith(text);
    const { mtimeMs } = await stat(join(root, "prompts/a.prompt.yaml"));
    const racyAt = Math.floor(mtimeMs) - 1_000;
    await cacheSaying(root, sha(text), racyAt);
    const cache = StatCache.load(root);
    await scanPromptFiles(root, "prompts", { lock: lockFor(sha(text)), cache });
    await cache.save();
    const saved = JSON.parse(await readFile(join(root, ".plx/cache/files.json"), "utf8"));
    expect(saved.writtenAt).toBeGreaterThan(racyAt);
  });

  it("drops, when it saves, an entry still too recent to trust that the run did not read again", async () => {
    const text = "type: completion\ncontent: x\n";
    const root = await repoWith(text);
    const { mtimeMs } = await stat(join(root, "prompts/a.prompt.yaml"));
    await cacheSaying(root, sha(text), Math.floor(mtimeMs) - 1_000);
    const cache = StatCache.load(root);
    // Another file is recorded, so the cache is saved with a new date; a.prompt.yaml was not looked at.
    cache.remember("prompts/b.prompt.yaml", { size: 1, mtimeMs: 1, ctimeMs: 1, ino: 1 }, sha("b"));
    await cache.save();
    const saved = JSON.parse(await readFile(join(root, ".plx/cache/files.json"), "utf8"));
    expect(Object.keys(saved.entries)).toEqual(["prompts/b.prompt.yaml"]);
  });

  it("starts empty from a damaged cache file", async () => {
    const root = await repoWith("type: completion\ncontent: x\n");
    await mkdir(join(root, ".plx/cache"), { recursive: true });
    await writeFile(join(root, ".plx/cache/files.json"), "{not json");
    const scan = await scanPromptFiles(root, "prompts", { cache: StatCache.load(root) });
    expect(scan.problems).toEqual([]);
    expect(scan.templates).toHaveLength(1);
  });

  it("vouches for an agent file as for a prompt file, and a repository read keeps both kinds in the cache", async () => {
    const agent = (output: string) =>
      `nodes:\n  out:\n    node_type: VARIABLE\n    is_output_node: true\n    configuration:\n      value: ${output}\n`;
    const root = await repoWith("type: completion\ncontent: x\n");
    await writeFile(join(root, "prompts/b.agent.yaml"), agent("edited"));
    const recorded = sha(agent("synced"));
    const lock = {
      lockfileVersion: 1 as const,
      labels: [],
      templates: {},
      agents: {
        b: {
          id: 9,
          path: "prompts/b.agent.yaml",
          version: 1,
          hash: `sha256:${"0".repeat(64)}`,
          labels: {},
          prompts: [],
          file: recorded,
        },
      },
    };
    await cacheSaying(root, recorded, Date.now() + 60_000, "prompts/b.agent.yaml");
    const scan = await scanAgentFiles(root, "prompts", { lock, cache: StatCache.load(root) });
    expect(scan.agents[0]).toMatchObject({ name: "b", fileHash: recorded });

    await writeFile(join(root, ".plx/cache/files.json"), "{}");
    const repository = await readRepository(await loadConfig(root, {}, {}));
    expect(repository.agents.map((a) => a.name)).toEqual(["b"]);
    const saved = JSON.parse(await readFile(join(root, ".plx/cache/files.json"), "utf8"));
    expect(Object.keys(saved.entries).sort()).toEqual(["prompts/a.prompt.yaml", "prompts/b.agent.yaml"]);
  });
});
