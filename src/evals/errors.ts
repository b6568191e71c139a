import { ExitCode, PlxError } from "../errors.js";

/** A results file plx cannot read: named, with the position, and nothing is uploaded. */
export const evalInputError = (file: string, where: string | undefined, problem: string, hint: string) =>
  new PlxError("EVAL.INVALID_INPUT", `${file}${where ? `:${where}` : ""}: ${problem}.`, {
    exitCode: ExitCode.Usage,
    hint,
    details: { file, ...(where ? { where } : {}) },
  });
