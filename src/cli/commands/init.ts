import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { cancel, confirm, isCancel, select, text } from "@clack/prompts";
import { plxError } from "../../errors/index.js";
import { writeFileAtomic } from "../../files/atomic.js";
import { initFiles, type InitChoices } from "../../init/templates.js";
import type { CommandModule } from "../command.js";
import type { Context } from "../context.js";

export interface InitCommandOptions {
  yes?: boolean;
  ci?: InitChoices["ci"];
  hooks?: boolean;
  promptsDir?: string;
  baseUrl?: string;
  label?: string;
  force?: boolean;
}

export interface InitReport {
  written: string[];
  kept: string[];
  choices: InitChoices;
}

const command: CommandModule<InitCommandOptions, InitReport> = {
  async run(options, context) {
    const choices = options.yes ? fromFlags(options, context) : await ask(options, context);
    const written: string[] = [];
    const kept: string[] = [];
    for (const file of initFiles(choices)) {
      const target = join(context.cwd, file.path);
      if (existsSync(target) && !options.force && !(await allowOverwrite(context, file.path, options.yes === true))) {
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
    return lines.join("\n");
  },
};

function fromFlags(options: InitCommandOptions, context: Context): InitChoices {
  return {
    ci: options.ci ?? (context.ci.provider === "gitlab" ? "gitlab" : "github"),
    hooks: options.hooks === true,
    promptsDir: options.promptsDir ?? "prompts",
    label: options.label ?? "prod",
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
  };
}

async function ask(options: InitCommandOptions, context: Context): Promise<InitChoices> {
  if (!context.interactive) throw plxError("INIT.NEEDS_ANSWERS");
  const answer = <T>(value: T): Exclude<T, symbol> => {
    if (isCancel(value)) {
      cancel("Nothing was written.");
      throw plxError("USAGE.DECLINED", { what: "plx init" });
    }
    return value as Exclude<T, symbol>;
  };
  const output = process.stderr;
  const ci = answer(
    await select({
      message: "Which CI runs your deploys?",
      options: [
        { value: "github", label: "GitHub Actions" },
        { value: "gitlab", label: "GitLab CI" },
        { value: "none", label: "None for now" },
      ],
      initialValue: options.ci ?? (context.ci.provider === "gitlab" ? "gitlab" : "github"),
      output,
    }),
  ) as InitChoices["ci"];
  const promptsDir = answer(
    await text({ message: "Directory for prompt files", initialValue: options.promptsDir ?? "prompts", output }),
  );
  const label = answer(
    await text({ message: "Release label the deploy job publishes to", initialValue: options.label ?? "prod", output }),
  );
  const baseUrl = answer(
    await text({
      message: "PromptLayer API URL (empty for https://api.promptlayer.com)",
      initialValue: options.baseUrl ?? "",
      output,
    }),
  );
  const hooks = answer(
    await confirm({
      message: "Add pre-commit hooks (plx check on commit, plx diff on push)?",
      initialValue: options.hooks ?? true,
      output,
    }),
  );
  return { ci, hooks, promptsDir, label, ...(baseUrl.trim() ? { baseUrl: baseUrl.trim() } : {}) };
}

async function allowOverwrite(context: Context, path: string, noQuestions: boolean): Promise<boolean> {
  if (noQuestions || !context.interactive) return false;
  const answer = await confirm({ message: `${path} exists. Replace it?`, initialValue: false, output: process.stderr });
  return !isCancel(answer) && answer === true;
}

export default command;
