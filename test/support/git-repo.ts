// Real git repositories for tests: a bare `origin` and a clone of it, with no dependence on the machine's git config.
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";

/** An environment in which git reads no user or system configuration. */
export async function isolatedGitEnv(): Promise<Record<string, string>> {
  const home = await mkdtemp(join(tmpdir(), "plx-home-"));
  return { HOME: home, XDG_CONFIG_HOME: join(home, ".config"), GIT_CONFIG_NOSYSTEM: "1", GIT_TERMINAL_PROMPT: "0" };
}

export interface TestRepo {
  /** The clone: where plx runs. */
  dir: string;
  /** The bare repository the clone pushes to. */
  origin: string;
  /** git in the clone, as a developer would run it (with a local identity). */
  git(...args: string[]): Promise<string>;
  /** git in the bare origin. */
  originGit(...args: string[]): Promise<string>;
  /** A file's text on a branch of origin, or undefined when the branch or file is absent. */
  fileOnOrigin(branch: string, path: string): Promise<string | undefined>;
  /** Every file path on a branch of origin. */
  filesOnOrigin(branch: string): Promise<string[]>;
  /** Commits everything and pushes the current branch. */
  commitAll(message: string): Promise<void>;
}

export async function testRepo(
  files: Record<string, string> = { "plx.config.yaml": "promptsDir: prompts\n" },
): Promise<TestRepo> {
  const root = await mkdtemp(join(tmpdir(), "plx-git-"));
  const origin = join(root, "origin.git");
  const dir = join(root, "work");
  const env = { ...(await isolatedGitEnv()), PATH: process.env.PATH ?? "" };
  const run = async (cwd: string, args: string[]) =>
    String((await execa("git", args, { cwd, env, extendEnv: false })).stdout);
  await run(root, ["init", "--quiet", "--bare", "--initial-branch=main", origin]);
  await run(root, ["clone", "--quiet", origin, dir]);
  await run(dir, ["config", "user.name", "Dev Eloper"]);
  await run(dir, ["config", "user.email", "dev@example.com"]);
  await run(dir, ["checkout", "--quiet", "-B", "main"]);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  const repo: TestRepo = {
    dir,
    origin,
    git: (...args) => run(dir, args),
    originGit: (...args) => run(origin, args),
    async fileOnOrigin(branch, path) {
      const result = await execa("git", ["show", `${branch}:${path}`], {
        cwd: origin,
        env,
        extendEnv: false,
        reject: false,
        stripFinalNewline: false,
      });
      return result.exitCode === 0 ? String(result.stdout) : undefined;
    },
    async filesOnOrigin(branch) {
      const result = await execa("git", ["ls-tree", "-r", "--name-only", branch], {
        cwd: origin,
        env,
        extendEnv: false,
        reject: false,
      });
      return result.exitCode === 0 ? String(result.stdout).split("\n").filter(Boolean) : [];
    },
    async commitAll(message) {
      await run(dir, ["add", "--all"]);
      await run(dir, ["commit", "--quiet", "-m", message]);
      await run(dir, ["push", "--quiet", "origin", "HEAD"]);
    },
  };
  await repo.commitAll("Set up plx");
  return repo;
}
