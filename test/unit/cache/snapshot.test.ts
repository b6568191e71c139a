// The snapshot file round-trips every read exactly (a custom provider's key aside), and a file that is not one is
// refused with an error naming it.
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CacheEntry, Selector } from "../../../src/cache/entries.js";
import { readSnapshot, writeSnapshot } from "../../../src/cache/snapshot.js";
import { isPlxError } from "../../../src/errors/index.js";

const selector: fc.Arbitrary<Selector> = fc.oneof(
  fc.constant({ kind: "latest" } as const),
  fc.integer({ min: 1, max: 1000 }).map((version) => ({ kind: "version", version }) as const),
  fc.string({ minLength: 1, maxLength: 12 }).map((label) => ({ kind: "label", label }) as const),
);
const body = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }) as fc.Arbitrary<
  Record<string, any>
>;
const entry: fc.Arbitrary<CacheEntry> = fc.oneof(
  fc.record({
    kind: fc.constant("template" as const),
    templateId: fc.integer({ min: 1 }),
    selector,
    view: fc.constantFrom("resolved" as const, "unresolved" as const),
    body: body.map((value) => ({ ...value, custom_provider: null })),
    fetchedAt: fc.integer({ min: 0, max: 2 ** 42 }),
  }),
  fc.record({
    kind: fc.constant("list" as const),
    query: fc.string(),
    body,
    fetchedAt: fc.integer({ min: 0, max: 2 ** 42 }),
  }),
);

const dir = await mkdtemp(join(tmpdir(), "plx-snapshot-"));

describe("cache snapshots", () => {
  it("read back exactly what was written", async () => {
    const file = join(dir, "round-trip.json");
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 5 }), async (entries) => {
        const snapshot = {
          upstream: "https://api.promptlayer.com",
          workspaceId: 7,
          labels: ["prod"],
          registry: { templates: [{ id: 1, name: "a", latestVersion: 2 }], labels: { prod: { 1: 2 } } },
          entries,
        };
        await writeSnapshot(file, snapshot, new Date("2026-01-02T03:04:05Z"));
        const read = await readSnapshot(file);
        // JSON has no -0; a value that was -0 comes back 0, as it would from PromptLayer.
        expect(read).toEqual(JSON.parse(JSON.stringify(snapshot)));
      }),
      { numRuns: 50 },
    );
  });

  it("leave a custom provider's API key out of the file", async () => {
    const file = join(dir, "provider.json");
    const secret = "sk-provider-secret-0123456789";
    await writeSnapshot(
      file,
      {
        upstream: "https://api.promptlayer.com",
        workspaceId: 1,
        labels: [],
        registry: undefined,
        entries: [
          {
            kind: "template",
            templateId: 1,
            selector: { kind: "latest" },
            view: "resolved",
            body: { id: 1, custom_provider: { id: 3, name: "mine", api_key: secret, base_url: "https://llm.example" } },
            fetchedAt: 1,
          },
        ],
      },
      new Date(),
    );
    const text = await readFile(file, "utf8");
    expect(text).not.toContain(secret);
    const read = await readSnapshot(file);
    expect(read?.entries[0]?.body.custom_provider).toEqual({ id: 3, name: "mine", base_url: "https://llm.example" });
  });

  it("are absent, not an error, when the file does not exist yet", async () => {
    expect(await readSnapshot(join(dir, "missing.json"))).toBeUndefined();
  });

  it.each([
    ["not JSON", "{", "it is not JSON"],
    ["another file format", JSON.stringify({ templates: [] }), "Invalid input"],
  ])("refuse %s, naming the file", async (_title, content, problem) => {
    const file = join(dir, `bad-${problem.length}.json`);
    await writeFile(file, content);
    const error = await readSnapshot(file).catch((caught: unknown) => caught);
    expect(isPlxError(error)).toBe(true);
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toContain(problem);
    expect((error as { exitCode: number }).exitCode).toBe(2);
  });
});
