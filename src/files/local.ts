// Reading the prompts directory: every `.prompt.yaml` and `.agent.yaml` file under it, hashed, parsed when needed and
// checked for the problems that must stop a sync before anything is sent or written (bad YAML, binary or huge files,
// symlinks leading out, two files claiming one template or one agent).
import { createHash } from "node:crypto";
import { lstatSync, readFileSync, realpathSync, type Stats } from "node:fs";
import { isAbsolute, join, posix, relative, sep } from "node:path";
import { type AgentDoc, agentContentHash, promptNamesIn } from "../agents/doc.js";
import { contentHash } from "../core/canonical.js";
import type { AgentLockEntry, LockEntry, Lockfile, SyncedEntry } from "../core/lock.js";
import { snippetNamesIn } from "../core/snippets.js";
import type { TemplateDoc } from "../core/template.js";
import { parseAgentFile } from "./agent-file.js";
import type { FileStamp, StatCache } from "./stat-cache.js";
import { findBySuffix } from "./walk.js";
import { isInside, realPromptsDir } from "./containment.js";
import { AGENT_FILE_SUFFIX, type FileSuffix, locationFromPath, PROMPT_FILE_SUFFIX } from "./paths.js";
import { parsePromptFile, type FileProblem } from "./prompt-file.js";

/** A file of the prompts directory, read: a prompt's or an agent's. */
interface LocalDocument<Doc extends NamedDoc> {
  /** Repo-relative, forward slashes. */
  path: string;
  name: string;
  folder: string[];
  /** Content hash of the canonical content. */
  readonly hash: string;
  /** sha256 of the file's bytes. */
  fileHash: string;
  /** The file's text; a file known unchanged from the cache is read only when this is first asked for. */
  readonly text: string;
  /** The parsed document; a file byte-identical to the last sync is parsed only when this is first read. */
  readonly doc: Doc;
}

interface NamedDoc {
  name: string;
  folder: string[];
}

export interface LocalTemplate extends LocalDocument<TemplateDoc> {
  readonly snippets: string[];
}

export interface LocalAgent extends LocalDocument<AgentDoc> {
  /** Names of the prompts its nodes refer to. */
  readonly prompts: string[];
}

export interface LocalScan {
  templates: LocalTemplate[];
  problems: FileProblem[];
}

export interface AgentScan {
  agents: LocalAgent[];
  problems: FileProblem[];
}

export interface ScanOptions {
  /** Repo-relative paths to read instead of the whole directory (as a pre-commit hook passes them); others are ignored. */
  only?: readonly string[];
  /** The lock: files it records byte for byte are known without parsing. */
  lock?: Lockfile;
  /** What earlier runs learnt: files it vouches for are known without even being read. Updated by the scan. */
  cache?: StatCache;
}

/**
 * Far larger than any real prompt, yet above the multi-megabyte templates PromptLayer does hold, so every file pull
 * writes can be read back; refusing beyond it keeps a stray dump from being parsed and sent.
 */
export const MAX_PROMPT_FILE_BYTES = 32 * 1024 * 1024;

const toPosix = (path: string) => path.split(sep).join("/");

/** The prompt files of `<rootDir>/<promptsDir>`, and the problems that keep any from being read. */
export async function scanPromptFiles(
  rootDir: string,
  promptsDir: string,
  options: ScanOptions = {},
): Promise<LocalScan> {
  const { files, problems } = await scanKind(rootDir, promptsDir, options, PROMPT_KIND);
  return { templates: files, problems };
}

/** Scans the agent files of `<rootDir>/<promptsDir>`, as scanPromptFiles does prompt files. */
export async function scanAgentFiles(
  rootDir: string,
  promptsDir: string,
  options: ScanOptions = {},
): Promise<AgentScan> {
  const { files, problems } = await scanKind(rootDir, promptsDir, options, AGENT_KIND);
  return { agents: files, problems };
}

/** What differs between reading prompt files and agent files. */
interface FileKind<Doc extends NamedDoc, File extends LocalDocument<Doc>, Entry extends SyncedEntry> {
  suffix: FileSuffix;
  /** What files are called in messages: "template" or "agent". */
  noun: string;
  entries: (lock: Lockfile) => Record<string, Entry>;
  parse: (
    text: string,
    path: string,
    promptsDir: string,
  ) => { ok: true; doc: Doc } | { ok: false; problems: FileProblem[] };
  /** A parsed file; its hash and references are worked out on first use (`plx check` needs neither). */
  parsed: (facts: Omit<LocalDocument<Doc>, "hash">) => File;
  /** A file exactly as the last sync left it: what it holds is in the lock; its text is read when asked for. */
  trusted: (facts: Omit<LocalDocument<Doc>, "doc" | "hash" | "text">, entry: Entry, lazy: Lazy<Doc>) => File;
}

const PROMPT_KIND: FileKind<TemplateDoc, LocalTemplate, LockEntry> = {
  suffix: PROMPT_FILE_SUFFIX,
  noun: "template",
  entries: (lock) => lock.templates,
  parse: parsePromptFile,
  parsed: (facts) => {
    let hash: string | undefined;
    let snippets: string[] | undefined;
    return {
      ...facts,
      get hash() {
        return (hash ??= contentHash(facts.doc));
      },
      get snippets() {
        return (snippets ??= snippetNamesIn(facts.doc.promptTemplate));
      },
    };
  },
  trusted: (facts, entry, lazy) => ({
    ...facts,
    hash: entry.hash,
    snippets: entry.snippets,
    get text() {
      return lazy.text();
    },
    get doc() {
      return lazy.doc();
    },
  }),
};

const AGENT_KIND: FileKind<AgentDoc, LocalAgent, AgentLockEntry> = {
  suffix: AGENT_FILE_SUFFIX,
  noun: "agent",
  entries: (lock) => lock.agents,
  parse: parseAgentFile,
  parsed: (facts) => {
    let hash: string | undefined;
    return {
      ...facts,
      get hash() {
        return (hash ??= agentContentHash(facts.doc));
      },
      prompts: promptNamesIn(facts.doc),
    };
  },
  trusted: (facts, entry, lazy) => ({
    ...facts,
    hash: entry.hash,
    prompts: entry.prompts,
    get text() {
      return lazy.text();
    },
    get doc() {
      return lazy.doc();
    },
  }),
};

/** A trusted file's text and document, each worked out on first use. */
interface Lazy<Doc> {
  text: () => string;
  doc: () => Doc;
}

/**
 * Files are read synchronously, one after another: for a thousand small files that is several times faster than a
 * thousand concurrent reads through libuv's small thread pool.
 */
async function scanKind<Doc extends NamedDoc, File extends LocalDocument<Doc>, Entry extends SyncedEntry>(
  rootDir: string,
  promptsDir: string,
  options: ScanOptions,
  kind: FileKind<Doc, File, Entry>,
): Promise<{ files: File[]; problems: FileProblem[] }> {
  const paths = await filesOfKind(rootDir, promptsDir, kind.suffix, options.only);
  const realBase = realPromptsDir(rootDir, promptsDir);
  const known = new Map<string, [string, Entry]>();
  for (const [name, entry] of Object.entries(options.lock ? kind.entries(options.lock) : {}))
    if (entry.file) known.set(entry.path, [name, entry]);

  const files: File[] = [];
  const problems: FileProblem[] = [];
  // A file exactly as the last sync left it: what it holds is in the lock, and it is parsed only if someone asks.
  const trusted = (path: string, name: string, entry: Entry, readText: () => string) => {
    let text: string | undefined;
    let doc: Doc | undefined;
    const lazy: Lazy<Doc> = {
      text: () => (text ??= readText()),
      doc: () => {
        if (doc) return doc;
        const parsed = kind.parse(lazy.text(), path, promptsDir);
        // The lock recorded these very bytes after reading or writing them, so they parsed then and parse now.
        if (!parsed.ok) throw new Error(`${path} no longer parses although it is unchanged since the last sync`);
        doc = parsed.doc;
        return doc;
      },
    };
    const folder = locationFromPath(path, promptsDir).folder;
    return kind.trusted({ path, name, folder, fileHash: entry.file! }, entry, lazy);
  };
  for (const path of paths) {
    const recorded = known.get(path);
    const absolute = join(rootDir, path);
    if (recorded && options.cache) {
      // The cache vouches for the bytes, and they are the ones the last sync left: nothing to read.
      const stamp = regularFileStamp(absolute);
      if (stamp && options.cache.fileHash(path, stamp) === recorded[1].file) {
        files.push(trusted(path, recorded[0], recorded[1], () => readFileSync(absolute, "utf8")));
        continue;
      }
    }
    const read = readFileBytes(rootDir, realBase, path);
    if ("problems" in read) {
      problems.push(...read.problems);
      continue;
    }
    const { bytes, fileHash } = read;
    if (read.stamp) options.cache?.remember(path, read.stamp, fileHash);
    if (recorded && recorded[1].file === fileHash) {
      const text = bytes.toString("utf8");
      files.push(trusted(path, recorded[0], recorded[1], () => text));
      continue;
    }
    const decoded = decodeText(path, bytes);
    if ("problems" in decoded) {
      problems.push(...decoded.problems);
      continue;
    }
    const parsed = kind.parse(decoded.text, path, promptsDir);
    if (!parsed.ok) problems.push(...parsed.problems);
    else {
      const { name, folder } = parsed.doc;
      files.push(kind.parsed({ path, name, folder, fileHash, text: decoded.text, doc: parsed.doc }));
    }
  }
  problems.push(...duplicateNames(files, kind.noun));
  return { files, problems };
}

/**
 * Repo-relative paths, sorted, of the files with this suffix under the prompts directory; or of those among `only`
 * (repo-relative or absolute paths, as a pre-commit hook passes them) that have it and lie inside the directory.
 */
export async function filesOfKind(
  rootDir: string,
  promptsDir: string,
  suffix: FileSuffix,
  only?: readonly string[],
): Promise<string[]> {
  const paths = only
    ? only
        .map((path) => toPosix(isAbsolute(path) ? relative(rootDir, path) : path))
        .filter((path) => path.endsWith(suffix) && path.length > suffix.length && isInside(path, promptsDir))
    : findBySuffix(join(rootDir, promptsDir), suffix).map((path) => posix.join(promptsDir, path));
  return paths.sort();
}

type Problems = { problems: FileProblem[] };
const problemAt = (path: string, message: string, hint: string): Problems => ({
  problems: [{ path, line: 1, col: 1, message, hint }],
});

/**
 * A file's bytes and their sha256, once it is known to be a regular file (or a link that stays inside the prompts
 * directory), not empty and within the size limit.
 */
export function readFileBytes(
  rootDir: string,
  realBase: string,
  path: string,
): { bytes: Buffer; fileHash: string; stamp?: FileStamp } | Problems {
  const fail = (message: string, hint: string) => problemAt(path, message, hint);
  const absolute = join(rootDir, path);
  let info: ReturnType<typeof lstatSync>;
  try {
    info = lstatSync(absolute);
  } catch {
    return fail("the file does not exist", "Pass paths of existing prompt files, relative to the repository root.");
  }
  if (info.isSymbolicLink()) {
    let target: string | undefined;
    try {
      target = realpathSync(absolute);
    } catch {
      target = undefined;
    }
    if (!target || !isInside(target, realBase))
      return fail(
        "the file is a symbolic link that leads outside the prompts directory",
        "Replace the link with the file itself; plx never reads outside the prompts directory.",
      );
  } else if (!info.isFile()) {
    return fail("not a regular file", "Rename it so it does not end in .prompt.yaml or .agent.yaml.");
  }
  if (info.size > MAX_PROMPT_FILE_BYTES)
    return fail(
      `the file is ${info.size} bytes, over the ${MAX_PROMPT_FILE_BYTES}-byte limit for a prompt`,
      "A prompt file holds one template; move large data elsewhere.",
    );
  const bytes = readFileSync(absolute);
  if (bytes.length > MAX_PROMPT_FILE_BYTES)
    return fail(
      `the file is ${bytes.length} bytes, over the ${MAX_PROMPT_FILE_BYTES}-byte limit for a prompt`,
      "A prompt file holds one template; move large data elsewhere.",
    );
  if (bytes.length === 0) return fail("the file is empty", "Delete it, or run `plx pull` to write the template again.");
  // A link's own times say nothing about its target's: only regular files are vouched for by their stamp.
  const stamp = info.isFile() ? stampOf(info) : undefined;
  return { bytes, fileHash: createHash("sha256").update(bytes).digest("hex"), ...(stamp ? { stamp } : {}) };
}

const stampOf = (info: Stats): FileStamp => ({
  size: info.size,
  mtimeMs: info.mtimeMs,
  ctimeMs: info.ctimeMs,
  ino: info.ino,
});

/** The stamp of a regular file (not a link, not missing). */
function regularFileStamp(absolute: string): FileStamp | undefined {
  try {
    const info = lstatSync(absolute);
    return info.isFile() ? stampOf(info) : undefined;
  } catch {
    return undefined;
  }
}

/** The bytes as text, when they are UTF-8 and not binary. */
export function decodeText(path: string, bytes: Buffer): { text: string } | Problems {
  if (bytes.includes(0))
    return problemAt(
      path,
      "the file is binary, not YAML text",
      "Prompt files are UTF-8 YAML; check what was saved under this name.",
    );
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    return problemAt(path, "the file is not valid UTF-8", "Save it as UTF-8.");
  }
}

/** Names are unique per workspace, so two files naming one template (or one agent) cannot both be synced. */
function duplicateNames(files: ReadonlyArray<{ name: string; path: string }>, noun: string): FileProblem[] {
  const byName = new Map<string, Array<{ name: string; path: string }>>();
  for (const file of files) byName.set(file.name, [...(byName.get(file.name) ?? []), file]);
  return [...byName.values()]
    .filter((claims) => claims.length > 1)
    .flatMap((claims) =>
      claims.map((claim) => ({
        path: claim.path,
        line: 1,
        col: 1,
        message: `${noun} name "${claim.name}" is also claimed by ${claims
          .filter((other) => other !== claim)
          .map((other) => other.path)
          .join(", ")}`,
        hint: `Names are unique per workspace among ${noun}s: rename one file, or give it a different \`name:\`.`,
      })),
    );
}
