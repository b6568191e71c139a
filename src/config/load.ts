import type { Env } from "../core/env.js";
import { readFile, stat } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { isMap, isScalar, LineCounter, parseDocument, type Scalar } from "yaml";
import { labelNameProblem } from "../core/label-names.js";
import { nameKeyed } from "../core/records.js";
import { plxError } from "../errors/index.js";
import {
  CONFIG_DEFAULTS,
  CONFIG_FILE_NAME,
  configFileSchema,
  parseTrack,
  type ConfigFile,
  type ResolvedConfig,
} from "./schema.js";

/** Settings given on the command line; they beat the environment, which beats the file. */
export interface ConfigFlags {
  promptsDir?: string;
  baseUrl?: string;
  externalIdSource?: string;
  concurrency?: number;
  track?: string;
}

/** Walks up from `cwd` to the first plx.config.yaml, stopping at the repository root (a directory holding .git). */
export async function findConfigFile(cwd: string): Promise<string | undefined> {
  let dir = resolve(cwd);
  for (;;) {
    const candidate = join(dir, CONFIG_FILE_NAME);
    if (await exists(candidate)) return candidate;
    if ((await exists(join(dir, ".git"))) || dirname(dir) === dir) return undefined;
    dir = dirname(dir);
  }
}

export async function loadConfig(cwd: string, flags: ConfigFlags, env: Env): Promise<ResolvedConfig> {
  const configFile = await findConfigFile(cwd);
  const fromFile = configFile ? await readConfigFile(configFile) : {};
  const rootDir = configFile ? dirname(configFile) : resolve(cwd);
  const where = configFile ? relative(cwd, configFile) || CONFIG_FILE_NAME : undefined;
  const envValue = (name: string) => (env[name]?.trim() ? env[name]!.trim() : undefined);

  const envConcurrency = envValue("PLX_CONCURRENCY");
  const concurrency =
    flags.concurrency ??
    (envConcurrency === undefined ? undefined : parseEnvInteger("PLX_CONCURRENCY", envConcurrency)) ??
    fromFile.concurrency ??
    CONFIG_DEFAULTS.concurrency;

  const trackText = flags.track ?? envValue("PLX_TRACK") ?? fromFile.track ?? CONFIG_DEFAULTS.track;
  const track = parseTrack(trackText);
  if (!track || (track.kind === "label" && labelNameProblem(track.label) !== undefined)) {
    throw plxError("CONFIG.TRACK_INVALID", { value: trackText, ...(where ? { file: where } : {}) });
  }

  const promptsDir =
    flags.promptsDir ?? envValue("PLX_PROMPTS_DIR") ?? fromFile.promptsDir ?? CONFIG_DEFAULTS.promptsDir;
  const promptsPath = resolve(rootDir, promptsDir);
  if (isAbsolute(promptsDir) || relative(rootDir, promptsPath).startsWith("..")) {
    throw plxError("CONFIG.PROMPTS_DIR_OUTSIDE", { dir: promptsDir });
  }

  return {
    rootDir,
    configFile,
    promptsDir: relative(rootDir, promptsPath) || ".",
    baseUrl: (
      flags.baseUrl ??
      envValue("PLX_BASE_URL") ??
      envValue("PROMPTLAYER_BASE_URL") ??
      fromFile.baseUrl ??
      CONFIG_DEFAULTS.baseUrl
    ).replace(/\/+$/, ""),
    externalIdSource:
      flags.externalIdSource ??
      envValue("PLX_EXTERNAL_ID_SOURCE") ??
      fromFile.externalIdSource ??
      CONFIG_DEFAULTS.externalIdSource,
    concurrency,
    track,
    labelAssignments: nameKeyed(fromFile.labels),
    ignore: fromFile.ignore ?? [],
  };
}

async function readConfigFile(path: string): Promise<ConfigFile> {
  const text = await readFile(path, "utf8");
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const name = CONFIG_FILE_NAME;
  if (document.errors.length > 0) {
    const first = document.errors[0]!;
    const position = lineCounter.linePos(first.pos[0]);
    throw plxError("CONFIG.YAML_SYNTAX", {
      name,
      file: path,
      line: position.line,
      col: position.col,
      problem: first.message.split("\n")[0] ?? "",
    });
  }
  const contents = document.contents;
  if (contents !== null && !isMap(contents)) {
    throw plxError("CONFIG.NOT_A_MAPPING", { name, file: path });
  }
  const parsed = configFileSchema.safeParse(document.toJS() ?? {});
  if (parsed.success) return parsed.data;

  const problems = parsed.error.issues.map((issue) => {
    const unknownKey = issue.code === "unrecognized_keys";
    // An unknown key is reported where it is written; an invalid value or record key (a label name) where it is.
    const path = unknownKey ? [issue.keys[0]!] : issue.path.map(String);
    const keyNode = keyNodeAt(contents, path);
    const offset = keyNode?.range?.[0];
    const at = offset === undefined ? "" : `:${lineCounter.linePos(offset).line}:${lineCounter.linePos(offset).col}`;
    if (unknownKey) return `${name}${at}: unknown key "${issue.keys.join('", "')}"`;
    const reason = issue.code === "invalid_key" ? (issue.issues[0]?.message ?? issue.message) : issue.message;
    return `${name}${at}: "${path.join(".")}" ${reason}`;
  });
  throw plxError("CONFIG.INVALID_KEYS", { problems, validKeys: Object.keys(configFileSchema.shape), file: path });
}

/** The key node of the last step of `path` that the file spells out, so a problem points at the deepest key named. */
function keyNodeAt(contents: unknown, path: readonly string[]): Scalar | undefined {
  let node = contents;
  let found: Scalar | undefined;
  for (const step of path) {
    if (!isMap(node)) break;
    const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === step);
    if (!pair) break;
    found = pair.key as Scalar;
    node = pair.value;
  }
  return found;
}

function parseEnvInteger(name: string, value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed < 1 || parsed > 256) {
    throw plxError("CONFIG.ENV_INVALID", { name, value, expected: "a whole number from 1 to 256" });
  }
  return parsed;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
