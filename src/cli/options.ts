// The vocabulary commands declare their options with. Each option is one zod schema carrying, as metadata, how it
// is spelt on the command line, its help line and its environment twin, so the parser, the help and the twin are
// generated from one declaration and cannot drift apart.
import { z } from "zod";
import { labelNameProblem } from "../core/label-names.js";

export interface FlagMeta {
  kind: "flag";
  /** As commander spells it: "--label <label>", "-m, --message <text>", "--dry-run". */
  flags: string;
  help: string;
  /** The environment twin; by default PLX_ and the option's name in capitals. `false` for none. */
  env?: string | false;
  /** May be given more than once; the environment twin then holds comma-separated values. */
  repeatable?: boolean;
  /** Allowed values, listed in the help. */
  choices?: readonly string[];
}

export interface ArgumentMeta {
  kind: "argument";
  /** Shown in usage: `<label>`, `[names...]`. */
  syntax: string;
  help: string;
}

export type OptionMeta = FlagMeta | ArgumentMeta;

/** The options of one command: an object schema whose every member says how it is given. */
export type OptionsShape = Record<string, z.ZodType>;

const withMeta = <T extends z.ZodType>(schema: T, meta: OptionMeta): T => schema.meta({ plx: meta }) as T;

export function metaOf(schema: z.ZodType): OptionMeta | undefined {
  return (schema.meta() as { plx?: OptionMeta } | undefined)?.plx;
}

/** `--dry-run`, `--no-input`: on when given; its twin is on unless set to an off value. */
export function booleanFlag(flags: string, help: string, extra: Pick<FlagMeta, "env"> = {}) {
  return withMeta(z.boolean().default(false), { kind: "flag", flags, help, ...extra });
}

/** `--color` / `--no-color`: undefined unless one is given. */
export function switchFlag(flags: string, help: string, extra: Pick<FlagMeta, "env"> = {}) {
  return withMeta(z.boolean().optional(), { kind: "flag", flags, help, ...extra });
}

/** A value flag. `check` returns what is wrong with a value, or undefined when it is fine. */
export function stringFlag(
  flags: string,
  help: string,
  extra: Pick<FlagMeta, "env"> & { check?: (value: string) => string | undefined } = {},
) {
  const { check, ...meta } = extra;
  const schema = z
    .string()
    .superRefine((value, ctx) => {
      const problem = check?.(value);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .optional();
  return withMeta(schema, { kind: "flag", flags, help, ...meta });
}

/** A flag given any number of times: `--label prod --label staging`. */
export function listFlag(
  flags: string,
  help: string,
  extra: Pick<FlagMeta, "env"> & { check?: (value: string) => string | undefined } = {},
) {
  const { check, ...meta } = extra;
  const schema = z
    .array(
      z.string().superRefine((value, ctx) => {
        const problem = check?.(value);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }),
    )
    .default([]);
  return withMeta(schema, { kind: "flag", flags, help, repeatable: true, ...meta });
}

export function choiceFlag<const C extends readonly [string, ...string[]]>(
  flags: string,
  help: string,
  choices: C,
  extra: Pick<FlagMeta, "env"> = {},
) {
  const schema = z.enum(choices, { error: () => `expected one of ${choices.join(", ")}` }).optional();
  return withMeta(schema, { kind: "flag", flags, help, choices, ...extra });
}

/** A whole number within bounds, given as text on the command line or in the environment. */
export function integerFlag(
  flags: string,
  help: string,
  bounds: { min: number; max?: number },
  extra: Pick<FlagMeta, "env"> = {},
) {
  const max = bounds.max ?? Number.MAX_SAFE_INTEGER;
  const schema = z
    .string()
    .transform((value, ctx) => {
      const parsed = Number(value.trim());
      if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < bounds.min || parsed > max) {
        ctx.addIssue({ code: "custom", message: `expected a whole number from ${bounds.min} to ${max}` });
        return z.NEVER;
      }
      return parsed;
    })
    .optional();
  return withMeta(schema, { kind: "flag", flags, help, ...extra });
}

/** A number from 0 to 1. */
export function fractionFlag(flags: string, help: string, extra: Pick<FlagMeta, "env"> = {}) {
  const schema = z
    .string()
    .transform((value, ctx) => {
      const parsed = Number(value);
      if (value.trim() === "" || !Number.isFinite(parsed) || parsed < 0 || parsed > 1) {
        ctx.addIssue({ code: "custom", message: "expected a number from 0 to 1" });
        return z.NEVER;
      }
      return parsed;
    })
    .optional();
  return withMeta(schema, { kind: "flag", flags, help, ...extra });
}

/** A length of time, `90s`, `10m`, `1h`, `500ms` or a bare number of seconds, parsed to milliseconds. */
export function durationFlag(
  flags: string,
  help: string,
  bounds: { minMs: number; maxMs: number; default: string },
  extra: Pick<FlagMeta, "env"> = {},
) {
  const schema = z
    .string()
    .default(bounds.default)
    .transform((value, ctx) => {
      const ms = durationMs(value);
      if (ms === undefined || ms < bounds.minMs || ms > bounds.maxMs) {
        ctx.addIssue({
          code: "custom",
          message: `expected a duration from ${bounds.minMs} ms to ${bounds.maxMs / 3_600_000} h, such as 90s, 10m or 1h`,
        });
        return z.NEVER;
      }
      return ms;
    });
  return withMeta(schema, { kind: "flag", flags, help, ...extra });
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

export function durationMs(value: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(value.trim());
  return match ? Math.round(Number(match[1]) * DURATION_UNITS[match[2] ?? "s"]!) : undefined;
}

/** `name@7` names version 7 of `name`; anything else is a bare name (one that holds "@" but no version, too). */
export function nameAtVersion(spec: string): { name: string; version?: number } {
  const match = /^(.+)@(\d+)$/s.exec(spec);
  return match ? { name: match[1]!, version: Number(match[2]) } : { name: spec };
}

/**
 * The name and version a command acts on, from `name@3` or `--version 3`; both at once must agree. The caller makes
 * sure the spec passed nameAtVersionProblem.
 */
export function targetOf(
  spec: string,
  versionFlag: number | undefined,
): { name: string; version?: number; conflict?: string } {
  const { name, version } = nameAtVersion(spec);
  if (versionFlag === undefined || version === versionFlag)
    return { name, ...(version === undefined ? {} : { version }) };
  if (version === undefined) return { name, version: versionFlag };
  return { name, version, conflict: `${spec} names version ${version} and --version ${versionFlag} another` };
}

export function nameAtVersionProblem(spec: string): string | undefined {
  if (spec.trim() === "") return "a name cannot be empty";
  const { version } = nameAtVersion(spec);
  return version !== undefined && (version < 1 || !Number.isSafeInteger(version))
    ? "versions start at 1: write name@<version>, for example triage@3"
    : undefined;
}

/** `name=value`, for flags that set one entry of a mapping; the value may be empty and may hold "=". */
export function keyValueProblem(value: string): string | undefined {
  const at = value.indexOf("=");
  return at > 0 && value.slice(0, at).trim() !== "" ? undefined : "expected name=value";
}

/** An http(s) URL. */
export function urlFlag(flags: string, help: string, extra: Pick<FlagMeta, "env"> = {}) {
  return stringFlag(flags, help, { ...extra, check: httpUrlProblem });
}

export function httpUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "expected an http(s) URL";
  }
  return url.protocol === "http:" || url.protocol === "https:" ? undefined : "expected an http(s) URL";
}

/** One required positional argument. */
export function requiredArgument(name: string, help: string, check?: (value: string) => string | undefined) {
  const schema = z.string().superRefine((value, ctx) => {
    const problem = check?.(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });
  return withMeta(schema, { kind: "argument", syntax: `<${name}>`, help });
}

/** One positional argument that may be left out (`[name]`). */
export function optionalArgument(name: string, help: string, check?: (value: string) => string | undefined) {
  const schema = z
    .string()
    .superRefine((value, ctx) => {
      const problem = check?.(value);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .optional();
  return withMeta(schema, { kind: "argument", syntax: `[${name}]`, help });
}

/** Any number of positional arguments (`[names...]`), or at least one (`<files...>`). */
export function variadicArgument(name: string, help: string, options: { required?: boolean } = {}) {
  return withMeta(z.array(z.string()).default([]), {
    kind: "argument",
    syntax: options.required ? `<${name}...>` : `[${name}...]`,
    help,
  });
}

/**
 * A label name given on the command line: one PromptLayer accepts, and not a flag (`--label --yes` would otherwise
 * make a label called "--yes").
 */
export function labelFlagProblem(value: string): string | undefined {
  if (value.startsWith("-"))
    return "a label name cannot start with '-'; give the label after --label, e.g. --label prod";
  return labelNameProblem(value);
}

/** PLX_DRY_RUN for `dryRun`. */
export const envTwinOf = (key: string) => `PLX_${key.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase()}`;

/** Values of a boolean flag's twin that mean "off", as a CI variable left at 0 or false should. */
const OFF = new Set(["", "0", "false", "no", "off"]);
export const envBoolean = (value: string) => !OFF.has(value.trim().toLowerCase());
