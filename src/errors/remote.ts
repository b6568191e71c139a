import { defineErrors, entry, ExitCode } from "./define.js";

interface RequestParams {
  method: string;
  path: string;
  /** Where requests go (scheme, host and any path prefix), so a wrong base URL shows in the message. */
  baseUrl?: string;
}

const attemptsNote = (attempts: number) => (attempts > 1 ? ` (after ${attempts} attempts)` : "");
const serverSaid = (message: string | undefined) => (message ? `: ${message}` : "");
const at = (p: RequestParams) => `${p.method} ${p.baseUrl ?? ""}${p.path}`;

/** PromptLayer (or the network to it) and the API key. */
export const remoteErrors = defineErrors({
  "AUTH.MISSING_KEY": entry({
    exit: ExitCode.Auth,
    message: () => "No PromptLayer API key was given.",
    hint: "Set PROMPTLAYER_API_KEY (or PLX_API_KEY) in the environment; in CI, from a secret.",
  }),
  "AUTH.REJECTED": entry<{ status: number; serverMessage?: string }>({
    exit: ExitCode.Auth,
    message: (p) =>
      `PromptLayer rejected the API key (HTTP ${p.status})${p.serverMessage ? `: ${p.serverMessage}` : "."}`,
    hint: "Check that PROMPTLAYER_API_KEY holds a current key for this workspace and that --base-url points at the right server.",
    details: (p) => ({ status: p.status }),
  }),
  "REMOTE.HTTP_ERROR": entry<{
    method: string;
    path: string;
    baseUrl?: string;
    status: number;
    serverMessage?: string;
    attempts: number;
  }>({
    exit: ExitCode.Remote,
    message: (p) =>
      `PromptLayer answered ${at(p)} with HTTP ${p.status}${serverSaid(p.serverMessage)}${attemptsNote(p.attempts)}.`,
    hint: "PromptLayer is failing or throttling; run the command again in a while.",
    details: (p) => ({
      status: p.status,
      method: p.method,
      path: p.path,
      attempts: p.attempts,
    }),
  }),
  "REMOTE.REJECTED": entry<{ method: string; path: string; baseUrl?: string; status: number; serverMessage?: string }>({
    exit: ExitCode.Usage,
    message: (p) => `PromptLayer refused ${at(p)} (HTTP ${p.status})${serverSaid(p.serverMessage)}.`,
    hint: "The request was refused because of what was sent; the message above names the field PromptLayer objected to.",
    details: (p) => ({ status: p.status, method: p.method, path: p.path }),
  }),
  "REMOTE.NOT_FOUND": entry<{ method: string; path: string; baseUrl?: string; serverMessage?: string }>({
    exit: ExitCode.Usage,
    message: (p) => `PromptLayer has nothing at ${at(p)} (HTTP 404)${serverSaid(p.serverMessage)}.`,
    hint: (p) =>
      `If ${p.baseUrl ?? "the base URL"} is not PromptLayer's API root (https://api.promptlayer.com, or your install's), fix --base-url or PROMPTLAYER_BASE_URL.`,
    details: (p) => ({ status: 404, method: p.method, path: p.path }),
  }),
  "REMOTE.CONFLICT": entry<{ method: string; path: string; baseUrl?: string; serverMessage?: string }>({
    exit: ExitCode.Conflict,
    message: (p) =>
      `PromptLayer refused ${at(p)} as a conflict with its current state (HTTP 409)${serverSaid(p.serverMessage)}.`,
    hint: "Something changed in PromptLayer meanwhile; run plx pull or plx diff to see it, then try again.",
    details: (p) => ({ status: 409, method: p.method, path: p.path }),
  }),
  "REMOTE.EXTERNAL_ID_CONFLICT": entry<{ method: string; path: string; baseUrl?: string; serverMessage?: string }>({
    exit: ExitCode.Conflict,
    message: (p) =>
      `PromptLayer refused ${p.method} ${p.path}: an external ID in it is already attached to another entity${p.serverMessage ? ` (${p.serverMessage})` : ""}.`,
    hint: "Another template already carries this external ID; detach it there, or rename the file so its ID is new, then run the command again.",
    details: (p) => ({ status: 409, method: p.method, path: p.path }),
  }),
  "REMOTE.NETWORK": entry<{ method: string; path: string; baseUrl?: string; reason: string; attempts: number }>({
    exit: ExitCode.Remote,
    message: (p) => `Could not reach PromptLayer for ${at(p)}: ${p.reason}${attemptsNote(p.attempts)}.`,
    hint: "Check the network and --base-url (or PROMPTLAYER_BASE_URL), then run the command again.",
    details: (p) => ({
      method: p.method,
      path: p.path,
      attempts: p.attempts,
      reason: p.reason,
    }),
  }),
  "REMOTE.DEADLINE": entry<{ seconds: number; doneSoFar?: string }>({
    exit: ExitCode.Remote,
    message: (p) =>
      `PromptLayer did not let the command finish within its ${p.seconds} s deadline${p.doneSoFar ? `; ${p.doneSoFar}` : ""}.`,
    hint: "Run it again later, or allow more time with --deadline (PLX_DEADLINE).",
  }),
  "REMOTE.INVALID_RESPONSE": entry<{ method: string; path: string; baseUrl?: string; problem: string }>({
    exit: ExitCode.Remote,
    message: (p) => `PromptLayer's answer to ${at(p)} was not what plx expects: ${p.problem}.`,
    hint: "If --base-url points at a proxy, check that it passes JSON through; otherwise report this to the plx maintainers.",
    details: (p) => ({ method: p.method, path: p.path }),
  }),
  "REMOTE.OUTCOME_UNKNOWN": entry<{ action: string; reason: string }>({
    exit: ExitCode.Remote,
    message: (p) => `plx could not tell whether ${p.action} took effect: ${p.reason}.`,
    hint: "Run the command again: plx reads the remote state first, so it will not repeat a change that was made.",
    details: (p) => ({ action: p.action, reason: p.reason }),
  }),
  "REMOTE.BASE_URL_INVALID": entry<{ url: string }>({
    exit: ExitCode.Usage,
    message: (p) => `The PromptLayer base URL "${p.url}" is not an http(s) URL.`,
    hint: "Check --base-url or PROMPTLAYER_BASE_URL.",
  }),
  "REMOTE.FOLDER_NAME_UNUSABLE": entry<{ name: string }>({
    exit: ExitCode.Usage,
    message: (p) =>
      `The folder name "${p.name}" cannot be used with PromptLayer: folder names must be non-empty and contain no ".".`,
    hint: 'PromptLayer addresses folders by dot-separated paths; rename the directory so it has no ".".',
  }),
});
