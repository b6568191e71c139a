// The seam between argv and commands. Commander reads the command line (names, flags, help, suggestions); every
// option and argument is then parsed, with its environment twin, through the command's own schema, so a command
// receives exactly the typed options it declared.
import { Command, Option } from "commander";
import { z } from "zod";
import { plxError } from "../errors/index.js";
import type { Env } from "./io.js";
import { envBoolean, envTwinOf, type FlagMeta, metaOf, type OptionsShape } from "./options.js";
import { type CommandSpec, commandSpecs, globalOptions } from "./specs.js";

/** What commander read for one command, before the schema parses it. */
export interface RawInvocation {
  spec: CommandSpec;
  /** Flag values given on the command line, by option key. */
  flags: Record<string, unknown>;
  /** Positional values in declaration order. */
  args: unknown[];
}

/** A command and its parsed options. */
export interface Invocation {
  spec: CommandSpec;
  options: Record<string, unknown>;
}

const ROOT_HELP_AFTER = `
plx -v (or --version) prints plx's version.

Environment:
  PROMPTLAYER_API_KEY   API key (also PLX_API_KEY); never pass it as a flag
  PROMPTLAYER_BASE_URL  API base URL (also PLX_BASE_URL, or --base-url)
  Every flag also reads PLX_<FLAG_NAME> (--dry-run: PLX_DRY_RUN).

Exit codes: 0 ok, 1 negative result, 2 usage or invalid input, 3 remote failure,
4 authentication, 5 conflict, 130 interrupted.`;

/**
 * The commander tree, generated from the command specs. Each action hands what it read to `onInvoke`; nothing is
 * parsed or run here.
 */
export function createProgram(onInvoke: (raw: RawInvocation) => void): Command {
  const program = new Command("plx")
    .description("Prompts as code: sync a prompts/ directory with PromptLayer's prompt registry.")
    .helpOption("-h, --help", "show help")
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true })
    .addHelpText("after", ROOT_HELP_AFTER);
  addOptions(program, globalOptions);

  const groups = new Map<string, Command>();
  for (const spec of commandSpecs as readonly CommandSpec[]) {
    const words = spec.name.split(" ");
    let parent = program;
    for (const word of words.slice(0, -1)) {
      let group = groups.get(word);
      if (!group) {
        group = program.command(word).description(groupDescription(word));
        groups.set(word, group);
      }
      parent = group;
    }
    const command = parent.command(words.at(-1)!).description(spec.summary);
    const argumentKeys: string[] = [];
    for (const [key, schema] of Object.entries(spec.options)) {
      const meta = metaOf(schema);
      if (meta?.kind !== "argument") continue;
      command.argument(meta.syntax, meta.help);
      argumentKeys.push(key);
    }
    addOptions(command, spec.options);
    command.addHelpText("after", helpAfter(spec));
    command.action((...received: unknown[]) => {
      const self = received.at(-1) as Command;
      onInvoke({ spec, flags: cliValues(self, spec.options), args: self.processedArgs });
    });
  }
  return program;
}

const GROUP_DESCRIPTIONS: Record<string, string> = {
  label: "list, set, remove and promote release labels",
  agent: "run agents (PromptLayer's workflows)",
  webhook: "receive PromptLayer's webhooks",
};
const groupDescription = (word: string) => GROUP_DESCRIPTIONS[word] ?? `${word} commands`;

function helpAfter(spec: CommandSpec): string {
  const parts = [];
  if (spec.notes) parts.push(`\n${spec.notes}`);
  parts.push(
    `\nExample${spec.examples.length > 1 ? "s" : ""}:\n${spec.examples.map((line) => `  ${line}`).join("\n")}`,
  );
  return parts.join("\n");
}

/** Commander options for a shape's flags, each described with its environment twin. */
function addOptions(command: Command, shape: OptionsShape): void {
  for (const [key, schema] of Object.entries(shape)) {
    const meta = metaOf(schema);
    if (meta?.kind !== "flag") continue;
    const twin = envTwin(key, meta);
    const choices = meta.choices ? ` (one of: ${meta.choices.join(", ")})` : "";
    const env = twin ? ` [env: ${twin}]` : "";
    // "--color, --no-color": two commander options for one tri-state value.
    const helps = meta.help.split(" | ");
    for (const [index, flags] of meta.flags.split(/,\s*(?=--no-)/).entries()) {
      const option = new Option(flags, `${helps[index] ?? helps[0]}${choices}${env}`);
      if (meta.repeatable)
        option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
      command.addOption(option);
    }
  }
}

/** A flag's environment twin: PLX_DRY_RUN for --dry-run, PLX_NO_UPLOAD for --no-upload (which it turns on). */
export const envTwin = (key: string, meta: FlagMeta): string | undefined => {
  if (meta.env !== undefined) return meta.env === false ? undefined : meta.env;
  return meta.flags.startsWith("--no-") ? envTwinOf(`no${key[0]!.toUpperCase()}${key.slice(1)}`) : envTwinOf(key);
};

/** The values commander read from argv for these options: defaults commander fills in are not given values. */
function cliValues(command: Command, shape: OptionsShape): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  const all = command.optsWithGlobals() as Record<string, unknown>;
  for (const key of Object.keys({ ...globalOptions, ...shape })) {
    let owner: Command | null = command;
    while (owner && owner.getOptionValueSource(key) === undefined) owner = owner.parent;
    if (owner?.getOptionValueSource(key) === "cli") values[key] = all[key];
  }
  return values;
}

/**
 * Parses what was read into the command's typed options: a flag given on the command line wins, else its
 * environment twin, else the schema's default. A value that does not parse is a usage error naming the flag (or
 * the variable) and the rule.
 */
export function parseInvocation(raw: RawInvocation, env: Env): Invocation {
  const shape: OptionsShape = { ...globalOptions, ...raw.spec.options };
  const input: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  let position = 0;
  for (const [key, schema] of Object.entries(shape)) {
    const meta = metaOf(schema);
    if (meta?.kind === "argument") {
      const value = raw.args[position++];
      if (value !== undefined) input[key] = value;
      continue;
    }
    if (meta?.kind !== "flag") continue;
    if (key in raw.flags) {
      input[key] = raw.flags[key];
      continue;
    }
    const twin = envTwin(key, meta);
    const fromEnv = twin === undefined ? undefined : env[twin];
    if (fromEnv === undefined) continue;
    sources.set(key, twin!);
    input[key] = envValue(schema, meta, fromEnv);
  }
  const parsed = z.object(shape).safeParse(input);
  if (parsed.success) return { spec: raw.spec, options: parsed.data };
  const issue = parsed.error.issues[0]!;
  const key = String(issue.path[0]);
  const meta = metaOf(shape[key]!);
  const flag = meta?.kind === "flag" ? longFlag(meta.flags) : meta?.kind === "argument" ? meta.syntax : key;
  throw plxError("USAGE.INVALID_OPTION", {
    flag,
    value: describeValue(input[key], issue.path.slice(1)),
    problem: issue.message,
    command: `plx ${raw.spec.name}`,
    ...(sources.has(key) ? { source: sources.get(key) } : {}),
  });
}

/** An environment value as the flag would have given it. */
function envValue(schema: z.ZodType, meta: FlagMeta, value: string): unknown {
  if (meta.repeatable) {
    return value
      .split(",")
      .map((part) => part.trim())
      .filter((part) => part !== "");
  }
  const isBoolean = schema.safeParse(true).success && !schema.safeParse("text").success;
  if (!isBoolean) return value;
  const on = envBoolean(value);
  // A negated flag's twin (PLX_NO_INPUT=1) turns the value off.
  return meta.flags.startsWith("--no-") ? !on : on;
}

const longFlag = (flags: string) => /--[a-z0-9-]+/.exec(flags)?.[0] ?? flags;

function describeValue(value: unknown, within: readonly PropertyKey[]): string {
  let current = value;
  for (const step of within) current = (current as Record<PropertyKey, unknown> | undefined)?.[step];
  return Array.isArray(current) ? current.join(", ") : String(current);
}

/** Reads argv and the environment into a command and its options, as the CLI does, without running anything. */
export async function parseCommandLine(argv: readonly string[], env: Env): Promise<Invocation | undefined> {
  let raw: RawInvocation | undefined;
  const program = createProgram((invocation) => {
    raw = invocation;
  });
  for (const command of commandTree(program)) {
    command.exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  }
  await program.parseAsync([...argv], { from: "user" });
  return raw && parseInvocation(raw, env);
}

/** The program and every command below it. */
export function commandTree(program: Command): Command[] {
  const all = [program];
  for (const command of all) all.push(...command.commands);
  return all;
}
