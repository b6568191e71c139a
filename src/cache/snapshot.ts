// The snapshot file: every cached read, written atomically after each change, so a cache restarted while PromptLayer
// is down still answers with the last good state, and a build step can bake one into an image
// (`plx cache export`) as the cold-start fallback.
import { readFile } from "node:fs/promises";
import { z } from "zod";
import type { JsonObject } from "../core/template.js";
import { plxError } from "../errors/index.js";
import { writeFileAtomic } from "../files/atomic.js";
import type { RegistryListing } from "./changes.js";
import type { CacheEntry, Selector } from "./entries.js";

export const SNAPSHOT_FORMAT = "plx-cache-snapshot";
export const SNAPSHOT_VERSION = 1;

export interface Snapshot {
  /** The PromptLayer API the reads came from. */
  upstream: string;
  workspaceId: number | undefined;
  /** The labels kept warm when it was written. */
  labels: string[];
  /** The registry as the last resync listed it; lets the next one tell what moved meanwhile. */
  registry: RegistryListing | undefined;
  entries: CacheEntry[];
}

const selectorSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("latest") }),
  z.object({ kind: z.literal("version"), version: z.number().int().positive() }),
  z.object({ kind: z.literal("label"), label: z.string().min(1) }),
]);

const bodySchema = z.record(z.string(), z.unknown()) as unknown as z.ZodType<JsonObject>;

const entrySchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("template"),
    template_id: z.number().int(),
    selector: selectorSchema,
    view: z.enum(["resolved", "unresolved"]),
    fetched_at: z.number(),
    body: bodySchema,
  }),
  z.object({ kind: z.literal("list"), query: z.string(), fetched_at: z.number(), body: bodySchema }),
]);

const listingSchema = z.object({
  templates: z.array(z.object({ id: z.number().int(), name: z.string(), latestVersion: z.number().int() })),
  labels: z.record(z.string(), z.record(z.string(), z.number().int())),
});

const snapshotSchema = z.object({
  format: z.literal(SNAPSHOT_FORMAT),
  version: z.literal(SNAPSHOT_VERSION),
  written_at: z.string(),
  upstream: z.string(),
  workspace_id: z.number().int().nullable(),
  labels: z.array(z.string()),
  registry: listingSchema.nullable(),
  entries: z.array(entrySchema),
});

/** The snapshot in `file`, or undefined when there is none yet. A file that is not one is an error naming it. */
export async function readSnapshot(file: string): Promise<Snapshot | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw plxError("CACHE.SNAPSHOT_UNREADABLE", { file, problem: (error as Error).message });
  }
  let parsed: z.infer<typeof snapshotSchema>;
  try {
    parsed = snapshotSchema.parse(JSON.parse(text));
  } catch (error) {
    const problem = error instanceof z.ZodError ? (error.issues[0]?.message ?? "unexpected content") : "it is not JSON";
    throw plxError("CACHE.SNAPSHOT_UNREADABLE", { file, problem });
  }
  return {
    upstream: parsed.upstream,
    workspaceId: parsed.workspace_id ?? undefined,
    labels: parsed.labels,
    registry: parsed.registry
      ? {
          templates: parsed.registry.templates,
          labels: Object.fromEntries(
            Object.entries(parsed.registry.labels).map(([label, versions]) => [
              label,
              Object.fromEntries(Object.entries(versions).map(([id, version]) => [Number(id), version])),
            ]),
          ),
        }
      : undefined,
    entries: parsed.entries.map(
      (entry): CacheEntry =>
        entry.kind === "list"
          ? { kind: "list", query: entry.query, body: entry.body, fetchedAt: entry.fetched_at }
          : {
              kind: "template",
              templateId: entry.template_id,
              selector: entry.selector as Selector,
              view: entry.view,
              body: entry.body,
              fetchedAt: entry.fetched_at,
            },
    ),
  };
}

/** Writes the snapshot atomically: a reader sees the previous file or this one, never a mix. */
export async function writeSnapshot(file: string, snapshot: Snapshot, now: Date): Promise<void> {
  await writeFileAtomic(file, serializeSnapshot(snapshot, now));
}

export function serializeSnapshot(snapshot: Snapshot, now: Date): string {
  const entries = snapshot.entries.map((entry) =>
    entry.kind === "list"
      ? { kind: "list", query: entry.query, fetched_at: entry.fetchedAt, body: entry.body }
      : {
          kind: "template",
          template_id: entry.templateId,
          selector: entry.selector,
          view: entry.view,
          fetched_at: entry.fetchedAt,
          body: withoutProviderKey(entry.body),
        },
  );
  return `${JSON.stringify(
    {
      format: SNAPSHOT_FORMAT,
      version: SNAPSHOT_VERSION,
      written_at: now.toISOString(),
      upstream: snapshot.upstream,
      workspace_id: snapshot.workspaceId ?? null,
      labels: snapshot.labels,
      registry: snapshot.registry ?? null,
      entries,
    },
    null,
    1,
  )}\n`;
}

/**
 * A read can carry a custom provider's API key (`custom_provider.api_key`). The cache hands it to clients that
 * are allowed to read, as PromptLayer does, but a snapshot is a file that gets copied into images: it is left out.
 */
function withoutProviderKey(body: JsonObject): JsonObject {
  const provider = body.custom_provider;
  if (provider === null || typeof provider !== "object" || Array.isArray(provider) || !("api_key" in provider))
    return body;
  const { api_key: _dropped, ...rest } = provider;
  return { ...body, custom_provider: rest };
}
