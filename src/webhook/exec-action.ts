// `--exec CMD`: the batch as one JSON document on the command's stdin, for a self-hosted runner or a script. Node only.
import { spawn } from "node:child_process";
import { ActionError, envelopeOf, type SyncAction, type SyncBatch } from "./actions.js";

export interface ExecActionOptions {
  command: string;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Each line the command writes, on stdout or stderr. */
  onOutput?: (line: string) => void;
  /** Default 10 minutes. */
  timeoutMs?: number;
}

/** What the command reads on stdin. */
export function execDocument(batch: SyncBatch): Record<string, unknown> {
  return {
    source: "plx",
    templates: batch.templates,
    event_types: batch.eventTypes,
    users: batch.users,
    approvals: batch.approvals,
    events: batch.events.map(envelopeOf),
  };
}

export function execAction(options: ExecActionOptions): SyncAction {
  return {
    describe: `command: ${options.command}`,
    run: (batch, signal) =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(options.command, {
          shell: true,
          cwd: options.cwd,
          env: options.env as NodeJS.ProcessEnv,
          stdio: ["pipe", "pipe", "pipe"],
          timeout: options.timeoutMs ?? 600_000,
          ...(signal ? { signal } : {}),
        });
        for (const stream of [child.stdout, child.stderr]) {
          let rest = "";
          stream.setEncoding("utf8");
          stream.on("data", (chunk: string) => {
            const lines = (rest + chunk).split("\n");
            rest = lines.pop() ?? "";
            for (const line of lines) options.onOutput?.(line);
          });
          stream.on("end", () => {
            if (rest !== "") options.onOutput?.(rest);
          });
        }
        // A command that does not read its stdin closes the pipe early; that is its business.
        child.stdin.on("error", () => undefined);
        child.stdin.end(`${JSON.stringify(execDocument(batch))}\n`);
        child.on("error", (error) => reject(new ActionError(`could not run the command: ${error.message}`, true)));
        child.on("close", (code, killedBy) => {
          if (code === 0) resolve();
          else
            reject(
              new ActionError(
                killedBy ? `the command was stopped by ${killedBy}` : `the command exited with code ${code}`,
                true,
              ),
            );
        });
      }),
  };
}
