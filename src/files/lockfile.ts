import { readFile } from "node:fs/promises";
import { join, posix } from "node:path";
import {
  type AgentLockEntry,
  emptyLockfile,
  LOCKFILE_NAME,
  LOCKFILE_VERSION,
  serializeLockfile,
  type LockEntry,
  type Lockfile,
  type SyncedEntry,
} from "../core/lock.js";
import { conflictRegions, describeRegion } from "../core/conflict-markers.js";
import { nameKeyed } from "../core/records.js";
import { plxError } from "../errors/index.js";
import { writeFileAtomic } from "./atomic.js";

const HASH = /^sha256:[0-9a-f]{64}$/;
const FILE_HASH = /^[0-9a-f]{64}$/;

const isVersionNumber = (value: unknown): value is number =>
  typeof value === "number" && Number.isInteger(value) && value > 0;
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * What is wrong with one entry, as [where inside it, problem], or undefined when it is one. `names` is the list of
 * names it holds: a template's `snippets`, an agent's `prompts`. Checked by hand: plx.lock is read by every command,
 * and schema parsing a thousand entries cost more than the rest of `plx status`.
 */
function entryProblem(value: unknown, names: "snippets" | "prompts"): [string[], string] | undefined {
  if (!isRecord(value)) return [[], "expected an object"];
  if (!isVersionNumber(value.id)) return [["id"], "expected a positive whole number"];
  if (typeof value.path !== "string" || value.path === "") return [["path"], "expected a non-empty string"];
  if (!isVersionNumber(value.version)) return [["version"], "expected a positive whole version number"];
  if (typeof value.hash !== "string" || !HASH.test(value.hash)) return [["hash"], "expected sha256: and 64 hex digits"];
  if (!isRecord(value.labels)) return [["labels"], "expected an object"];
  const list = value[names];
  if (!Array.isArray(list) || !list.every((name) => typeof name === "string"))
    return [[names], "expected a list of names"];
  if (value.file !== undefined && (typeof value.file !== "string" || !FILE_HASH.test(value.file)))
    return [["file"], "expected 64 hex digits"];
  return undefined;
}

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
  const [conflict] = conflictRegions(text);
  if (conflict)
    throw plxError("LOCK.CONFLICT_MARKERS", { where: describeRegion(conflict), line: conflict.start, file: path });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw plxError("LOCK.INVALID_JSON", { problem: (error as Error).message, file: path });
  }
  const invalid = (where: Array<string | number>, message: string) =>
    plxError("LOCK.UNSUPPORTED", { where: where.join("."), problem: message, file: path });
  if (!isRecord(json)) throw invalid([], "expected an object");
  if (json.lockfileVersion !== LOCKFILE_VERSION) throw invalid(["lockfileVersion"], `expected ${LOCKFILE_VERSION}`);
  if (json.labels !== undefined && (!Array.isArray(json.labels) || !json.labels.every((l) => typeof l === "string")))
    throw invalid(["labels"], "expected a list of label names");
  if (!isRecord(json.templates)) throw invalid(["templates"], "expected an object");
  // Absent from locks written before plx synced agents: none.
  if (json.agents !== undefined && !isRecord(json.agents)) throw invalid(["agents"], "expected an object");

  // Entries and labels are walked from the JSON itself, into records without a prototype: a template, agent or label
  // may well be called `__proto__`.
  const section = <E extends SyncedEntry>(
    key: "templates" | "agents",
    names: "snippets" | "prompts",
    entries: Record<string, unknown>,
  ): Record<string, E> => {
    const read = nameKeyed<E>();
    for (const [name, value] of Object.entries(entries)) {
      const problem = entryProblem(value, names);
      if (problem) throw invalid([key, name, ...problem[0]], problem[1]);
      const entry = value as Record<string, unknown> & SyncedEntry;
      const labels = nameKeyed<number>();
      for (const [label, version] of Object.entries(entry.labels)) {
        if (!isVersionNumber(version))
          throw invalid([key, name, "labels", label], "expected a positive whole version number");
        labels[label] = version;
      }
      // Written as `./x.prompt.yaml` by a plx whose prompts directory was the repository root: the same file as
      // `x.prompt.yaml`.
      read[name] = {
        id: entry.id,
        path: posix.normalize(entry.path),
        version: entry.version,
        hash: entry.hash,
        labels,
        [names]: entry[names],
        ...(entry.file === undefined ? {} : { file: entry.file }),
      } as unknown as E;
    }
    return read;
  };
  return {
    lockfileVersion: LOCKFILE_VERSION,
    labels: [...new Set((json.labels as string[] | undefined) ?? [])],
    templates: section<LockEntry>("templates", "snippets", json.templates),
    agents: section<AgentLockEntry>("agents", "prompts", json.agents ?? {}),
  };
}

export async function writeLockfile(rootDir: string, lock: Lockfile): Promise<boolean> {
  return writeFileAtomic(join(rootDir, LOCKFILE_NAME), serializeLockfile(lock));
}
