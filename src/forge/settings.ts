// Where the forge is and who plx is there, from the CI's own variables or flags. Tokens are read here and only handed
// to request headers.
import { plxError } from "../errors/index.js";

type Env = Readonly<Record<string, string | undefined>>;

export type ForgeKind = "github" | "gitlab";

export interface ForgeSettings {
  kind: ForgeKind;
  /** REST root: https://api.github.com, https://gitlab.example/api/v4. */
  apiUrl: string;
  /** GitHub `owner/name`; GitLab the project's id or full path. */
  repository: string;
  token: string;
  /** Which variable the token came from, for messages. */
  tokenVariable: string;
}

const value = (env: Env, name: string) => (env[name]?.trim() ? env[name]!.trim() : undefined);

const GITHUB_REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** The first of `variables` that is set, and its name. */
function tokenFrom(env: Env, forge: ForgeKind, variables: readonly string[]): { token: string; variable: string } {
  for (const variable of variables) {
    const token = value(env, variable);
    if (token) return { token, variable };
  }
  throw plxError("FORGE.TOKEN_MISSING", { forge, variables: [...variables] });
}

export const GITHUB_TOKEN_VARIABLES = ["PLX_GITHUB_TOKEN", "GITHUB_TOKEN"] as const;
export const GITLAB_TOKEN_VARIABLES = ["PLX_GITLAB_TOKEN"] as const;
/** A pipeline trigger token (Settings > CI/CD > Pipeline trigger tokens), which is not an access token. */
export const GITLAB_TRIGGER_TOKEN_VARIABLES = ["PLX_GITLAB_TRIGGER_TOKEN"] as const;

/** GitHub from GITHUB_API_URL, GITHUB_REPOSITORY (or --repo) and PLX_GITHUB_TOKEN then GITHUB_TOKEN. */
export function githubSettings(env: Env, repo: string | undefined): ForgeSettings {
  const repository = repo?.trim() || value(env, "GITHUB_REPOSITORY");
  if (!repository || !GITHUB_REPOSITORY.test(repository))
    throw plxError("FORGE.REPOSITORY_UNKNOWN", { forge: "github" });
  const { token, variable } = tokenFrom(env, "github", GITHUB_TOKEN_VARIABLES);
  return {
    kind: "github",
    apiUrl: (value(env, "GITHUB_API_URL") ?? "https://api.github.com").replace(/\/+$/, ""),
    repository,
    token,
    tokenVariable: variable,
  };
}

/** GitLab from CI_API_V4_URL, CI_PROJECT_ID (or --repo) and the token variables given. */
export function gitlabSettings(
  env: Env,
  repo: string | undefined,
  tokenVariables: readonly string[] = GITLAB_TOKEN_VARIABLES,
): ForgeSettings {
  const repository = repo?.trim() || value(env, "CI_PROJECT_ID");
  if (!repository) throw plxError("FORGE.REPOSITORY_UNKNOWN", { forge: "gitlab" });
  const { token, variable } = tokenFrom(env, "gitlab", tokenVariables);
  return {
    kind: "gitlab",
    apiUrl: (value(env, "CI_API_V4_URL") ?? "https://gitlab.com/api/v4").replace(/\/+$/, ""),
    repository,
    token,
    tokenVariable: variable,
  };
}

/** The forge a run talks to: the flag, else the CI it runs in, else GitLab when its variables are set, else GitHub. */
export function forgeKindOf(flag: ForgeKind | undefined, env: Env, ciProvider: string | undefined): ForgeKind {
  if (flag) return flag;
  if (ciProvider === "github" || ciProvider === "gitlab") return ciProvider;
  return value(env, "CI_PROJECT_ID") && !value(env, "GITHUB_REPOSITORY") ? "gitlab" : "github";
}
