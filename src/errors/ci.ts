import { defineErrors, entry, ExitCode } from "./define.js";

/** CI reporting, plx init and the sandbox's own flags. */
export const ciErrors = defineErrors({
  "CI.COMMENT_FAILED": entry<{ provider: "github" | "gitlab"; message: string; details: Record<string, unknown> }>({
    exit: ExitCode.Remote,
    message: (p) =>
      `Could not write ${p.provider === "github" ? "the pull request comment" : "the merge request note"}: ${p.message}`,
    hint: "The report is still in the job log; run the job again to retry the comment.",
    details: (p) => ({ provider: p.provider, ...p.details }),
  }),
  "INIT.PROMPTS_DIR_INVALID": entry<{ value: string }>({
    exit: ExitCode.Usage,
    message: (p) => `"${p.value}" cannot be the prompts directory.`,
    hint: "Give a relative path inside the repository made of letters, digits, '.', '_', '-' and '/', such as prompts.",
  }),
  "INIT.LABEL_INVALID": entry<{ value: string }>({
    exit: ExitCode.Usage,
    message: (p) => `"${p.value}" cannot be a release label here.`,
    hint: "Use letters, digits, '.', '_' and '-', such as prod.",
  }),
  "INIT.BRANCH_INVALID": entry<{ value: string }>({
    exit: ExitCode.Usage,
    message: (p) => `"${p.value}" is not a branch name plx init can use.`,
    hint: "Use the name of the default branch, such as main.",
  }),
  "INIT.BASE_URL_INVALID": entry<{ value: string }>({
    exit: ExitCode.Usage,
    message: (p) => `"${p.value}" is not a PromptLayer base URL.`,
    hint: "Give an http(s) URL without credentials, such as https://api.promptlayer.com.",
  }),
  "INIT.COMMAND_INVALID": entry<{ value: string }>({
    exit: ExitCode.Usage,
    message: (p) => `"${p.value}" is not a command that runs plx.`,
    hint: 'Use something like "npx --no-install plx".',
  }),
  "INIT.CI_UNKNOWN": entry<{ value: string }>({
    exit: ExitCode.Usage,
    message: (p) => `"${p.value}" is not a CI plx init knows.`,
    hint: "Choose github, gitlab or none.",
  }),
  "INIT.NEEDS_ANSWERS": entry({
    exit: ExitCode.Usage,
    message: () => "plx init asks a few questions, and there is no terminal to ask in.",
    hint: "Pass --yes with --ci github|gitlab|none (and --hooks) to set up without questions.",
  }),
  "SANDBOX.PORT_IN_USE": entry<{ host: string; port: number }>({
    exit: ExitCode.Usage,
    message: (p) => `Port ${p.port} on ${p.host} is already in use.`,
    hint: "Stop whatever listens there, pick another --port, or pass --port 0 for a free one.",
  }),
  "SANDBOX.LISTEN_FAILED": entry<{ host: string; port: number; reason: string }>({
    exit: ExitCode.Usage,
    message: (p) => `Could not listen on ${p.host}:${p.port}: ${p.reason}.`,
    hint: "Check --host and --port.",
  }),
  "SANDBOX.DATA_INVALID": entry<{ file: string; problem: string }>({
    exit: ExitCode.Usage,
    message: (p) => `The sandbox state file ${p.file} cannot be used: ${p.problem}.`,
    hint: "Point --data at a file the sandbox wrote (GET /__sandbox/state shows the format), or at a new path to start empty.",
    details: (p) => ({ file: p.file }),
  }),
});
