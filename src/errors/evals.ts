import { defineErrors, entry, ExitCode } from "./define.js";

/** plx eval-report's inputs and gate. */
export const evalErrors = defineErrors({
  "EVAL.INVALID_INPUT": entry<{ file: string; where?: string; problem: string; hint: string }>({
    exit: ExitCode.Usage,
    message: (p) => `${p.file}${p.where ? `:${p.where}` : ""}: ${p.problem}.`,
    hint: (p) => p.hint,
    details: (p) => ({ file: p.file, ...(p.where ? { where: p.where } : {}) }),
  }),
  "EVAL.IMPORT_FAILED": entry<{ table: string; reason: string }>({
    exit: ExitCode.Remote,
    message: (p) => `PromptLayer could not import the results into table ${p.table}: ${p.reason}.`,
    hint: "Run the same command again: sheets are keyed by the run, so nothing is duplicated.",
  }),
  "EVAL.TIMED_OUT": entry<{ what: string; minutes: number }>({
    exit: ExitCode.Remote,
    message: (p) => `PromptLayer did not finish ${p.what} within ${p.minutes} minutes.`,
    hint: "Run the same command again later: sheets are keyed by the run, so nothing is duplicated.",
  }),
  "EVAL.NO_FILES": entry({
    exit: ExitCode.Usage,
    message: () => "Name at least one results file.",
    hint: "For example: plx eval-report results.json",
  }),
  "EVAL.THRESHOLD_INVALID": entry<{ spec: string }>({
    exit: ExitCode.Usage,
    message: (p) => `--fail-under "${p.spec}" is not a threshold.`,
    hint: "Write metric=value, for example score=0.8, pass_rate=95% or refund-reply:faithfulness=0.7.",
  }),
  "EVAL.THRESHOLD_RANGE": entry<{ spec: string; value: string }>({
    exit: ExitCode.Usage,
    message: (p) => `--fail-under "${p.spec}": scores are 0..1; write ${p.value}% for a percentage.`,
    hint: "Write a fraction such as 0.8, or a percentage such as 80%.",
  }),
});
