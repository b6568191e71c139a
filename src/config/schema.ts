import { DEFAULT_BASE_URL, DEFAULT_CONCURRENCY } from "../core/defaults.js";
import { z } from "zod";
import { labelNameProblem } from "../core/label-names.js";

export const CONFIG_FILE_NAME = "plx.config.yaml";

/** What the repo tracks on the remote: the latest version of each template, or the version a release label points at. */
export type TrackedState = { kind: "latest" } | { kind: "label"; label: string };

const trackSchema = z.string().trim().min(1).describe('"latest", or "label:<name>" to follow a release label');

/** A release label name as PromptLayer accepts it, so a bad one fails here rather than half-way through a publish. */
const labelName = z.string().superRefine((value, ctx) => {
  const problem = labelNameProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/** plx.config.yaml. Every key is optional; unknown keys are an error so a typo never passes silently. */
export const configFileSchema = z
  .object({
    promptsDir: z.string().trim().min(1).optional(),
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
    externalIdSource: z.string().trim().min(1).max(128).optional(),
    concurrency: z.number().int().min(1).max(256).optional(),
    track: trackSchema.optional(),
    /** Release label → template names or globs that carry it; publish adds a label only where this (or --all) says. */
    labels: z.record(labelName, z.array(z.string().min(1))).optional(),
    /** Template names or globs plx never touches: not pulled, pushed, compared or checked. */
    ignore: z.array(z.string().min(1)).optional(),
  })
  .strict();

export type ConfigFile = z.infer<typeof configFileSchema>;

export interface ResolvedConfig {
  /** Directory holding plx.config.yaml, or the working directory when there is none. */
  rootDir: string;
  /** Absolute path of the config file, when one was found. */
  configFile: string | undefined;
  promptsDir: string;
  baseUrl: string;
  externalIdSource: string;
  concurrency: number;
  track: TrackedState;
  /** Release label → the template names or globs plx.config.yaml assigns it to. */
  labelAssignments: Record<string, string[]>;
  /** Template names or globs plx never touches. */
  ignore: string[];
}

export const CONFIG_DEFAULTS = {
  promptsDir: "prompts",
  baseUrl: DEFAULT_BASE_URL,
  externalIdSource: "plx",
  concurrency: DEFAULT_CONCURRENCY,
  track: "latest",
} as const;

export function parseTrack(value: string): TrackedState | undefined {
  if (value === "latest") return { kind: "latest" };
  const match = /^label:(.+)$/.exec(value);
  return match ? { kind: "label", label: match[1]!.trim() } : undefined;
}
