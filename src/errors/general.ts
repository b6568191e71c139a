import { defineErrors, entry, ExitCode } from "./define.js";

/** Failures of the command line itself, and of a run as a whole. */
export const generalErrors = defineErrors({
  "USAGE.ARGUMENTS": entry<{ problem: string; command: string }>({
    exit: ExitCode.Usage,
    message: (p) => p.problem,
    hint: (p) => `Run \`${p.command} --help\` for the arguments and flags it takes.`,
  }),
  "USAGE.INVALID_OPTION": entry<{ flag: string; value: string; problem: string; source?: string; command: string }>({
    exit: ExitCode.Usage,
    message: (p) => `${p.source ?? p.flag} "${p.value}" is not valid: ${p.problem}.`,
    hint: (p) => `Run \`${p.command} --help\` for what each flag takes.`,
    details: (p) => ({ flag: p.flag }),
  }),
  "USAGE.CONFLICTING_OPTIONS": entry<{ problem: string; hint: string }>({
    exit: ExitCode.Usage,
    message: (p) => p.problem,
    hint: (p) => p.hint,
  }),
  "USAGE.NEEDS_CONFIRMATION": entry<{ action: string; flag?: string; alternative?: string }>({
    exit: ExitCode.Usage,
    message: (p) => `${p.action} needs confirmation, and there is no terminal to ask in.`,
    hint: (p) =>
      `Pass ${p.flag ?? "--yes"} to confirm non-interactively${p.alternative ? `, or ${p.alternative}` : ""}.`,
  }),
  "USAGE.DECLINED": entry<{ what: string }>({
    exit: ExitCode.Negative,
    message: (p) => `${p.what} was cancelled; nothing was changed.`,
  }),
  "USAGE.NO_PROJECT": entry<{ cwd: string }>({
    exit: ExitCode.Usage,
    message: (p) =>
      `${p.cwd} is not in a plx project: there is no plx.config.yaml, plx.lock or prompts directory here or above.`,
    hint: "Run `plx init` to set one up, or `plx pull` to bring PromptLayer's templates into prompts/.",
  }),
  INTERNAL: entry<{ message: string; version: string }>({
    exit: ExitCode.Negative,
    message: (p) => p.message,
    hint: (p) => `This is a bug in plx ${p.version}. Run again with --debug and report the output.`,
  }),
  INTERRUPTED: entry<{ doneSoFar?: string } | undefined>({
    exit: ExitCode.Interrupted,
    message: (p) => `Interrupted${p?.doneSoFar ? `; ${p.doneSoFar}` : "."}`,
    hint: "Run the command again to finish; plx picks up where it stopped.",
  }),
});
