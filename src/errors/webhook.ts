import { defineErrors, entry, ExitCode } from "./define.js";

/** `plx webhook serve`. */
export const webhookErrors = defineErrors({
  "WEBHOOK.SECRET_MISSING": entry({
    exit: ExitCode.Auth,
    message: () => "No webhook secret was given, so no delivery could be verified.",
    hint: "Set PLX_WEBHOOK_SECRET to the secret in PromptLayer's Settings > Webhooks (during a rotation, the old one in PLX_WEBHOOK_SECRET_PREVIOUS).",
  }),
  "WEBHOOK.NO_ACTION": entry({
    exit: ExitCode.Usage,
    message: () => "plx webhook serve has nothing to do with the events it would receive.",
    hint: "Pass --dispatch github (a repository_dispatch), --dispatch gitlab (a pipeline trigger) or --exec '<command>'.",
  }),
  "WEBHOOK.LOOP_GUARD_NEEDS_KEY": entry({
    exit: ExitCode.Auth,
    message: () =>
      "No PromptLayer API key was given, and the loop guard reads PromptLayer to recognise plx's own publishes.",
    hint: "Set PROMPTLAYER_API_KEY (or PLX_API_KEY); or pass --no-loop-guard to start a sync for every event, the CI publishes' included.",
  }),
  "WEBHOOK.PORT_IN_USE": entry<{ host: string; port: number }>({
    exit: ExitCode.Usage,
    message: (p) => `Port ${p.port} on ${p.host} is already in use.`,
    hint: "Stop whatever listens there, or pick another --port (PLX_WEBHOOK_PORT).",
  }),
  "WEBHOOK.LISTEN_FAILED": entry<{ host: string; port: number; reason: string }>({
    exit: ExitCode.Usage,
    message: (p) => `Could not listen on ${p.host}:${p.port}: ${p.reason}.`,
    hint: "Check --host and --port.",
  }),
});
