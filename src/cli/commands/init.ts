import { existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { plxError } from "../../errors/index.js";
import { writeFileAtomic } from "../../files/atomic.js";
import { initFiles, type InitChoices } from "../../init/templates.js";
import type { CommandModule } from "../command.js";
import type { Context } from "../context.js";
import type { CommandOptions } from "../command-options.js";

export interface InitReport {
  written: string[];
  kept: string[];
  choices: InitChoices;
  /** Whether package.json lists plx, which the CI jobs install with `npm ci`; absent when no CI was chosen. */
  plxInPackageJson?: boolean;
}

const command: CommandModule<CommandOptions<"init">, InitReport> = {
  async run(options, context) {
    const choices = options.yes ? fromFlags(options, context) : await ask(options, context);
    const written: string[] = [];
    const kept: string[] = [];
    for (const file of initFiles(choices)) {
      const target = join(context.cwd, file.path);
      if (existsSync(target) && !options.force && !(await allowOverwrite(context, file.path, options.yes))) {
        kept.push(file.path);
        continue;
      }
      await mkdir(dirname(target), { recursive: true });
      await writeFileAtomic(target, file.content);
      written.push(file.path);
    }
    return {
      written,
      kept,
      choices,
      ...(choices.ci === "none" ? {} : { plxInPackageJson: listsPlx(join(context.cwd, "package.json")) }),
    };
  },
  renderHuman(report, styles) {
    const lines = [
      ...report.written.map((path) => `${styles.green("wrote")} ${path}`),
      ...report.kept.map((path) => `${styles.yellow("kept")}  ${path} (exists; --force replaces it)`),
    ];
    // Each step is its lines: the first numbered, the rest indented under it.
    const steps: string[][] = [
      ...(report.plxInPackageJson === false
        ? [
            [
              "Add plx to package.json (`npm install --save-dev plx`) and commit package-lock.json: the CI jobs run",
              "`npm ci` and then `npx --no-install plx`, which fail while the repository does not list plx.",
            ],
          ]
        : []),
      ["Store your PromptLayer API key as the CI secret PROMPTLAYER_API_KEY (never in a file)."],
      ["Run `plx pull` to bring your prompts into the repository, and commit them with plx.lock."],
      ...(report.choices.ci === "none"
        ? []
        : [
            [
              "For edits made in PromptLayer: run `plx webhook serve` where PromptLayer can reach it, and set it as the",
              "workspace's webhook (README: PromptLayer → git). The sync job proposes each change as one pull request.",
            ],
          ]),
    ];
    lines.push(
      "",
      "Next:",
      ...steps.flatMap(([first, ...rest], index) => [
        `  ${index + 1}. ${first}`,
        ...rest.map((line) => `     ${line}`),
      ]),
    );
    return lines.join("\n");
  },
};

/** Whether the package.json at `path` lists plx among its dependencies (a missing or unreadable one does not). */
function listsPlx(path: string): boolean {
  try {
    const manifest = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    return ["dependencies", "devDependencies"].some((field) => {
      const deps = manifest[field];
      return typeof deps === "object" && deps !== null && "plx" in deps;
    });
  } catch {
    return false;
  }
}

function fromFlags(options: CommandOptions<"init">, context: Context): InitChoices {
  return {
    ci: options.ci ?? (context.ci.provider === "gitlab" ? "gitlab" : "github"),
    hooks: options.hooks,
    promptsDir: options.promptsDir ?? "prompts",
    label: options.label ?? "prod",
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
  };
}

async function ask(options: CommandOptions<"init">, context: Context): Promise<InitChoices> {
  if (!context.interactive) throw plxError("INIT.NEEDS_ANSWERS");
  const { prompt } = context;
  const answer = <T>(value: T | undefined): T => {
    if (value === undefined) throw plxError("USAGE.DECLINED", { what: "plx init" });
    return value;
  };
  const ci = answer(
    await prompt.select(
      "Which CI runs your deploys?",
      [
        { value: "github", label: "GitHub Actions" },
        { value: "gitlab", label: "GitLab CI" },
        { value: "none", label: "None for now" },
      ] as const,
      options.ci ?? (context.ci.provider === "gitlab" ? "gitlab" : "github"),
    ),
  );
  const promptsDir = answer(await prompt.text("Directory for prompt files", options.promptsDir ?? "prompts"));
  const label = answer(await prompt.text("Release label the deploy job publishes to", options.label ?? "prod"));
  const baseUrl = answer(
    await prompt.text("PromptLayer API URL (empty for https://api.promptlayer.com)", options.baseUrl ?? ""),
  );
  const hooks = await prompt.confirm(
    "Add pre-commit hooks (plx check on commit, plx check --remote for conflicts on push)?",
    {
      initial: true,
    },
  );
  return { ci, hooks, promptsDir, label, ...(baseUrl.trim() ? { baseUrl: baseUrl.trim() } : {}) };
}

async function allowOverwrite(context: Context, path: string, noQuestions: boolean): Promise<boolean> {
  if (noQuestions || !context.interactive) return false;
  return context.prompt.confirm(`${path} exists. Replace it?`);
}

export default command;
