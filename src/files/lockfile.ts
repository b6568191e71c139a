import { readFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { z } from "zod";
import {
  emptyLockfile,
  LOCKFILE_NAME,
  LOCKFILE_VERSION,
  serializeLockfile,
  type LockEntry,
  type Lockfile,
} from "../core/lock.js";
import { nameKeyed } from "../core/records.js";
import { plxError } from "../errors/index.js";
import { writeFileAtomic } from "./atomic.js";

const lockEntrySchema = z.object({
  id: z.number().int().positive(),
  path: z.string().min(1),
  version: z.number().int().positive(),
  hash: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  labels: z.record(z.string(), z.unknown()),
  snippets: z.array(z.string()),
  file: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});

const lockfileSchema = z.object({
  lockfileVersion: z.literal(LOCKFILE_VERSION),
  labels: z.array(z.string()).optional(),
  templates: z.record(z.string(), z.unknown()),
});

const isVersionNumber = (value: unknown): value is number =>
  typeof value === "number" && Number.isInteger(value) && value > 0;

/** Reads plx.lock from the repo root; a missing file is an empty lock (nothing synced yet). */
export async function readLockfile(rootDir: string): Promise<Lockfile> {
  const path = join(rootDir, LOCKFILE_NAME);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return emptyLockfile();
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw plxError("LOCK.INVALID_JSON", { problem: (error as Error).message, file: path });
  }
  const invalid = (where: Array<string | number>, message: string) =>
    plxError("LOCK.UNSUPPORTED", { where: where.join("."), problem: message, file: path });
  const parsed = lockfileSchema.safeParse(json);
  if (!parsed.success) throw invalid(parsed.error.issues[0]!.path as string[], parsed.error.issues[0]!.message);
  // Entries and labels are walked from the JSON itself: zod's records skip a key named `__proto__`, and a template
  // or label may well be called that.
  const templates = nameKeyed<LockEntry>();
  for (const [name, value] of Object.entries((json as { templates: Record<string, unknown> }).templates)) {
    const entry = lockEntrySchema.safeParse(value);
    if (!entry.success)
      throw invalid(["templates", name, ...(entry.error.issues[0]!.path as string[])], entry.error.issues[0]!.message);
    const labels = nameKeyed<number>();
    for (const [label, version] of Object.entries((value as { labels: Record<string, unknown> }).labels)) {
      if (!isVersionNumber(version))
        throw invalid(["templates", name, "labels", label], "expected a positive whole version number");
      labels[label] = version;
    }
    // Written as `./x.prompt.yaml` by a plx whose prompts directory was the repository root: the same file as `x.prompt.yaml`.
    templates[name] = { ...entry.data, path: posix.normalize(entry.data.path), labels };
  }
  return { lockfileVersion: LOCKFILE_VERSION, labels: [...new Set(parsed.data.labels ?? [])], templates };
}

export async function writeLockfile(rootDir: string, lock: Lockfile): Promise<boolean> {
  return writeFileAtomic(join(rootDir, LOCKFILE_NAME), serializeLockfile(lock));
}
