// `plx check`: offline validation fast enough for a pre-commit hook. Reports every finding at once, each with
// file:line:col and what to do: what PromptLayer would refuse (422), what it would render other than meant, and
// what is probably a slip. With `remote`, also the templates changed both here and in PromptLayer since the last
// sync, which is what a pre-push hook should stop.
import { basename, join } from "node:path";
import { checkAgentFiles } from "../agents/check.js";
import type { ResolvedConfig } from "../config/schema.js";
import { labelNameProblem } from "../core/label-names.js";
import { emptyLockfile, LOCKFILE_NAME, type Lockfile } from "../core/lock.js";
import { snippetRefsIn } from "../core/snippets.js";
import { closestName } from "../core/suggest.js";
import { isJsonObject, type JsonValue } from "../core/template.js";
import type { Finding, Severity } from "../core/findings.js";
import { lintTemplate, type VersionPath } from "../core/template-lint.js";
import { TEMPLATE_FIELDS, WELL_KNOWN_PARAMETERS } from "../core/template-schema.js";
import { isPlxError } from "../errors/index.js";
import { CheckCache } from "../files/check-cache.js";
import { type LocalTemplate, scanPromptFiles } from "../files/local.js";
import { readLockfile } from "../files/lockfile.js";
import { locationFromPath, PROMPT_FILE_SUFFIX } from "../files/paths.js";
import { FILE_KEYS, fileLocator, TEMPLATE_OVERFLOW, type FileLocator } from "../files/prompt-file.js";
import { StatCache } from "../files/stat-cache.js";
import { findBySuffix } from "../files/walk.js";
import type { PromptLayerClient } from "../promptlayer/index.js";
import { analyzePromptTemplate, type Location } from "../render/index.js";
import { PLX_VERSION } from "../version.js";
import { compareWithRemote, type Change } from "./compare.js";
import { assertProject, withoutIgnored } from "./repository.js";

export type { Finding, Severity };

export interface CheckReport {
  checked: number;
  findings: Finding[];
  errors: number;
  warnings: number;
  /** With --remote: how many templates were compared with PromptLayer, and how many of them conflict. */
  remote?: { compared: number; conflicts: number };
}

export interface CheckOptions {
  /** Also compare with PromptLayer, reporting conflicts as errors. */
  remote?: { client: PromptLayerClient; onProgress?: (done: number, total: number) => void };
}

/** prompt_name: 1 to 512 characters. */
const MAX_NAME_LENGTH = 512;

/** Checks the given files (repo-relative or absolute), or every prompt file when none are given. */
export async function check(
  config: ResolvedConfig,
  files: readonly string[],
  options: CheckOptions = {},
): Promise<CheckReport> {
  const only = files.length > 0 ? files : undefined;
  if (!only || options.remote) assertProject(config);
  const lockRead = await readLockForCheck(config.rootDir);
  const { lock } = lockRead;
  const statCache = StatCache.load(config.rootDir);
  // This module's URL names the build: bundled chunks are named by a hash of their code and what they import, so a
  // plx with other rules never reads findings this one cached.
  const checkCache = CheckCache.load(
    config.rootDir,
    `${PLX_VERSION} ${basename(import.meta.url)} ${config.promptsDir}`,
  );
  const [scan, knownNames] = await Promise.all([
    // Files the lock and the stat cache vouch for are not read, and are parsed only if their findings are not cached.
    scanPromptFiles(config.rootDir, config.promptsDir, {
      only,
      cache: statCache,
      ...(lockRead.unreadable ? {} : { lock }),
    }),
    // Names of every prompt file, from paths alone: cheap, and enough to resolve snippet references.
    findBySuffix(join(config.rootDir, config.promptsDir), PROMPT_FILE_SUFFIX).map(
      (path) => locationFromPath(`${config.promptsDir}/${path}`, config.promptsDir).name,
    ),
  ]);
  // Files plx.config.yaml tells plx never to touch are not checked either.
  const { templates, problems } = withoutIgnored(config, scan);

  const findings: Finding[] = [
    ...lockRead.findings,
    ...problems.map(({ code, ...problem }) => ({
      ...problem,
      severity: "error" as const,
      code: code ?? "invalid-file",
    })),
  ];
  const cached = new Map(
    templates.map((template) => [template.path, checkCache.get(template.path, template.fileHash)]),
  );
  const kindOf = (template: LocalTemplate) =>
    cached.get(template.path)?.kind ?? String(template.doc.promptTemplate.type);
  const kinds = new Map<string, string>();
  for (const template of templates) kinds.set(template.name, kindOf(template));
  const resolvable = new Set([...knownNames, ...Object.keys(lock.templates), ...kinds.keys()]);
  for (const template of templates) {
    const context = referenceContext(template, resolvable, kinds);
    const hit = cached.get(template.path);
    if (hit?.context === context) {
      findings.push(...hit.findings);
      continue;
    }
    const found = checkTemplate(template, resolvable, kinds);
    checkCache.set(template.path, { file: template.fileHash, kind: kindOf(template), context, findings: found });
    findings.push(...found);
  }
  // The stat cache also knows agent files; it forgets files when a whole repository is read, not here.
  if (!only) checkCache.keepOnly(new Set([...scan.templates.map((t) => t.path), ...scan.problems.map((p) => p.path)]));
  await Promise.all([checkCache.save(), statCache.save()]);
  const agents = await checkAgentFiles(config, only, resolvable);
  findings.push(...agents.findings);

  let remote: CheckReport["remote"];
  // An unreadable lock is already an error, and without it there is no last sync to compare with.
  if (options.remote && !lockRead.unreadable) {
    // Given files, only their templates and agents are compared.
    const names = only ? [...templates.map((template) => template.name), ...agents.names] : [];
    if (!only || names.length > 0) {
      const comparison = await compareWithRemote({ ...options.remote, config }, names);
      const conflicts = comparison.changes.filter((change) => change.state === "conflict");
      findings.push(...conflicts.map(conflictFinding));
      remote = { compared: comparison.changes.length + comparison.inSync, conflicts: conflicts.length };
    } else remote = { compared: 0, conflicts: 0 };
  }

  findings.sort((a, b) => a.path.localeCompare(b.path) || a.line - b.line || a.col - b.col);
  const errors = findings.filter((finding) => finding.severity === "error").length;
  return {
    checked: templates.length + new Set(problems.map((p) => p.path)).size + agents.checked,
    findings,
    errors,
    warnings: findings.length - errors,
    ...(remote ? { remote } : {}),
  };
}

/**
 * What a file's findings depend on outside it: what each snippet it refers to resolves to. The same file in the same
 * surroundings has the same findings.
 */
function referenceContext(template: LocalTemplate, resolvable: ReadonlySet<string>, kinds: TemplateKinds): string {
  const resolved = template.snippets.map((name) =>
    name === template.name ? "self" : (kinds.get(name) ?? (resolvable.has(name) ? "known" : "missing")),
  );
  return JSON.stringify([template.name, template.snippets, resolved]);
}

/** plx.lock, or the finding that says why it cannot be read (a merge's conflict markers, most often). */
async function readLockForCheck(
  rootDir: string,
): Promise<{ lock: Lockfile; findings: Finding[]; unreadable?: boolean }> {
  try {
    return { lock: await readLockfile(rootDir), findings: [] };
  } catch (error) {
    if (!isPlxError(error) || !error.code.startsWith("LOCK.")) throw error;
    const line = typeof error.details?.line === "number" ? error.details.line : 1;
    const finding: Finding = {
      path: LOCKFILE_NAME,
      line,
      col: 1,
      severity: "error",
      code: error.code === "LOCK.CONFLICT_MARKERS" ? "conflict-markers" : "lock-invalid",
      message: error.message,
      hint: error.hint ?? "",
    };
    return { lock: emptyLockfile(), findings: [finding], unreadable: true };
  }
}

function conflictFinding(change: Change): Finding {
  const synced = change.baseVersion === undefined ? "never synced here" : `last synced at v${change.baseVersion}`;
  const remote =
    change.remoteVersion === undefined ? "deleted in PromptLayer" : `PromptLayer has v${change.remoteVersion}`;
  return {
    path: change.path,
    line: 1,
    col: 1,
    severity: "error",
    code: "conflict",
    message: `${change.name} changed both here and in PromptLayer since the last sync (${remote}, ${synced})`,
    hint:
      `See both sides with \`plx diff ${change.name}\`. To keep both edits, run ` +
      `\`plx pull --force ${change.name}\` (yours stays in git), re-apply yours on PromptLayer's version and commit; ` +
      "`plx push --force` overwrites PromptLayer's instead.",
  };
}

// ---- One prompt file ----

/** A text of the template: where it is in prompt_template (its `text` field, or the content string) and its format. */
interface TextSite {
  at: Array<string | number>;
  text: string;
  format: string;
}

/**
 * The check errors that stop a push or publish: what PromptLayer refuses (422) by its spec, and what plx would publish
 * other than the file says (a misspelt top-level key). Syntax errors found by plx's own renderers are left out: a
 * text plx cannot parse may still be one PromptLayer's Python renderer takes, and its edits must stay publishable.
 */
export const BLOCKS_PUBLISH: ReadonlySet<string> = new Set([
  "field-missing",
  "field-type",
  "field-value",
  "role-unknown",
  "name-invalid",
  "label-invalid",
  "snippet-self",
  "snippet-not-completion",
  "top-level-key-unknown",
]);

/** The type (chat, completion) of a template by name, where it is known. */
export interface TemplateKinds {
  get(name: string): string | undefined;
}

/**
 * What `plx check` finds in one prompt file: `resolvable` holds every name a snippet reference may resolve to, and
 * `kinds` tells the type of those the repository holds. push and publish refuse a file with errors among them.
 */
export function checkTemplate(
  template: LocalTemplate,
  resolvable: ReadonlySet<string>,
  kinds: TemplateKinds,
): Finding[] {
  const { doc, path } = template;
  // Positions cost a second parse, so the file is located only when it has findings.
  let located: FileLocator | undefined;
  const locator = () => (located ??= fileLocator(template.text));
  const findings: Finding[] = [];
  type Where = { within?: Location; key?: boolean };
  const add = (at: VersionPath, severity: Severity, code: string, message: string, hint: string, where: Where = {}) => {
    const filePath = fileTemplatePath(at, locator());
    const { within, key } = where;
    const position =
      within?.line !== undefined
        ? locator().inText(filePath, within.line, within.col ?? 1)
        : key
          ? locator().keyAt(filePath)
          : locator().at(filePath);
    findings.push({ path, ...position, severity, code, message, hint });
  };
  const inTemplate = (at: Array<string | number>): VersionPath => ["prompt_template", ...at];

  findings.push(...unknownTopLevelKeys(template, locator));
  const nameLength = [...doc.name].length;
  if (nameLength > MAX_NAME_LENGTH)
    findings.push({
      path,
      ...locator().at(["name"]),
      severity: "error",
      code: "name-invalid",
      message: `the template name is ${nameLength} characters long; PromptLayer takes ${MAX_NAME_LENGTH} at most`,
      hint: "Give the template a shorter name (the file name, or `name:` in the file).",
    });
  for (const issue of lintTemplate(doc))
    add(issue.at, issue.severity, issue.code, issue.message, issue.hint, { key: issue.key ?? false });

  const sites = textSites(doc.promptTemplate);
  const mismatched = new Set<string>();
  for (const site of sites) {
    for (const ref of snippetRefsIn(site.text)) {
      if (ref.name === doc.name)
        add(
          inTemplate(site.at),
          "error",
          "snippet-self",
          `${ref.source} refers to this template itself`,
          "A snippet cannot include itself; remove the reference.",
        );
      else if (!resolvable.has(ref.name))
        add(
          inTemplate(site.at),
          "error",
          "snippet-missing",
          `snippet ${ref.source} matches no prompt file and no template in plx.lock`,
          `Create ${ref.name}${PROMPT_FILE_SUFFIX}, run \`plx pull\` if it exists in PromptLayer, or fix the name ` +
            "(names are case-sensitive).",
        );
      else if (kinds.get(ref.name) === "chat")
        add(
          inTemplate(site.at),
          "error",
          "snippet-not-completion",
          `${ref.source} refers to a chat template; only completion templates can be snippets`,
          `Make ${ref.name} a completion template, or copy its text here.`,
        );
      const problem = ref.pin.kind === "label" ? labelNameProblem(ref.pin.label) : undefined;
      if (problem)
        add(
          inTemplate(site.at),
          "error",
          "label-invalid",
          `${ref.source} pins a label PromptLayer cannot have: ${problem}`,
          "Write the label as PromptLayer names it, e.g. @@@tone@label:prod@@@.",
        );
    }
    if (site.format !== "jinja2" && JINJA_LOOKS.test(site.text)) {
      mismatched.add(JSON.stringify(site.at));
      add(
        inTemplate(site.at),
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
      inTemplate(["messages"]),
      "warning",
      "mixed-formats",
      `the messages mix template formats (${[...formats].sort().join(" and ")})`,
      "Use one template_format for every message, unless the mix is deliberate.",
    );

  // What the template reads, as PromptLayer's renderer (and `plx run`) sees it.
  const analysis = analyzePromptTemplate(doc.promptTemplate);
  for (const failure of analysis.syntaxErrors) {
    const jinja = formatAt(doc.promptTemplate, failure.at.path) === "jinja2";
    add(
      inTemplate(failure.at.path),
      "error",
      jinja ? "jinja-syntax" : "fstring-syntax",
      `${jinja ? "jinja2" : "f-string"} text does not parse: ${failure.message}`,
      jinja
        ? `Close every {% %} tag ({% endif %}, {% endfor %}) and {{ }} expression; ${UNRENDERED}`
        : `Double a brace meant literally ({{ or }}), or set \`template_format: jinja2\`; ${UNRENDERED}`,
      { within: failure.at },
    );
  }
  for (const warning of analysis.warnings) {
    // A text already flagged as jinja2 written as an f-string: its `{% if %}` is that same slip, not a second one.
    if (mismatched.has(JSON.stringify(warning.at.path))) continue;
    add(
      inTemplate(warning.at.path),
      "warning",
      "variable-not-a-name",
      warning.message,
      "Write the variable without spaces ({name}), or double the braces ({{ }}) for literal text.",
      { within: warning.at },
    );
  }

  const declared = declaredVariables(doc.promptTemplate);
  if (declared !== undefined) {
    // Each finding points where it is: an undeclared variable at the text using it, an unused one at its entry.
    // PromptLayer derives input_variables from the texts, so those are the uses that count.
    const used = new Map(
      analysis.variables.filter((use) => use.kind === "text").map((use) => [use.name, use.at] as const),
    );
    for (const [name, at] of used)
      if (!declared.has(name))
        add(
          inTemplate(at.path),
          "warning",
          "variable-undeclared",
          `{${name}} is used in the text but not listed in input_variables`,
          `Add ${name} to input_variables, or remove the list and let PromptLayer derive it.`,
          { within: at },
        );
    for (const [name, at] of declared)
      if (!used.has(name))
        add(
          inTemplate(at),
          "warning",
          "variable-unused",
          `input_variables lists ${name}, which no text uses`,
          `Remove ${name} from input_variables, or use it in the text.`,
        );
  }
  return findings;
}

const JINJA_LOOKS = /\{\{[^}]*\}\}|\{%[^%]*%\}/;
const UNRENDERED = "PromptLayer sends a text it cannot render as written.";

/**
 * Keys at the top of the file are published, as prompt_template fields: one the format does not know is a typo or
 * data in the wrong place, and PromptLayer would drop it or keep it where nothing reads it.
 */
function unknownTopLevelKeys(template: LocalTemplate, locator: () => FileLocator): Finding[] {
  const { doc, path } = template;
  const type = doc.promptTemplate.type === "completion" ? "completion" : "chat";
  const own: readonly string[] = TEMPLATE_FIELDS[type];
  const unknown = Object.keys(doc.promptTemplate).filter((key) => !own.includes(key));
  if (unknown.length === 0) return [];
  const other = type === "chat" ? "completion" : "chat";
  const known = [...FILE_KEYS, TEMPLATE_OVERFLOW, ...own];
  // A key under template_fields is published on purpose; only those written at the top level are in question.
  return unknown
    .filter((key) => !locator().has([TEMPLATE_OVERFLOW, key]))
    .map((key) => {
      const guess = closestName(key, known);
      const elsewhere = (TEMPLATE_FIELDS[other] as readonly string[]).includes(key);
      // `temperature: 0.2` at the top is a model parameter in the wrong place.
      const parameters: readonly string[] = WELL_KNOWN_PARAMETERS;
      const parameter = parameters.includes(key) ? key : guess ? undefined : closestName(key, parameters);
      const message = elsewhere
        ? `${key} is a field of ${other} templates, not of this ${type} template`
        : `unknown key ${key}${guess ? `; did you mean ${guess}?` : parameter ? ` (a model parameter?)` : ""}`;
      const hint =
        key === "template_format" && type === "chat"
          ? "A chat template sets template_format on each message: move it into the messages that need it."
          : guess && !elsewhere
            ? `Rename it to ${guess}. Keys at the top of the file are published as template fields.`
            : parameter
              ? `Model parameters go under \`model:\` → \`parameters:\`, e.g. parameters: {${parameter}: …}.`
              : "Custom data belongs under `metadata:` (version metadata) or `extras:` (version-level fields); " +
                "a template field plx does not know goes under `template_fields:`.";
      // A chat template's own template_format is odd but held by PromptLayer, and pull writes it at the top.
      const held = key === "template_format" && type === "chat";
      return {
        path,
        ...locator().keyAt([key]),
        severity: held ? ("warning" as const) : ("error" as const),
        code: "top-level-key-unknown",
        message,
        hint,
      };
    });
}

/** Where a path into the version is in the file: the model at the top, unknown template fields in template_fields. */
function fileTemplatePath(at: VersionPath, locator: FileLocator): Array<string | number> {
  const [root, first, ...rest] = at;
  if (first === undefined) return root === "prompt_template" ? [] : [root!];
  if (root === "prompt_template")
    return locator.has([TEMPLATE_OVERFLOW, first]) ? [TEMPLATE_OVERFLOW, first, ...rest] : [first, ...rest];
  if (root === "metadata" && first === "model") return ["model", ...rest];
  return at;
}

/** Every text of the template, at the path of its `text` field (or of content written as a string). */
function textSites(promptTemplate: Record<string, JsonValue>): TextSite[] {
  const fromContent = (content: JsonValue | undefined, at: Array<string | number>, format: string): TextSite[] => {
    if (typeof content === "string") return [{ at, text: content, format }];
    if (!Array.isArray(content)) return [];
    return content.flatMap((block, index) =>
      isJsonObject(block) && typeof block.text === "string"
        ? [{ at: [...at, index, "text"], text: block.text, format }]
        : [],
    );
  };
  if (Array.isArray(promptTemplate.messages)) {
    return promptTemplate.messages.flatMap((message, index) =>
      isJsonObject(message)
        ? fromContent(message.content, ["messages", index, "content"], formatOf(message.template_format))
        : [],
    );
  }
  return fromContent(promptTemplate.content, ["content"], formatOf(promptTemplate.template_format));
}

const formatOf = (value: JsonValue | undefined) => (typeof value === "string" ? value : "f-string");

/** The template format that applies at a path: its message's, or the template's. */
function formatAt(promptTemplate: Record<string, JsonValue>, path: Array<string | number>): string {
  if (path[0] === "messages" && Array.isArray(promptTemplate.messages)) {
    const message = promptTemplate.messages[path[1] as number];
    return formatOf(isJsonObject(message) ? message.template_format : undefined);
  }
  return formatOf(promptTemplate.template_format);
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
