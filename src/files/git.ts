// The commit a push publishes from, for commit messages and the metadata.plx stamp. Outside a git checkout, or
// without git installed, plx still works; the stamp then says so.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface GitHead {
  sha: string;
  subject: string;
}

export async function gitHead(cwd: string): Promise<GitHead | undefined> {
  try {
    const { stdout } = await run("git", ["log", "-1", "--format=%H%n%s"], { cwd, timeout: 5_000 });
    const [sha, subject = ""] = stdout.split("\n");
    return sha && /^[0-9a-f]{40,64}$/.test(sha) ? { sha, subject } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether files under `path` differ from HEAD (edited, added or deleted, staged or not): content HEAD does not hold.
 * False outside git.
 */
export async function hasUncommittedChanges(cwd: string, path: string): Promise<boolean> {
  try {
    const { stdout } = await run("git", ["status", "--porcelain", "--untracked-files=all", "--", path], {
      cwd,
      timeout: 5_000,
    });
    return stdout.trim() !== "";
  } catch {
    return false;
  }
}

/** Whether `sha` is HEAD or one of its ancestors; false outside git or for a commit this clone does not have. */
export async function isAncestorOfHead(cwd: string, sha: string): Promise<boolean> {
  if (!/^[0-9a-f]{7,64}$/.test(sha)) return false;
  try {
    await run("git", ["merge-base", "--is-ancestor", sha, "HEAD"], { cwd, timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}
