import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { emptyLockfile, LOCKFILE_NAME, LOCKFILE_VERSION, serializeLockfile, type Lockfile } from "../core/lock.js";
import { nameKeyed } from "../core/records.js";
import { configError } from "../errors.js";
import { writeFileAtomic } from "./atomic.js";

const lockEntrySchema = z.object({
  id: z.number().int().positive(),
  path: z.string().min(1),
  version: z.number().int().positive(),
  hash: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  labels: z.record(z.string(), z.number().int().positive()),
  snippets: z.array(z.string()),
  file: z.string().regex(/^[0-9a-f]{64}$/).optional(),
});

const lockfileSchema = z.object({
  lockfileVersion: z.literal(LOCKFILE_VERSION),
  templates: z.record(z.string(), lockEntrySchema),
});

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
    throw configError(`${LOCKFILE_NAME} is not valid JSON: ${(error as Error).message}.`, lockHint, { file: path });
  }
  const parsed = lockfileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw configError(`${LOCKFILE_NAME} is not a lock file this plx understands: ${issue.path.join(".") || "(root)"}: ${issue.message}.`, lockHint, {
      file: path,
    });
  }
  const templates = Object.entries(parsed.data.templates).map(([name, entry]) => [name, { ...entry, labels: nameKeyed(entry.labels) }] as const);
  return { lockfileVersion: LOCKFILE_VERSION, templates: nameKeyed(Object.fromEntries(templates)) };
}

const lockHint = `If a merge left conflict markers in ${LOCKFILE_NAME}, take either side and run \`plx pull\`, which rewrites it.`;

export async function writeLockfile(rootDir: string, lock: Lockfile): Promise<boolean> {
  return writeFileAtomic(join(rootDir, LOCKFILE_NAME), serializeLockfile(lock));
}
