import { once } from "node:events";
import { plxError } from "../../errors/index.js";
import { startSandbox } from "../../sandbox/index.js";
import type { CommandModule } from "../command.js";
import type { CommandOptions } from "../command-options.js";

export interface SandboxReport {
  url: string;
}

/** Serves until Ctrl-C or SIGTERM, then shuts down cleanly (pending webhooks delivered, state saved). */
const sandbox: CommandModule<CommandOptions<"sandbox">, SandboxReport> = {
  async run(options, context) {
    if ((options.webhookUrl === undefined) !== (options.webhookSecret === undefined)) {
      throw plxError("USAGE.CONFLICTING_OPTIONS", {
        problem: "--webhook-url and --webhook-secret go together.",
        hint: "Give both to send signed webhook events, or neither.",
      });
    }
    const server = await startSandbox({
      port: options.port ?? 0,
      host: options.host ?? "127.0.0.1",
      dataFile: options.data,
      apiKey: options.apiKey,
      latencyMs: options.latency,
      failRate: options.failRate,
      rateLimit: options.rateLimit,
      dropRate: options.dropRate,
      slowBodyMs: options.slowBody,
      staleReadMs: options.staleReads,
      seed: options.seed,
      webhookUrl: options.webhookUrl,
      webhookSecret: options.webhookSecret,
      ...(options.protectedLabels.length > 0 ? { protectedLabels: options.protectedLabels } : {}),
      log: (line) => context.log.info(line),
    });
    context.emit(`listening on ${server.url}`);
    if (!context.signal.aborted) await once(context.signal, "abort");
    await server.close();
    return { url: server.url };
  },
  renderHuman: () => "",
};

export default sandbox;
