// The local side of every sync: plx.lock, the prompt files and the agent files, read together. An invalid file stops
// the command before anything is sent or written; files plx.config.yaml tells plx to ignore are neither read nor
// reported.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { LOCKFILE_NAME, type Lockfile } from "../core/lock.js";
import type { ResolvedConfig } from "../config/schema.js";
import { plxError } from "../errors/index.js";
import {
  type LocalAgent,
  type LocalScan,
  type LocalTemplate,
  scanAgentFiles,
  scanPromptFiles,
} from "../files/local.js";
import { readLockfile } from "../files/lockfile.js";
import { locationFromPath } from "../files/paths.js";
import { StatCache } from "../files/stat-cache.js";
import type { FileProblem } from "../files/prompt-file.js";
import { nameMatcher } from "./select.js";

export interface Repository {
  lock: Lockfile;
  templates: LocalTemplate[];
  agents: LocalAgent[];
}

/** The repository, refusing to go on while any prompt or agent file is invalid (as every command that writes must). */
export async function readRepository(config: ResolvedConfig): Promise<Repository> {
  const { lock, templates, agents, problems, cache } = await scan(config);
  if (problems.length > 0) throw plxError("LOCAL.INVALID_FILE", { problems });
  await cache.save();
  return { lock, templates, agents };
}

/** The repository and the files that could not be read, for commands that report and go on (status, diff). */
export async function readRepositoryTolerantly(
  config: ResolvedConfig,
): Promise<Repository & { problems: FileProblem[] }> {
  const { cache, ...repository } = await scan(config);
  await cache.save();
  return repository;
}

/** The lock and every prompt and agent file but the ignored ones; the stat cache learns what was read (unsaved). */
async function scan(config: ResolvedConfig) {
  const lock = await readLockfile(config.rootDir);
  const cache = StatCache.load(config.rootDir);
  // Agent files go through the same stat cache and lock shortcut as prompt files.
  const [prompts, agentScan] = await Promise.all([
    scanPromptFiles(config.rootDir, config.promptsDir, { lock, cache }),
    scanAgentFiles(config.rootDir, config.promptsDir, { lock, cache }),
  ]);
  const problems = [...prompts.problems, ...agentScan.problems];
  cache.keepOnly(
    new Set([
      ...prompts.templates.map((t) => t.path),
      ...agentScan.agents.map((a) => a.path),
      ...problems.map((problem) => problem.path),
    ]),
  );
  const keep = ignoreFilter(config);
  return {
    lock,
    templates: keep.files(prompts.templates),
    agents: keep.files(agentScan.agents),
    problems: keep.problems(problems),
    cache,
  };
}

/** A scan of the prompts directory without what plx.config.yaml's `ignore:` list says plx never touches. */
export function withoutIgnored(config: ResolvedConfig, scan: LocalScan): LocalScan {
  const keep = ignoreFilter(config);
  return { templates: keep.files(scan.templates), problems: keep.problems(scan.problems) };
}

/** Drops the files, and the problems of the files, that plx.config.yaml's `ignore:` list names. */
function ignoreFilter(config: ResolvedConfig) {
  const ignored = config.ignore.length > 0 ? nameMatcher(config.ignore) : undefined;
  const ignoredPath = (path: string) => {
    const { name, folder } = locationFromPath(path, config.promptsDir);
    return ignored?.(name, folder) === true;
  };
  return {
    files: <T extends { name: string; folder: string[] }>(files: T[]) =>
      ignored ? files.filter((file) => !ignored(file.name, file.folder)) : files,
    problems: (problems: FileProblem[]) =>
      ignored ? problems.filter((problem) => !ignoredPath(problem.path)) : problems,
  };
}

/**
 * Commands that read a repository need one: with no plx.config.yaml, no plx.lock and no prompts directory, plx is
 * almost certainly in the wrong directory, and "0 templates, all clean" would be a wrong answer.
 */
export function assertProject(config: ResolvedConfig): void {
  const has = (path: string) => existsSync(join(config.rootDir, path));
  if (config.configFile === undefined && !has(LOCKFILE_NAME) && !has(config.promptsDir)) {
    throw plxError("USAGE.NO_PROJECT", { cwd: config.rootDir });
  }
}
