import { compareOffline, compareWithRemote, type Comparison } from "../../sync/compare.js";
import type { CommandModule } from "../command.js";
import type { CommandOptions } from "../command-options.js";
import { comparisonExitCode, renderComparison } from "./render-comparison.js";
import { configTracking } from "./shared.js";

export type StatusReport = Comparison & { exitOnChange: boolean };

const command: CommandModule<CommandOptions<"status">, StatusReport> = {
  async run(options, context) {
    const config = configTracking(await context.config(), options.label);
    const comparison = options.remote
      ? await compareWithRemote({ client: await context.remote(), config }, options.names)
      : await compareOffline(config, options.names);
    return { ...comparison, exitOnChange: options.exitCode };
  },
  renderHuman: (report, styles) => renderComparison(report, styles, "list"),
  exitCodeFor: comparisonExitCode,
};

export default command;
