import { defineErrors, entry, ExitCode } from "./define.js";

type Forge = "github" | "gitlab";
const forgeName = (forge: Forge) => (forge === "github" ? "GitHub" : "GitLab");

/** Git, GitHub and GitLab, for `plx pull --pr` and the webhook receiver's dispatch. */
export const forgeErrors = defineErrors({
  "GIT.NOT_FOUND": entry({
    exit: ExitCode.Usage,
    message: () => "git is not installed, or not on PATH.",
    hint: "Install git; plx pull --pr commits and pushes with it.",
  }),
  "GIT.NOT_A_REPOSITORY": entry<{ cwd: string }>({
    exit: ExitCode.Usage,
    message: (p) => `${p.cwd} is not inside a git repository.`,
    hint: "Run plx pull --pr in a checkout of the branch PromptLayer's changes should be proposed to.",
  }),
  "GIT.DIRTY_TREE": entry<{ paths: string[] }>({
    exit: ExitCode.Usage,
    message: (p) =>
      `The working tree has changes that are not committed: ${p.paths.slice(0, 5).join(", ")}${p.paths.length > 5 ? ` and ${p.paths.length - 5} more` : ""}.`,
    hint: "Commit or stash them first: the pull request is built from the base branch as committed, and would leave them out.",
    details: (p) => ({ paths: p.paths }),
  }),
  "GIT.BASE_UNKNOWN": entry<{ base?: string }>({
    exit: ExitCode.Usage,
    message: (p) =>
      p.base === undefined
        ? "plx cannot tell which branch to propose to: HEAD is not on a branch."
        : `There is no branch "${p.base}" here or on origin.`,
    hint: "Check out the base branch, or name it with --base (e.g. --base main).",
  }),
  "GIT.BRANCH_INVALID": entry<{ branch: string }>({
    exit: ExitCode.Usage,
    message: (p) => `"${p.branch}" is not a branch name git accepts.`,
    hint: "Pass --branch with a name such as plx/promptlayer.",
  }),
  "GIT.AUTHOR_INVALID": entry<{ author: string }>({
    exit: ExitCode.Usage,
    message: (p) => `"${p.author}" is not an author git accepts.`,
    hint: 'Write it as "Name <email>", e.g. --author "Prompt Bot <prompts@example.com>".',
  }),
  "GIT.COMMAND_FAILED": entry<{ command: string; message: string }>({
    exit: ExitCode.Usage,
    message: (p) => `git ${p.command} failed: ${p.message}`,
    hint: "Check that the repository is healthy (git status, git fsck) and that plx may write to it.",
    details: (p) => ({ command: p.command }),
  }),
  "GIT.PUSH_FAILED": entry<{ branch: string; remote: string; message: string; attempts: number }>({
    exit: ExitCode.Remote,
    message: (p) =>
      `Could not push ${p.branch} to ${p.remote} after ${p.attempts} attempt${p.attempts === 1 ? "" : "s"}: ${p.message}`,
    hint: "Check that the job may push (GitHub: permissions contents: write and a checkout token that can push; GitLab: PLX_GITLAB_TOKEN with write_repository), then run again.",
    details: (p) => ({ branch: p.branch, remote: p.remote }),
  }),
  "GIT.REMOTE_UNREACHABLE": entry<{ remote: string; message: string; attempts: number }>({
    exit: ExitCode.Remote,
    message: (p) =>
      `Could not read ${p.remote} after ${p.attempts} attempt${p.attempts === 1 ? "" : "s"}: ${p.message}`,
    hint: "Check the network and that the job may read the repository, then run again. Nothing was pushed or opened.",
    details: (p) => ({ remote: p.remote }),
  }),
  "GIT.PUSH_STALE": entry<{ branch: string; remote: string }>({
    exit: ExitCode.Conflict,
    message: (p) => `${p.branch} moved on ${p.remote} while plx was building it, so plx did not overwrite it.`,
    hint: "Another sync probably ran at the same time; run again to rebuild the branch from the latest state.",
    details: (p) => ({ branch: p.branch, remote: p.remote }),
  }),
  "FORGE.REPOSITORY_UNKNOWN": entry<{ forge: Forge }>({
    exit: ExitCode.Usage,
    message: (p) =>
      `plx cannot tell which ${forgeName(p.forge)} ${p.forge === "github" ? "repository" : "project"} to use.`,
    hint: (p) =>
      p.forge === "github"
        ? "Set GITHUB_REPOSITORY (Actions does) or pass --repo owner/name."
        : "Set CI_PROJECT_ID (GitLab CI does) or pass --repo with the project's id or path.",
  }),
  "FORGE.TOKEN_MISSING": entry<{ forge: Forge; variables: string[] }>({
    exit: ExitCode.Auth,
    message: (p) => `No ${forgeName(p.forge)} token was given.`,
    hint: (p) =>
      `Set ${p.variables.join(" (or ")}${p.variables.length > 1 ? ")" : ""}; in CI, from a secret.${p.forge === "github" ? " A GitHub App or fine-grained token lets the pull request's own checks run." : ""}`,
    details: (p) => ({ forge: p.forge, variables: p.variables }),
  }),
  "FORGE.TOKEN_REJECTED": entry<{ forge: Forge; variable: string; status: number; message: string }>({
    exit: ExitCode.Auth,
    message: (p) => `${forgeName(p.forge)} refused the token in ${p.variable} (HTTP ${p.status}): ${p.message}`,
    hint: (p) =>
      p.forge === "github"
        ? `Check that ${p.variable} is current and may write contents and pull requests (workflow: permissions contents: write, pull-requests: write).`
        : `Check that ${p.variable} is current and has the api scope with at least the Developer role.`,
    details: (p) => ({ forge: p.forge, variable: p.variable, status: p.status }),
  }),
  "FORGE.NOT_FOUND": entry<{ forge: Forge; what: string }>({
    exit: ExitCode.Usage,
    message: (p) => `${forgeName(p.forge)} has no ${p.what} (HTTP 404), or the token cannot see it.`,
    hint: (p) =>
      p.forge === "github"
        ? "Check --repo / GITHUB_REPOSITORY and GITHUB_API_URL, and that the token has access to the repository."
        : "Check --repo / CI_PROJECT_ID and CI_API_V4_URL, and that the token has access to the project.",
  }),
  "FORGE.REFUSED": entry<{ forge: Forge; method: string; path: string; status: number; message: string }>({
    exit: ExitCode.Usage,
    message: (p) => `${forgeName(p.forge)} refused ${p.method} ${p.path} (HTTP ${p.status}): ${p.message}`,
    hint: "The message above says what it objected to.",
    details: (p) => ({ forge: p.forge, status: p.status, method: p.method, path: p.path }),
  }),
  "FORGE.UNAVAILABLE": entry<{ forge: Forge; method: string; path: string; reason: string; attempts: number }>({
    exit: ExitCode.Remote,
    message: (p) =>
      `${forgeName(p.forge)} did not answer ${p.method} ${p.path} after ${p.attempts} attempt${p.attempts === 1 ? "" : "s"}: ${p.reason}.`,
    hint: (p) => `${forgeName(p.forge)} is failing or throttling; run again in a while.`,
    details: (p) => ({ forge: p.forge, method: p.method, path: p.path, attempts: p.attempts }),
  }),
});
