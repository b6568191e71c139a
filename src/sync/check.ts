// `plx check`: offline validation fast enough for a pre-commit hook. Reports every finding at once, each with
// file:line:col and what to do.
import { join } from "node:path";
import { checkAgentFiles } from "../agents/check.js";
import { snippetRefsIn } from "../core/snippets.js";
import { isJsonObject, type JsonValue } from "../core/template.js";
import type { ResolvedConfig } from "../config/schema.js";
import { scanPromptFiles, type LocalTemplate } from "../files/local.js";
import { readLockfile } from "../files/lockfile.js";
import { findBySuffix } from "../files/walk.js";
import { assertProject } from "./repository.js";
import { locationFromPath, PROMPT_FILE_SUFFIX } from "../files/paths.js";
import { positionFinder } from "../files/prompt-file.js";

import type { Finding, Severity } from "../core/findings.js";

export type { Finding, Severity };

export interface CheckReport {
  checked: number;
  findings: Finding[];
  errors: number;
  warnings: number;
}

const F_STRING_VARIABLE = /(?<!\{)\{(\w+)(?:[!:][^{}]*)?\}(?!\})/g;
const JINJA_VARIABLE = /\{\{-?\s*([A-Za-z_]\w*)/g;
const JINJA_LOOKS = /\{\{[^}]*\}\}|\{%[^%]*%\}/;

/** Checks the given files (repo-relative or absolute), or every prompt file when none are given. */
export async function check(config: ResolvedConfig, files: readonly string[]): Promise<CheckReport> {
  const only = files.length > 0 ? files : undefined;
  if (!only) assertProject(config);
  const [scan, lock, knownNames] = await Promise.all([
    scanPromptFiles(config.rootDir, config.promptsDir, { only }),
    readLockfile(config.rootDir),
    // Names of every prompt file, from paths alone: cheap, and enough to resolve snippet references.
    findBySuffix(join(config.rootDir, config.promptsDir), PROMPT_FILE_SUFFIX).map(
      (path) => locationFromPath(`${config.promptsDir}/${path}`, config.promptsDir).name,
    ),
  ]);
  const findings: Finding[] = scan.problems.map((problem) => ({ ...problem, severity: "error", code: "invalid-file" }));
  const kinds = new Map<string, string>();
  for (const template of scan.templates) kinds.set(template.name, String(template.doc.promptTemplate.type));
  const resolvable = new Set([...knownNames, ...Object.keys(lock.templates), ...kinds.keys()]);
  for (const template of scan.templates) findings.push(...checkTemplate(template, resolvable, kinds));
  const agents = await checkAgentFiles(config, only, resolvable);
  findings.push(...agents.findings);

  findings.sort((a, b) => a.path.localeCompare(b.path) || a.line - b.line || a.col - b.col);
  const errors = findings.filter((finding) => finding.severity === "error").length;
  return {
    checked: scan.templates.length + new Set(scan.problems.map((p) => p.path)).size + agents.checked,
    findings,
    errors,
    warnings: findings.length - errors,
  };
}

interface TextSite {
  at: Array<string | number>;
  text: string;
  format: string;
}

function checkTemplate(
  template: LocalTemplate,
  resolvable: ReadonlySet<string>,
  kinds: ReadonlyMap<string, string>,
): Finding[] {
  const { doc, path } = template;
  // Positions cost a second parse, so they are computed only for a file that has findings.
  let locate: ReturnType<typeof positionFinder> | undefined;
  const findings: Finding[] = [];
  const add = (at: Array<string | number>, severity: Severity, code: string, message: string, hint: string) =>
    findings.push({ path, ...(locate ??= positionFinder(template.text))(at), severity, code, message, hint });

  const sites = textSites(doc.promptTemplate);
  for (const site of sites) {
    for (const ref of snippetRefsIn(site.text)) {
      if (ref.name === doc.name)
        add(
          site.at,
          "error",
          "snippet-self",
          `${ref.source} refers to this template itself`,
          "A snippet cannot include itself; remove the reference.",
        );
      else if (!resolvable.has(ref.name))
        add(
          site.at,
          "error",
          "snippet-missing",
          `snippet ${ref.source} matches no prompt file and no template in plx.lock`,
          `Create ${ref.name}${PROMPT_FILE_SUFFIX}, run \`plx pull\` if it exists in PromptLayer, or fix the name (names are case-sensitive).`,
        );
      else if (kinds.get(ref.name) === "chat")
        add(
          site.at,
          "error",
          "snippet-not-completion",
          `${ref.source} refers to a chat template; only completion templates can be snippets`,
          `Make ${ref.name} a completion template, or copy its text here.`,
        );
    }
    if (site.format !== "jinja2" && JINJA_LOOKS.test(site.text)) {
      add(
        site.at,
        "warning",
        "format-mismatch",
        "the text uses jinja2 syntax ({{ }} or {% %}) but its template_format is f-string",
        "Add `template_format: jinja2` if the text is meant as jinja2.",
      );
    }
  }

  // Only texts with braces care which format they are in; a plain system message is fine in either.
  const formats = new Set(sites.filter((site) => site.text.includes("{")).map((site) => site.format));
  if (formats.size > 1)
    add(
      ["messages"],
      "warning",
      "mixed-formats",
      `the messages mix template formats (${[...formats].sort().join(" and ")})`,
      "Use one template_format for every message, unless the mix is deliberate.",
    );

  const declared = declaredVariables(doc.promptTemplate);
  if (declared !== undefined) {
    // Each finding points where it is: an undeclared variable at the text using it, an unused one at its entry.
    const used = new Map<string, Array<string | number>>();
    for (const site of sites)
      for (const name of variablesIn(site.text, site.format)) if (!used.has(name)) used.set(name, site.at);
    for (const [name, at] of used)
      if (!declared.has(name))
        add(
          at,
          "warning",
          "variable-undeclared",
          `{${name}} is used in the text but not listed in input_variables`,
          `Add ${name} to input_variables, or remove the list and let PromptLayer derive it.`,
        );
    for (const [name, at] of declared)
      if (!used.has(name))
        add(
          at,
          "warning",
          "variable-unused",
          `input_variables lists ${name}, which no text uses`,
          `Remove ${name} from input_variables, or use it in the text.`,
        );
  }
  return findings;
}

/** Every text block with its file position and template format. */
function textSites(promptTemplate: Record<string, JsonValue>): TextSite[] {
  const fromContent = (content: JsonValue | undefined, at: Array<string | number>, format: string): TextSite[] => {
    if (typeof content === "string") return [{ at, text: content, format }];
    if (!Array.isArray(content)) return [];
    return content.flatMap((block, index) =>
      isJsonObject(block) && typeof block.text === "string" ? [{ at: [...at, index], text: block.text, format }] : [],
    );
  };
  if (Array.isArray(promptTemplate.messages)) {
    return promptTemplate.messages.flatMap((message, index) =>
      isJsonObject(message)
        ? fromContent(
            message.content,
            ["messages", index, "content"],
            typeof message.template_format === "string" ? message.template_format : "f-string",
          )
        : [],
    );
  }
  const format = typeof promptTemplate.template_format === "string" ? promptTemplate.template_format : "f-string";
  return fromContent(promptTemplate.content, ["content"], format);
}

/**
 * The declared variables and where each is first listed (the template's input_variables or a message's), when
 * the file declares any; hand-written files usually leave that to PromptLayer.
 */
function declaredVariables(promptTemplate: Record<string, JsonValue>): Map<string, Array<string | number>> | undefined {
  const lists: Array<[JsonValue | undefined, Array<string | number>]> = [
    [promptTemplate.input_variables, ["input_variables"]],
    ...(Array.isArray(promptTemplate.messages)
      ? promptTemplate.messages.map((m, index): [JsonValue | undefined, Array<string | number>] => [
          isJsonObject(m) ? m.input_variables : undefined,
          ["messages", index, "input_variables"],
        ])
      : []),
  ];
  const declared = new Map<string, Array<string | number>>();
  for (const [list, at] of lists) {
    if (!Array.isArray(list)) continue;
    list.forEach((name, index) => {
      if (typeof name === "string" && !declared.has(name)) declared.set(name, [...at, index]);
    });
  }
  return declared.size === 0 ? undefined : declared;
}

function variablesIn(text: string, format: string): string[] {
  return [...text.matchAll(format === "jinja2" ? JINJA_VARIABLE : F_STRING_VARIABLE)].map((match) => match[1]!);
}
