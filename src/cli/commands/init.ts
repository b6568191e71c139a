import { existsSync } from "node:fs";
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
    return { written, kept, choices };
  },
  renderHuman(report, styles) {
    const lines = [
      ...report.written.map((path) => `${styles.green("wrote")} ${path}`),
      ...report.kept.map((path) => `${styles.yellow("kept")}  ${path} (exists; --force replaces it)`),
    ];
    lines.push(
      "",
      "Next:",
      `  1. Store your PromptLayer API key as the CI secret PROMPTLAYER_API_KEY (never in a file).`,
      "  2. Run `plx pull` to bring your prompts into the repository, and commit them with plx.lock.",
    );
    if (report.choices.ci !== "none")
      lines.push(
        "  3. For edits made in PromptLayer: run `plx webhook serve` where PromptLayer can reach it, and set it as the",
        "     workspace's webhook (README: PromptLayer → git). The sync job proposes each change as one pull request.",
      );
    return lines.join("\n");
  },
};

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
