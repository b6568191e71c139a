// The files `plx init` writes: pure text, no I/O. Every value spliced into YAML or shell text is validated to a safe
// character set first; no secret value ever appears, only references to CI secrets/variables by name.
import { LOCKFILE_NAME } from "../core/lock.js";
import { CONFIG_FILE_NAME } from "../config/schema.js";
import { plxError } from "../errors/index.js";

export interface InitChoices {
  ci: "github" | "gitlab" | "none";
  /** Write a .pre-commit-config.yaml running `plx check` on commit and `plx check --remote` on push. */
  hooks: boolean;
  /** Repository-relative directory for the .prompt.yaml files. */
  promptsDir: string;
  /** PromptLayer base URL, when not the default. */
  baseUrl?: string;
  /** The release label the deploy job publishes to, e.g. "prod". */
  label: string;
  /** Branch whose pushes publish (default "main"). */
  branch?: string;
  /** How CI and hooks run plx (default "npx --no-install plx": the project's own plx, never a download). */
  plxCommand?: string;
}

export interface InitFile {
  /** Repository-relative, forward slashes. */
  path: string;
  content: string;
}

export const API_KEY_SECRET = "PROMPTLAYER_API_KEY";
export const GITHUB_PR_WORKFLOW = ".github/workflows/plx-pr.yml";
export const GITHUB_DEPLOY_WORKFLOW = ".github/workflows/plx-deploy.yml";
export const GITHUB_SYNC_WORKFLOW = ".github/workflows/plx-sync.yml";
/** A GitHub App installation token or a fine-grained token: pull requests it opens get their checks run. */
export const GITHUB_SYNC_TOKEN_SECRET = "PLX_GITHUB_TOKEN";
export const GITLAB_CI_FILE = ".gitlab-ci.yml";
export const PRE_COMMIT_CONFIG = ".pre-commit-config.yaml";
export const CODE_QUALITY_REPORT = "gl-code-quality-report.json";
export const JUNIT_REPORT = "plx-junit.xml";
export const EVAL_RESULTS = "results.json";
export const EVAL_GATE = "score=0.8";

/**
 * The plx the repository installed (a devDependency, restored by `npm ci`): with --no-install, npx fails rather than
 * fetch whatever package has that name, so a CI job holding the API key never runs code nobody chose.
 */
export const DEFAULT_PLX_COMMAND = "npx --no-install plx";

/** A pull request from this repository, not a fork: only those get the secrets that PromptLayer steps need. */
const SAME_REPOSITORY = "github.event.pull_request.head.repo.full_name == github.repository";

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const SAFE_COMMAND = /^[A-Za-z0-9@/._ =:-]+$/;

/** Checks and normalizes the choices; throws a usage error naming the bad value. */
export function normalizeChoices(
  choices: InitChoices,
): Required<Omit<InitChoices, "baseUrl">> & { baseUrl: string | undefined } {
  const promptsDir = choices.promptsDir
    .trim()
    .replace(/\\/g, "/")
    .replace(/^(\.\/)+/, "")
    .replace(/\/+$/, "");
  if (
    promptsDir === "" ||
    promptsDir.startsWith("/") ||
    /^[A-Za-z]:/.test(promptsDir) ||
    promptsDir.split("/").some((part) => part === "" || part === "." || part === "..") ||
    !/^[A-Za-z0-9._/-]+$/.test(promptsDir)
  ) {
    throw plxError("INIT.PROMPTS_DIR_INVALID", { value: String(choices.promptsDir) });
  }
  const label = choices.label.trim();
  if (!SAFE_NAME.test(label) || label.length > 100) {
    throw plxError("INIT.LABEL_INVALID", { value: String(choices.label) });
  }
  const branch = (choices.branch ?? "main").trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(branch) || branch.includes("..")) {
    throw plxError("INIT.BRANCH_INVALID", { value: String(choices.branch) });
  }
  let baseUrl: string | undefined;
  if (choices.baseUrl !== undefined && choices.baseUrl.trim() !== "") {
    let url: URL | undefined;
    try {
      url = new URL(choices.baseUrl.trim());
    } catch {
      url = undefined;
    }
    if (!url || !["http:", "https:"].includes(url.protocol) || url.username || url.password) {
      throw plxError("INIT.BASE_URL_INVALID", { value: String(choices.baseUrl) });
    }
    baseUrl = choices.baseUrl.trim().replace(/\/+$/, "");
  }
  const plxCommand = (choices.plxCommand ?? DEFAULT_PLX_COMMAND).trim();
  if (!SAFE_COMMAND.test(plxCommand) || !/(^|[\s/])plx(@[^\s]+)?$/.test(plxCommand)) {
    throw plxError("INIT.COMMAND_INVALID", { value: String(choices.plxCommand) });
  }
  if (!["github", "gitlab", "none"].includes(choices.ci)) {
    throw plxError("INIT.CI_UNKNOWN", { value: String(choices.ci) });
  }
  return { ci: choices.ci, hooks: choices.hooks, promptsDir, label, branch, baseUrl, plxCommand };
}

/** A YAML double-quoted scalar (JSON strings are valid YAML). */
const q = (value: string) => JSON.stringify(value);
const regexEscape = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export function initFiles(input: InitChoices): InitFile[] {
  const c = normalizeChoices(input);
  const files: InitFile[] = [
    { path: CONFIG_FILE_NAME, content: configFile(c.promptsDir, c.baseUrl, c.label) },
    { path: `${c.promptsDir}/.gitkeep`, content: "" },
  ];
  if (c.ci === "github") {
    files.push(
      { path: GITHUB_PR_WORKFLOW, content: githubPrWorkflow(c) },
      { path: GITHUB_DEPLOY_WORKFLOW, content: githubDeployWorkflow(c) },
      { path: GITHUB_SYNC_WORKFLOW, content: githubSyncWorkflow(c) },
    );
  } else if (c.ci === "gitlab") {
    files.push({ path: GITLAB_CI_FILE, content: gitlabCi(c) });
  }
  if (c.hooks) files.push({ path: PRE_COMMIT_CONFIG, content: preCommitConfig(c) });
  return files;
}

type Normalized = ReturnType<typeof normalizeChoices>;

/** The first steps of every GitHub job plx writes: the repository, Node 22, its dependencies, a check of the prompt files. */
const githubSetupSteps = (plx: string) => `      - uses: actions/checkout@v4

      - uses: actions/setup-node@v4
        with:
          node-version: "22"

      - name: Install dependencies (plx among them)
        run: npm ci

      - name: Check prompt files
        run: ${plx} check`;

function configFile(promptsDir: string, baseUrl: string | undefined, label: string): string {
  return [
    "# plx configuration. Every key is optional.",
    `# The API key never goes here: set ${API_KEY_SECRET} in the environment (in CI, from a secret).`,
    `promptsDir: ${q(promptsDir)}`,
    ...(baseUrl ? [`baseUrl: ${q(baseUrl)}`] : []),
    `# To compare against what the release label points at instead of the latest versions:`,
    `# track: ${q(`label:${label}`)}`,
    "",
  ].join("\n");
}

const watchedPaths = (c: Normalized) => [`${c.promptsDir}/**`, CONFIG_FILE_NAME, LOCKFILE_NAME];

function githubPrWorkflow(c: Normalized): string {
  const plx = c.plxCommand;
  return `# plx on pull requests: lint prompt files, show the drift against PromptLayer, report evals.
# Needs the repository secret ${API_KEY_SECRET} (Settings > Secrets and variables > Actions).
# Pull requests from forks get no secrets: for them only the offline check runs. Where the token cannot comment
# (read-only tokens), plx writes its report to the job summary instead.
name: plx (pull request)

on:
  pull_request:
    paths:
${[...watchedPaths(c), GITHUB_PR_WORKFLOW].map((p) => `      - ${q(p)}`).join("\n")}

permissions:
  contents: read
  pull-requests: write

jobs:
  plx:
    runs-on: ubuntu-latest
    steps:
${githubSetupSteps(plx)}

      - name: Diff against PromptLayer
        if: \${{ ${SAME_REPOSITORY} }}
        run: ${plx} diff --comment
        env:
          ${API_KEY_SECRET}: \${{ secrets.${API_KEY_SECRET} }}
          GITHUB_TOKEN: \${{ github.token }}

      # Placeholder: have your eval tool write ${EVAL_RESULTS} in a step before this one, for example
      #   run: npx promptfoo eval -o ${EVAL_RESULTS} || true
      - name: Eval report
        if: \${{ ${SAME_REPOSITORY} && hashFiles('${EVAL_RESULTS}') != '' }}
        run: ${plx} eval-report ${EVAL_RESULTS} --comment --fail-under ${EVAL_GATE}
        env:
          ${API_KEY_SECRET}: \${{ secrets.${API_KEY_SECRET} }}
          GITHUB_TOKEN: \${{ github.token }}
`;
}

function githubDeployWorkflow(c: Normalized): string {
  const plx = c.plxCommand;
  return `# plx deploy: publish the prompts on ${c.branch} and move the "${c.label}" label to them.
# Needs the repository secret ${API_KEY_SECRET}. To require approval, add an environment to the job
# (environment: promptlayer-${c.label}) and keep the secret there.
name: plx (deploy)

on:
  push:
    branches:
      - ${q(c.branch)}
    paths:
${[...watchedPaths(c), GITHUB_DEPLOY_WORKFLOW].map((p) => `      - ${q(p)}`).join("\n")}
  workflow_dispatch: {}

permissions:
  contents: read

jobs:
  publish:
    runs-on: ubuntu-latest
    # One publish at a time, and never cancel one half-way.
    concurrency:
      group: plx-deploy
      cancel-in-progress: false
    steps:
${githubSetupSteps(plx)}

      - name: Publish to ${c.label}
        run: ${plx} publish --label ${c.label} --yes
        env:
          ${API_KEY_SECRET}: \${{ secrets.${API_KEY_SECRET} }}
`;
}

function githubSyncWorkflow(c: Normalized): string {
  const plx = c.plxCommand;
  const token = `\${{ secrets.${GITHUB_SYNC_TOKEN_SECRET} || github.token }}`;
  return `# plx sync, PromptLayer to git: an edit or a label moved in PromptLayer becomes one pull request on
# plx/promptlayer, kept up to date, and closed when PromptLayer and ${c.branch} agree again. Merging it runs the deploy
# workflow, whose publish then finds nothing new to publish.
# Started by \`plx webhook serve --dispatch github\` (a repository_dispatch of type promptlayer), by hand, and every
# six hours as a safety net for deliveries that went missing.
# Secrets: ${API_KEY_SECRET}, and ${GITHUB_SYNC_TOKEN_SECRET}: a GitHub App installation token or a fine-grained token
# with contents and pull requests write. Without it the job uses GITHUB_TOKEN, and GitHub starts no workflows for a
# pull request that token opens, so its checks (plx diff, evals) would not run.
name: plx (sync from PromptLayer)

on:
  repository_dispatch:
    types:
      - promptlayer
  workflow_dispatch: {}
  schedule:
    - cron: "17 */6 * * *"

permissions:
  contents: write
  pull-requests: write

# A burst of edits starts several runs; each rebuilds the branch from scratch, so only the newest needs to finish.
concurrency:
  group: plx-sync
  cancel-in-progress: true

jobs:
  sync:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${q(c.branch)}
          # The push of plx/promptlayer uses this token too, so its checks run with the pull request's.
          token: ${token}

      - uses: actions/setup-node@v4
        with:
          node-version: "22"

      - name: Install dependencies (plx among them)
        run: npm ci

      - name: Propose PromptLayer's changes
        run: ${plx} pull --pr
        env:
          ${API_KEY_SECRET}: \${{ secrets.${API_KEY_SECRET} }}
          ${GITHUB_SYNC_TOKEN_SECRET}: ${token}
`;
}

function gitlabCi(c: Normalized): string {
  const plx = c.plxCommand;
  const changes = watchedPaths(c)
    .map((p) => `        - ${q(p)}`)
    .join("\n");
  return `# plx on GitLab CI: lint and diff prompts on merge requests, publish on ${c.branch}.
# CI/CD variables (Settings > CI/CD > Variables), never values in this file:
#   ${API_KEY_SECRET}  masked; a protected copy for the deploy job, an unprotected one for merge requests.
#   PLX_GITLAB_TOKEN     masked, not protected: a project access token with the api and write_repository scopes.
#                        Merge requests use it to keep one note up to date (skipped with a warning without it);
#                        the sync job needs it to push plx/promptlayer and open the merge request.
# PromptLayer to git: \`plx webhook serve --dispatch gitlab\` triggers a pipeline with PLX_SYNC=true (it needs a pipeline
# trigger token, PLX_GITLAB_TRIGGER_TOKEN, in its own environment); add a pipeline schedule with PLX_SYNC=true as a
# safety net for missed deliveries.
# If this project already has a .gitlab-ci.yml, copy these jobs into it.
stages:
  - test
  - deploy
  - sync

.plx-node:
  image: node:22
  before_script:
    - npm ci

plx-merge-request:
  stage: test
  extends: .plx-node
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
      changes:
${changes}
  variables:
    PLX_CODE_QUALITY_REPORT: ${CODE_QUALITY_REPORT}
  script:
    - ${plx} check
    - ${plx} diff --comment
    # Placeholder: have your eval tool write ${EVAL_RESULTS} first, e.g. npx promptfoo eval -o ${EVAL_RESULTS} || true
    - if [ -f ${EVAL_RESULTS} ]; then ${plx} eval-report ${EVAL_RESULTS} --comment --fail-under ${EVAL_GATE} --junit ${JUNIT_REPORT}; fi
  artifacts:
    when: always
    reports:
      codequality: ${CODE_QUALITY_REPORT}
      junit: ${JUNIT_REPORT}

plx-deploy:
  stage: deploy
  extends: .plx-node
  rules:
    # Not in a sync pipeline: its changes: rule would match, and it must not publish.
    - if: $CI_COMMIT_BRANCH == ${q(c.branch)} && $PLX_SYNC != "true"
      changes:
${changes}
  # One publish at a time across pipelines (set process_mode oldest_first in the Resource groups API to keep order).
  resource_group: plx-deploy
  script:
    - ${plx} check
    - ${plx} publish --label ${c.label} --yes

plx-sync:
  stage: sync
  extends: .plx-node
  rules:
    - if: $PLX_SYNC == "true" && $CI_COMMIT_BRANCH == ${q(c.branch)}
  # A newer sync makes an older one pointless: each rebuilds plx/promptlayer from scratch.
  interruptible: true
  resource_group: plx-sync
  script:
    - ${plx} pull --pr
`;
}

function preCommitConfig(c: Normalized): string {
  const plx = c.plxCommand;
  return `# pre-commit hooks for plx (https://pre-commit.com): \`pre-commit install\` sets up both stages.
# plx-check is offline and fast. plx-check-remote also asks PromptLayer whether a template you edited was edited
# there too since the last sync (a conflict), so it runs on push and needs ${API_KEY_SECRET}; unpublished edits
# pass, since publishing them is what the pull request is for.
default_install_hook_types:
  - pre-commit
  - pre-push
repos:
  - repo: local
    hooks:
      - id: plx-check
        name: plx check
        entry: ${plx} check
        language: system
        files: ${q(`^(${regexEscape(c.promptsDir)}/.*\\.(prompt|agent)\\.yaml|plx\\.lock)$`)}
        pass_filenames: true
        require_serial: true
      - id: plx-check-remote
        name: plx check against PromptLayer (conflicts)
        entry: ${plx} check --remote
        language: system
        pass_filenames: false
        always_run: true
        stages:
          - pre-push
`;
}
