// git, driven with execa, for `plx pull --pr`. Everything happens beside the user's checkout: a private index file and
// a scratch directory build the commit, so the working tree, the index, HEAD and local branches are never touched;
// only new objects land in the repository, and the branch is written on the remote by the push.
import { execa } from "execa";
import { plxError } from "../errors/index.js";

type Env = Readonly<Record<string, string | undefined>>;

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface RunOptions {
  input?: string;
  /** Variables added to the run's environment for this command. */
  env?: Record<string, string>;
  /** Return the failure instead of throwing GIT.COMMAND_FAILED. */
  allowFailure?: boolean;
  cwd?: string;
}

/** Name and email for commits plx makes. */
export interface Author {
  name: string;
  email: string;
}

export const DEFAULT_AUTHOR: Author = { name: "plx", email: "plx@users.noreply.invalid" };

/** `Name <email>`, as git writes it; undefined when it is not that shape. */
export function parseAuthor(text: string): Author | undefined {
  const match = /^\s*([^<>\n]+?)\s*<([^<>\s@]+@[^<>\s]+)>\s*$/.exec(text);
  return match ? { name: match[1]!, email: match[2]! } : undefined;
}

export class Git {
  private constructor(
    /** The repository's top directory. */
    readonly root: string,
    /** Its git directory, absolute. */
    readonly gitDir: string,
    private readonly env: Env,
  ) {}

  /** The repository holding `cwd`; GIT.NOT_A_REPOSITORY outside one. */
  static async at(cwd: string, env: Env): Promise<Git> {
    const probe = new Git(cwd, "", env);
    const result = await probe.run(["rev-parse", "--show-toplevel", "--absolute-git-dir"], { allowFailure: true });
    const [root, gitDir] = result.stdout.split("\n");
    if (result.exitCode !== 0 || !root || !gitDir) throw plxError("GIT.NOT_A_REPOSITORY", { cwd });
    return new Git(root, gitDir, env);
  }

  async run(args: readonly string[], options: RunOptions = {}): Promise<GitResult> {
    let result: { stdout: unknown; stderr: unknown; exitCode?: number; code?: string };
    try {
      result = await execa("git", args, {
        cwd: options.cwd ?? this.root,
        env: {
          ...this.env,
          // Never wait for a password prompt in CI; messages in English, so failures can be told apart.
          GIT_TERMINAL_PROMPT: "0",
          LC_ALL: "C",
          ...options.env,
        },
        extendEnv: false,
        reject: false,
        ...(options.input === undefined ? {} : { input: options.input }),
        stripFinalNewline: false,
      });
    } catch (error) {
      throw plxError("GIT.COMMAND_FAILED", { command: args[0] ?? "", message: String(error) });
    }
    if ((result as { code?: string }).code === "ENOENT") throw plxError("GIT.NOT_FOUND");
    const outcome = { stdout: String(result.stdout), stderr: String(result.stderr), exitCode: result.exitCode ?? -1 };
    if (outcome.exitCode !== 0 && !options.allowFailure) {
      const message = outcome.stderr.trim().split("\n").slice(-3).join(" ") || `exit code ${outcome.exitCode}`;
      throw plxError("GIT.COMMAND_FAILED", { command: args.join(" "), message });
    }
    return outcome;
  }

  /** The checked-out branch, or undefined on a detached HEAD. */
  async currentBranch(): Promise<string | undefined> {
    const result = await this.run(["symbolic-ref", "--quiet", "--short", "HEAD"], { allowFailure: true });
    return result.exitCode === 0 ? result.stdout.trim() : undefined;
  }

  /** The commit a ref names, or undefined. */
  async commitOf(ref: string): Promise<string | undefined> {
    const result = await this.run(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { allowFailure: true });
    return result.exitCode === 0 ? result.stdout.trim() : undefined;
  }

  async isValidBranchName(name: string): Promise<boolean> {
    return (await this.run(["check-ref-format", "--branch", name], { allowFailure: true })).exitCode === 0;
  }

  /** Paths with uncommitted changes to tracked files, and untracked files under `untrackedIn` (directories). */
  async uncommitted(untrackedIn: readonly string[]): Promise<string[]> {
    const status = await this.run(["status", "--porcelain=v1", "-z", "--untracked-files=all"]);
    const within = (path: string) =>
      untrackedIn.some((dir) => dir === "." || path === dir || path.startsWith(`${dir.replace(/\/$/, "")}/`));
    const paths: string[] = [];
    const entries = status.stdout.split("\0");
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      if (entry.length < 4) continue;
      const [code, path] = [entry.slice(0, 2), entry.slice(3)];
      // A rename's entry is followed by its old path.
      if (code.startsWith("R") || code.startsWith("C")) i += 1;
      if (code !== "??" || within(path)) paths.push(path);
    }
    return paths;
  }

  /** Which of `paths` exist in `commit`. */
  async existingPaths(commit: string, paths: readonly string[]): Promise<string[]> {
    const result = await this.run(["ls-tree", "--name-only", "-z", commit, "--", ...paths]);
    return result.stdout.split("\0").filter(Boolean);
  }

  /** The committer date of a commit, ISO 8601. */
  async commitDate(commit: string): Promise<string> {
    return (await this.run(["show", "-s", "--format=%cI", commit])).stdout.trim();
  }

  /**
   * The tip of a branch on a remote (a remote's name or URL): its commit, `null` when the remote has no such branch,
   * or the failure when the remote could not be read.
   */
  async remoteBranch(
    remote: string,
    branch: string,
    env: Record<string, string> = {},
  ): Promise<string | null | { failed: string }> {
    const result = await this.run(["ls-remote", "--heads", remote, `refs/heads/${branch}`], {
      env,
      allowFailure: true,
    });
    if (result.exitCode !== 0) return { failed: lastLines(result.stderr) || `exit code ${result.exitCode}` };
    const line = result.stdout.split("\n").find((entry) => entry.endsWith(`\trefs/heads/${branch}`));
    return line?.split("\t")[0] ?? null;
  }

  /** `git diff` between two commits, limited to `paths`, renames found. */
  async diff(from: string, to: string, paths: readonly string[]): Promise<string> {
    return (
      await this.run([
        "-c",
        "core.quotePath=false",
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--find-renames",
        from,
        to,
        "--",
        ...paths,
      ])
    ).stdout;
  }
}

/**
 * A scratch copy of some paths of a commit, with an index of its own: what `plx pull` writes into, and what the
 * commit is built from. The user's checkout is not involved.
 */
export class Scratch {
  constructor(
    private readonly git: Git,
    private readonly gitDir: string,
    /** Where the files are. */
    readonly dir: string,
    private readonly indexFile: string,
    readonly base: string,
  ) {}

  /** Runs in the scratch directory, so pathspecs are relative to it as they are to the repository's top. */
  private run(args: readonly string[], options: RunOptions = {}) {
    return this.git.run(["--git-dir", this.gitDir, "--work-tree", this.dir, ...args], {
      ...options,
      cwd: this.dir,
      env: { GIT_INDEX_FILE: this.indexFile, ...options.env },
    });
  }

  /** Reads the whole base commit into the private index and writes out `paths` (those that exist). */
  async checkout(paths: readonly string[]): Promise<void> {
    await this.run(["read-tree", this.base]);
    const existing = await this.git.existingPaths(this.base, paths);
    if (existing.length > 0) await this.run(["checkout", this.base, "--", ...existing]);
  }

  /** Stages what changed under `paths` and names each change against the base: `M path`, `R old new`, … */
  async stage(paths: readonly string[]): Promise<Array<{ status: string; path: string; previousPath?: string }>> {
    await this.run(["add", "--all", "--", ...paths]);
    const result = await this.run([
      "diff",
      "--cached",
      "--name-status",
      "-z",
      "--find-renames",
      this.base,
      "--",
      ...paths,
    ]);
    const fields = result.stdout.split("\0").filter((field) => field !== "");
    const changes: Array<{ status: string; path: string; previousPath?: string }> = [];
    for (let i = 0; i < fields.length; ) {
      const status = fields[i++]!;
      if (status.startsWith("R") || status.startsWith("C")) {
        const previousPath = fields[i++]!;
        changes.push({ status: status[0]!, path: fields[i++]!, previousPath });
      } else {
        changes.push({ status: status[0]!, path: fields[i++]! });
      }
    }
    return changes;
  }

  /** A commit of the staged tree on top of the base. Same inputs, same commit: the date is given, never "now". */
  async commit(message: string, author: Author, date: string): Promise<string> {
    const tree = (await this.run(["write-tree"])).stdout.trim();
    const identity = {
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_NAME: author.name,
      GIT_COMMITTER_EMAIL: author.email,
      GIT_COMMITTER_DATE: date,
    };
    const result = await this.run(["commit-tree", "--no-gpg-sign", tree, "-p", this.base, "-F", "-"], {
      input: message,
      env: identity,
    });
    return result.stdout.trim();
  }
}

/** Where a branch is pushed: a remote's name or URL, and any variables the push needs (never in the arguments). */
export interface PushTarget {
  remote: string;
  env: Record<string, string>;
  /** For messages: the remote without credentials. */
  label: string;
}

/**
 * GitLab CI clones with the job token, which usually may not push: there plx pushes to the project's URL with
 * PLX_GITLAB_TOKEN, passed as an HTTP header through git's environment-only configuration so it never appears in a
 * command line or a URL. Elsewhere it pushes to `origin` with whatever credentials the checkout set up.
 */
export function pushTarget(env: Env, forge: "github" | "gitlab", token: string | undefined): PushTarget {
  const server = env.CI_SERVER_URL?.trim();
  const project = env.CI_PROJECT_PATH?.trim();
  if (forge === "gitlab" && server && project && token) {
    const remote = `${server.replace(/\/+$/, "")}/${project}.git`;
    const basic = Buffer.from(`oauth2:${token}`).toString("base64");
    return {
      remote,
      label: remote,
      env: {
        GIT_CONFIG_COUNT: "1",
        GIT_CONFIG_KEY_0: "http.extraHeader",
        GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
      },
    };
  }
  return { remote: "origin", label: "origin", env: {} };
}

const lastLines = (text: string) =>
  text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(-2)
    .join(" ");

export type PushOutcome = "pushed" | "stale" | { failed: string; retryable: boolean };

/** Pushes `commit` as `branch`, only if the remote branch is still at `expected` (absent: does not exist). */
export async function pushWithLease(
  git: Git,
  target: PushTarget,
  commit: string,
  branch: string,
  expected: string | undefined,
): Promise<PushOutcome> {
  const result = await git.run(
    [
      "push",
      "--porcelain",
      "--no-verify",
      `--force-with-lease=refs/heads/${branch}:${expected ?? ""}`,
      target.remote,
      `${commit}:refs/heads/${branch}`,
    ],
    { env: target.env, allowFailure: true },
  );
  if (result.exitCode === 0) return "pushed";
  const said = `${result.stdout}\n${result.stderr}`;
  if (/stale info|fetch first|\[rejected\]|non-fast-forward/.test(said)) return "stale";
  const message = said
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("To ") && line !== "Done")
    .slice(-2)
    .join(" ");
  const retryable =
    /Could not resolve host|Connection refused|Connection reset|timed out|early EOF|remote end hung up|HTTP 5\d\d|RPC failed|503|502/i.test(
      said,
    );
  return { failed: message || `exit code ${result.exitCode}`, retryable };
}
