import ciInfo from "ci-info";

export type CiProvider = "github" | "gitlab" | "other";

export interface CiEnvironment {
  /** Set when plx runs inside a CI job; undefined on a developer's machine. */
  provider: CiProvider | undefined;
  /** Verbose logging requested by the CI system itself (re-run with debug logging). */
  debug: boolean;
}

const truthy = (value: string | undefined) =>
  value !== undefined && !["", "0", "false", "no", "off"].includes(value.toLowerCase());

/**
 * Works out, once per run, whether plx is in CI and which one. `PLX_CI` overrides detection
 * (`PLX_CI=0` on a CI box that should behave like a terminal, `PLX_CI=github` to rehearse
 * Actions output locally); `CI=false` is the conventional opt-out.
 */
export function detectCi(env: Readonly<Record<string, string | undefined>>): CiEnvironment {
  const debug = env.RUNNER_DEBUG === "1" || env.CI_DEBUG_TRACE === "true";
  const override = env.PLX_CI?.toLowerCase();
  if (override !== undefined && override !== "") {
    if (override === "github" || override === "gitlab") return { provider: override, debug };
    return { provider: truthy(override) ? "other" : undefined, debug };
  }
  if (env.CI === "false") return { provider: undefined, debug };
  if (env.GITHUB_ACTIONS === "true") return { provider: "github", debug };
  if (env.GITLAB_CI === "true") return { provider: "gitlab", debug };
  // ci-info knows dozens of vendors; it reads the real process environment, which is this one.
  if (truthy(env.CI) || ciInfo.isCI) return { provider: "other", debug };
  return { provider: undefined, debug };
}

/** The CI run a command runs in, so what it records (a published version, a request log) leads back to its job. */
export function ciRunUrl(env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (env.GITHUB_RUN_ID && env.GITHUB_REPOSITORY)
    return `${env.GITHUB_SERVER_URL ?? "https://github.com"}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`;
  return env.CI_JOB_URL || undefined;
}
