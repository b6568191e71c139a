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
  if (truthy(env.CI) || CI_MARKERS.some((name) => env[name] !== undefined && env[name] !== "")) {
    return { provider: "other", debug };
  }
  return { provider: undefined, debug };
}

/**
 * Variables CI systems that do not set CI=true are known by (Jenkins, Azure Pipelines, TeamCity, CodeBuild,
 * Bamboo, Buildkite, Google Cloud Build, Harness…), read from the environment plx is given, not the process's.
 */
const CI_MARKERS = [
  "BUILD_ID",
  "BUILD_NUMBER",
  "JENKINS_URL",
  "TF_BUILD",
  "TEAMCITY_VERSION",
  "CODEBUILD_BUILD_ID",
  "bamboo_planKey",
  "BUILDKITE",
  "CIRCLECI",
  "TRAVIS",
  "APPVEYOR",
  "DRONE",
  "SEMAPHORE",
  "BITBUCKET_BUILD_NUMBER",
  "HARNESS_BUILD_ID",
  "CF_BUILD_ID",
  "NETLIFY",
  "VERCEL",
  "RUN_ID",
  "CONTINUOUS_INTEGRATION",
  "CI_NAME",
  "CI_BUILD_ID",
];

/** The CI run a command runs in, so what it records (a published version, a request log) leads back to its job. */
export function ciRunUrl(env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (env.GITHUB_RUN_ID && env.GITHUB_REPOSITORY)
    return `${env.GITHUB_SERVER_URL ?? "https://github.com"}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`;
  return env.CI_JOB_URL || undefined;
}
