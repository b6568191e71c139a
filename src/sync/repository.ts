// The local side of every sync: plx.lock and the prompt files, read together. An invalid file stops the command
// before anything is sent or written.
import type { Lockfile } from "../core/lock.js";
import type { ResolvedConfig } from "../config/schema.js";
import { plxError } from "../errors/index.js";
import { scanPromptFiles, type LocalTemplate } from "../files/local.js";
import { readLockfile } from "../files/lockfile.js";

export async function readRepository(config: ResolvedConfig): Promise<{ lock: Lockfile; templates: LocalTemplate[] }> {
  const lock = await readLockfile(config.rootDir);
  const scan = await scanPromptFiles(config.rootDir, config.promptsDir, { lock });
  if (scan.problems.length > 0) throw plxError("LOCAL.INVALID_FILE", { problems: scan.problems });
  return { lock, templates: scan.templates };
}
