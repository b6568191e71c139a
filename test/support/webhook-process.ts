// Starts the built `plx webhook serve` as a real child process, for end-to-end tests of the receiver.
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import { execa } from "execa";
import { PLX_BIN } from "./cli.js";

export interface WebhookProcess {
  url: string;
  stderrLines: string[];
  stop(signal?: NodeJS.Signals): Promise<{ exitCode: number | undefined; stdout: string }>;
}

/** Starts `plx webhook serve …` and resolves once its first stdout line says where it listens. */
export async function startWebhookProcess(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<WebhookProcess> {
  const child = execa(process.execPath, [PLX_BIN, "webhook", "serve", ...args], {
    env,
    extendEnv: false,
    reject: false,
    buffer: { stdout: true, stderr: false },
  });
  const stderrLines: string[] = [];
  createInterface({ input: child.stderr! }).on("line", (line) => stderrLines.push(line));
  const firstLine = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    void child.then((result) =>
      reject(
        new Error(`plx webhook serve exited with ${result.exitCode} before listening:\n${stderrLines.join("\n")}`),
      ),
    );
  });
  const match = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(firstLine);
  if (!match) throw new Error(`unexpected first line from plx webhook serve: ${firstLine}`);
  return {
    url: match[1]!,
    stderrLines,
    stop: async (signal = "SIGTERM") => {
      child.kill(signal);
      const result = await child;
      return { exitCode: result.exitCode, stdout: String(result.stdout) };
    },
  };
}

/** A port nothing listens on right now, for a server that must be named before it starts. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
