import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { serializeLockfile, type Lockfile } from "../../../src/core/lock.js";
import { PlxError } from "../../../src/errors/index.js";
import { readLockfile, writeLockfile } from "../../../src/files/lockfile.js";

const hash = (c: string) => `sha256:${c.repeat(64)}`;
const lock: Lockfile = {
  lockfileVersion: 1,
  labels: [],
  templates: {
    zeta: {
      id: 2,
      path: "prompts/zeta.prompt.yaml",
      version: 7,
      hash: hash("b"),
      labels: { staging: 7, prod: 6 },
      snippets: ["tone", "footer", "tone"],
    },
    "Émoji 😀": {
      id: 3,
      path: "prompts/x/Émoji 😀.prompt.yaml",
      version: 1,
      hash: hash("c"),
      labels: {},
      snippets: [],
    },
    alpha: { id: 1, path: "prompts/alpha.prompt.yaml", version: 1, hash: hash("a"), labels: {}, snippets: [] },
  },
  agents: {},
};

describe("lock file", () => {
  it("records the label names it syncs completely, sorted, and reads them back", async () => {
    const dir = await mkdtemp(join(tmpdir(), "plx-lock-"));
    await writeLockfile(dir, { ...lock, labels: ["staging", "prod", "prod"] });
    const text = await readFile(join(dir, "plx.lock"), "utf8");
    expect(text.split("\n")[2]).toBe('  "labels": ["prod","staging"],');
    expect((await readLockfile(dir)).labels).toEqual(["prod", "staging"]);
    // A lock written before label names were recorded reads as knowing none.
    await writeFile(join(dir, "plx.lock"), serializeLockfile({ ...lock, labels: [] }));
    expect((await readLockfile(dir)).labels).toEqual([]);
  });

  it("is deterministic: sorted names, sorted labels and snippets, one line per template", () => {
    const text = serializeLockfile(lock);
    const lines = text.split("\n");
    expect(lines[0]).toBe("{");
    expect(lines[1]).toBe('  "lockfileVersion": 1,');
    expect(lines.slice(3, 6).map((line) => JSON.parse(`{${line.replace(/,$/, "")}}`))).toEqual([
      { alpha: lock.templates.alpha },
      { zeta: { ...lock.templates.zeta, labels: { prod: 6, staging: 7 }, snippets: ["footer", "tone"] } },
      { "Émoji 😀": lock.templates["Émoji 😀"] },
    ]);
    expect(text.endsWith("}\n")).toBe(true);
    const reordered: Lockfile = {
      lockfileVersion: 1,
      labels: [],
      templates: Object.fromEntries(Object.entries(lock.templates).reverse()),
      agents: {},
    };
    expect(serializeLockfile(reordered)).toBe(text);
  });

  it("round-trips through the file and skips writing identical content", async () => {
    const dir = await mkdtemp(join(tmpdir(), "plx-lock-"));
    expect(await readLockfile(dir)).toEqual({ lockfileVersion: 1, labels: [], templates: {}, agents: {} });
    expect(await writeLockfile(dir, lock)).toBe(true);
    expect(await writeLockfile(dir, lock)).toBe(false);
    const read = await readLockfile(dir);
    expect(serializeLockfile(read)).toBe(serializeLockfile(lock));
    expect(await readdir(dir)).toEqual(["plx.lock"]);
    expect(await readFile(join(dir, "plx.lock"), "utf8")).toBe(serializeLockfile(lock));
  });

  it("records agents beside templates, one sorted line each, and reads a lock without agents as having none", async () => {
    const dir = await mkdtemp(join(tmpdir(), "plx-lock-"));
    const agent = (id: number, prompts: string[]) => ({
      id,
      path: `prompts/support/triage-${id}.agent.yaml`,
      version: 3,
      hash: hash("e"),
      labels: { prod: 2 },
      prompts,
      file: "f".repeat(64),
    });
    const withAgents: Lockfile = {
      ...lock,
      agents: { zz: agent(9, ["reply", "classify", "reply"]), aa: agent(8, []) },
    };
    const text = serializeLockfile(withAgents);
    // Without agents, a lock reads and writes exactly as before plx knew them.
    expect(text.startsWith(serializeLockfile(lock).slice(0, -3))).toBe(true);
    const lines = text.split("\n");
    const start = lines.indexOf('  "agents": {');
    expect(start).toBeGreaterThan(0);
    expect(lines.slice(start + 1, start + 3).map((line) => JSON.parse(`{${line.replace(/,$/, "")}}`))).toEqual([
      { aa: withAgents.agents.aa },
      { zz: { ...withAgents.agents.zz, prompts: ["classify", "reply"] } },
    ]);
    await writeFile(join(dir, "plx.lock"), text);
    expect(serializeLockfile(await readLockfile(dir))).toBe(text);
    await writeFile(join(dir, "plx.lock"), serializeLockfile(lock));
    expect((await readLockfile(dir)).agents).toEqual({});
    await writeFile(join(dir, "plx.lock"), text.replace('"prompts":[]', '"prompts":"none"'));
    const error = (await readLockfile(dir).catch((caught: unknown) => caught)) as PlxError;
    expect(error.message).toContain("agents.aa.prompts");
  });

  it("explains a lock file left broken by a merge", async () => {
    const dir = await mkdtemp(join(tmpdir(), "plx-lock-"));
    await writeFile(
      join(dir, "plx.lock"),
      '{\n<<<<<<< HEAD\n  "lockfileVersion": 1\n=======\n  "lockfileVersion": 1,\n>>>>>>> feature\n',
    );
    const error = (await readLockfile(dir).catch((caught: unknown) => caught)) as PlxError;
    expect(error).toBeInstanceOf(PlxError);
    expect(error.exitCode).toBe(2);
    expect(error.code).toBe("LOCK.CONFLICT_MARKERS");
    expect(error.message).toBe("A merge left conflict markers in plx.lock (lines 2–6).");
    expect(error.details).toMatchObject({ line: 2 });
    expect(error.hint).toContain("plx pull");
  });

  it("says plx.lock is not JSON when it is broken some other way", async () => {
    const dir = await mkdtemp(join(tmpdir(), "plx-lock-"));
    await writeFile(join(dir, "plx.lock"), '{\n  "lockfileVersion": 1,\n');
    const error = (await readLockfile(dir).catch((caught: unknown) => caught)) as PlxError;
    expect(error.code).toBe("LOCK.INVALID_JSON");
    expect(error.message).toContain("plx.lock is not valid JSON");
  });

  it("rejects an entry with the wrong shape, naming where", async () => {
    const dir = await mkdtemp(join(tmpdir(), "plx-lock-"));
    await writeFile(join(dir, "plx.lock"), JSON.stringify({ lockfileVersion: 1, templates: { a: { id: "one" } } }));
    const error = (await readLockfile(dir).catch((caught: unknown) => caught)) as PlxError;
    expect(error.message).toContain("templates.a.id");
  });

  it("keeps templates and labels named __proto__, constructor or toString as ordinary entries", async () => {
    const dir = await mkdtemp(join(tmpdir(), "plx-lock-"));
    const entry = (id: number, name: string, labels: Record<string, number>) => ({
      id,
      path: `prompts/${name}.prompt.yaml`,
      version: 2,
      hash: hash("d"),
      labels,
      snippets: [],
    });
    const text = `{"lockfileVersion":1,"templates":{"__proto__":${JSON.stringify(entry(1, "p", { prod: 1 }))},"constructor":${JSON.stringify(entry(2, "c", {}))}}}`;
    // An object literal cannot hold a __proto__ key of its own, so that label is spliced into the text.
    await writeFile(join(dir, "plx.lock"), text.replace('"labels":{"prod":1}', '"labels":{"__proto__":2,"prod":1}'));
    const read = await readLockfile(dir);
    expect(Object.keys(read.templates)).toEqual(["__proto__", "constructor"]);
    expect(Object.hasOwn(read.templates, "__proto__") && read.templates["__proto__"]!.id).toBe(1);
    expect(Object.entries(read.templates["__proto__"]!.labels)).toEqual([
      ["__proto__", 2],
      ["prod", 1],
    ]);
    expect(read.templates["toString"]).toBeUndefined();
    expect(serializeLockfile(read)).toContain('"__proto__": {"id":1');
  });

  it("rejects a label whose version is not a version number, and reads ./ paths as the same file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "plx-lock-"));
    const good = { id: 1, path: "./a.prompt.yaml", version: 1, hash: hash("a"), labels: {}, snippets: [] };
    await writeFile(join(dir, "plx.lock"), JSON.stringify({ lockfileVersion: 1, templates: { a: good } }));
    expect((await readLockfile(dir)).templates.a!.path).toBe("a.prompt.yaml");
    await writeFile(
      join(dir, "plx.lock"),
      JSON.stringify({ lockfileVersion: 1, templates: { a: { ...good, labels: { prod: "1" } } } }),
    );
    const error = (await readLockfile(dir).catch((caught: unknown) => caught)) as PlxError;
    expect(error.message).toContain("templates.a.labels.prod: expected a positive whole version number");
  });
});
