import { defineErrors, entry, ExitCode } from "./define.js";

export interface FileProblemParams {
  path: string;
  line: number;
  col: number;
  message: string;
  hint: string;
}

/** Local prompt files that cannot be read; nothing is sent or written while any exists. */
export const fileErrors = defineErrors({
  "FILES.LINK_OUTSIDE": entry<{ directory: string }>({
    exit: ExitCode.Usage,
    message: (p) =>
      `${p.directory} is a symbolic link that leads outside the prompts directory; plx does not write through it.`,
    hint: "Replace the link with a real directory holding the prompt files; nothing was written.",
    details: (p) => ({ file: p.directory }),
  }),
  "FILES.CANNOT_WRITE": entry<{ file: string; reason: string }>({
    exit: ExitCode.Usage,
    message: (p) => `Could not write ${p.file} (${p.reason}).`,
    hint: (p) =>
      p.reason === "ENOSPC" || p.reason === "EDQUOT"
        ? "Free some disk space, then run the command again."
        : "Check that the path is a file you may write, in a directory that exists and is writable.",
    details: (p) => ({ file: p.file, reason: p.reason }),
  }),
  "LOCAL.INVALID_FILE": entry<{ problems: readonly FileProblemParams[] }>({
    exit: ExitCode.Usage,
    message: (p) =>
      `${p.problems.length === 1 ? "A prompt file is" : `${p.problems.length} problems in prompt files are`} in the way; nothing was sent or written:\n${p.problems
        .map((problem) => `  ${problem.path}:${problem.line}:${problem.col}: ${problem.message}`)
        .join("\n")}`,
    hint: (p) =>
      p.problems.length === 1
        ? p.problems[0]!.hint
        : "Fix the files above (`plx check` explains each problem), then run the command again.",
    details: (p) => ({ problems: p.problems }),
  }),
});
