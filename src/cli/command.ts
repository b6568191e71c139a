import type { ExitCode } from "../errors/index.js";
import type { Context } from "./context.js";
import type { Styles } from "./io.js";

/**
 * What every command module exports. `run` does the work and returns a plain report; it never
 * prints or touches `process`. The CLI renders the report (human text or the --json document)
 * and turns it into an exit code.
 */
export interface CommandModule<Options, Report> {
  run(options: Options, context: Context): Promise<Report>;
  /** Human rendering for stdout; an empty string prints nothing. */
  renderHuman(report: Report, styles: Styles): string;
  /** Exit code for a report; 0 when absent. */
  exitCodeFor?(report: Report): ExitCode;
}
