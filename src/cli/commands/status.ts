import { compareOffline, compareWithRemote, type Comparison } from "../../sync/compare.js";
import { ExitCode } from "../../errors/index.js";
import type { CommandModule } from "../command.js";
import type { CommandOptions } from "../specs.js";
import { renderComparison } from "./render-comparison.js";
import { configTracking } from "./shared.js";

export type StatusReport = Comparison & { exitOnChange: boolean };

const command: CommandModule<CommandOptions<"status">, StatusReport> = {
  async run(options, context) {
    const config = configTracking(await context.config(), options.label);
    const comparison = options.remote
      ? await compareWithRemote({ client: await context.remote(), config }, options.names)
      : await compareOffline(config, options.names);
    return { ...comparison, exitOnChange: options.exitCode === true };
  },
  renderHuman: (report, styles) => renderComparison(report, styles, "name-only"),
  exitCodeFor: (report) => (report.exitOnChange && report.changes.length > 0 ? ExitCode.Negative : ExitCode.Ok),
};

export default command;
