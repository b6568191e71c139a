// Repositories for tests to run plx in: a directory with a config file, a real git repository when asked.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

/** A repository directory with a config file (and, when asked, a git repository with one commit). */
export async function newRepo(options: { git?: boolean; config?: string } = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "plx-it-"));
  await writeFile(join(dir, "plx.config.yaml"), options.config ?? "promptsDir: prompts\n");
  if (options.git) {
    await git(dir, "init", "-q");
    await commitAll(dir, "Start");
  }
  return dir;
}

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await exec("git", args, { cwd });
  return stdout.trim();
}

export async function commitAll(cwd: string, message: string): Promise<void> {
  await git(cwd, "add", "-A");
  await git(cwd, "-c", "user.email=dev@example.com", "-c", "user.name=Dev", "commit", "-qm", message, "--allow-empty");
}

/** Replaces `from` with `to` in a file, failing when `from` is not there. */
export async function edit(path: string, from: string, to: string): Promise<void> {
  const before = await readFile(path, "utf8");
  if (!before.includes(from)) throw new Error(`${path} does not contain ${JSON.stringify(from)}`);
  await writeFile(path, before.replace(from, to));
}

export const readJson = async (path: string) => JSON.parse(await readFile(path, "utf8"));
