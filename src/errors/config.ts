import { defineErrors, entry, ExitCode } from "./define.js";

const LOCK_HINT =
  "If a merge left conflict markers in plx.lock, take either side and run `plx pull`, which rewrites it.";

/** plx.config.yaml, environment settings, plx.lock and saved plans. */
export const configErrors = defineErrors({
  "CONFIG.TRACK_INVALID": entry<{ value: string; file?: string }>({
    exit: ExitCode.Usage,
    message: (p) => `"${p.value}" is not a state plx can track.`,
    hint: 'Use "latest" or "label:<name>" with a label name PromptLayer accepts (no whitespace), e.g. "label:prod".',
    details: (p) => (p.file ? { file: p.file } : {}),
  }),
  "CONFIG.PROMPTS_DIR_OUTSIDE": entry<{ dir: string }>({
    exit: ExitCode.Usage,
    message: (p) => `The prompts directory "${p.dir}" lies outside the repository.`,
    hint: "Give a path inside the repository, such as prompts.",
  }),
  "CONFIG.YAML_SYNTAX": entry<{ name: string; line: number; col: number; problem: string; file: string }>({
    exit: ExitCode.Usage,
    message: (p) => `${p.name}:${p.line}:${p.col}: ${p.problem}`,
    hint: "Fix the YAML syntax of the config file.",
    details: (p) => ({ file: p.file, line: p.line, col: p.col }),
  }),
  "CONFIG.NOT_A_MAPPING": entry<{ name: string; file: string }>({
    exit: ExitCode.Usage,
    message: (p) => `${p.name} must be a mapping of settings.`,
    hint: "See the Configuration section of plx's README for the keys.",
    details: (p) => ({ file: p.file }),
  }),
  "CONFIG.INVALID_KEYS": entry<{ problems: readonly string[]; validKeys: readonly string[]; file: string }>({
    exit: ExitCode.Usage,
    message: (p) => p.problems.join("\n"),
    hint: (p) => `Valid keys: ${p.validKeys.join(", ")}.`,
    details: (p) => ({ file: p.file }),
  }),
  "CONFIG.ENV_INVALID": entry<{ name: string; value: string; expected: string }>({
    exit: ExitCode.Usage,
    message: (p) => `${p.name}="${p.value}" is not ${p.expected}.`,
    hint: (p) => `Fix or unset ${p.name}.`,
  }),
  "LOCK.CONFLICT_MARKERS": entry<{ where: string; line: number; file: string }>({
    exit: ExitCode.Usage,
    message: (p) => `A merge left conflict markers in plx.lock (${p.where}).`,
    hint:
      "Take either side of each conflict (delete the <<<<<<<, ======= and >>>>>>> lines), then run `plx pull`, " +
      "which brings the lock up to date.",
    details: (p) => ({ file: p.file, line: p.line }),
  }),
  "LOCK.INVALID_JSON": entry<{ problem: string; file: string }>({
    exit: ExitCode.Usage,
    message: (p) => `plx.lock is not valid JSON: ${p.problem}.`,
    hint: LOCK_HINT,
    details: (p) => ({ file: p.file }),
  }),
  "LOCK.UNSUPPORTED": entry<{ where: string; problem: string; file: string }>({
    exit: ExitCode.Usage,
    message: (p) => `plx.lock is not a lock file this plx understands: ${p.where || "(root)"}: ${p.problem}.`,
    hint: LOCK_HINT,
    details: (p) => ({ file: p.file }),
  }),
  "PLAN.UNREADABLE": entry<{ file: string; problem: string }>({
    exit: ExitCode.Usage,
    message: (p) => `Could not read the saved plan ${p.file}: ${p.problem}.`,
    hint: "Pass the file that --plan-out wrote.",
  }),
  "PLAN.NOT_A_PLAN": entry<{ file: string }>({
    exit: ExitCode.Usage,
    message: (p) => `${p.file} is not a plan saved by plx push --plan-out.`,
    hint: "Make the plan again with --plan-out.",
  }),
});
