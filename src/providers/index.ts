// The model providers plx can call, where each one's key and base URL come from, and which one a template means.
import { anthropic, ANTHROPIC_VERSION } from "./anthropic.js";
import { google } from "./google.js";
import { openai } from "./openai.js";
import type { ProviderFormat, ProviderName } from "./types.js";

export {
  PROVIDERS,
  type ModelChoice,
  type ModelReply,
  type ProviderName,
  type ProviderRequest,
  type Usage,
} from "./types.js";
export { parametersFor } from "./convert.js";

export const FORMATS: Record<ProviderName, ProviderFormat> = { openai, anthropic, google };

/** The variables each provider's official SDK reads its key from, in the order they are tried. */
export const KEY_VARIABLES: Record<ProviderName, readonly string[]> = {
  openai: ["OPENAI_API_KEY"],
  anthropic: ["ANTHROPIC_API_KEY"],
  // As the PromptLayer SDKs and Google's own read them: GOOGLE_API_KEY wins when both are set.
  google: ["GOOGLE_API_KEY", "GEMINI_API_KEY"],
};

/** The variables each provider's SDK reads a base URL from (a proxy, a compatible server, `plx sandbox`). */
export const BASE_URL_VARIABLES: Record<ProviderName, readonly string[]> = {
  openai: ["OPENAI_BASE_URL"],
  anthropic: ["ANTHROPIC_BASE_URL"],
  google: ["GEMINI_BASE_URL", "GOOGLE_GEMINI_BASE_URL"],
};

export const DEFAULT_BASE_URLS: Record<ProviderName, string> = {
  // OpenAI's base URL includes the version, so a compatible server's (".../api/v1") can be given as it documents it.
  openai: "https://api.openai.com/v1",
  anthropic: "https://api.anthropic.com",
  google: "https://generativelanguage.googleapis.com",
};

/** How each provider takes its key. */
export function authHeaders(provider: ProviderName, key: string): Record<string, string> {
  if (provider === "openai") return { authorization: `Bearer ${key}` };
  if (provider === "anthropic") return { "x-api-key": key, "anthropic-version": ANTHROPIC_VERSION };
  return { "x-goog-api-key": key };
}

/** PromptLayer's provider names that plx can call, and the API each is. */
const PROVIDER_ALIASES: Record<string, ProviderName> = {
  openai: "openai",
  anthropic: "anthropic",
  google: "google",
  gemini: "google",
  vertexai: "google",
};

/** The provider a model's name gives away: `gpt-…`/`o1…` OpenAI, `claude-…` Anthropic, `gemini-…` Google. */
export function providerOfModel(model: string): ProviderName | undefined {
  if (model.startsWith("claude")) return "anthropic";
  if (model.startsWith("gemini")) return "google";
  return /^(gpt-|o\d|chatgpt-)/.test(model) ? "openai" : undefined;
}

/**
 * The provider a model is called through. As the official SDK does, a model named `claude-…` or `gemini-…` goes to
 * Anthropic or Google whatever the template says; otherwise the named provider, read as PromptLayer names providers;
 * otherwise the one the model's name implies. Undefined when nothing tells.
 */
export function providerFor(named: string | undefined, model: string): ProviderName | undefined {
  const implied = providerOfModel(model);
  if (implied === "anthropic" || implied === "google") return implied;
  return (named === undefined ? undefined : PROVIDER_ALIASES[named.toLowerCase()]) ?? implied;
}
