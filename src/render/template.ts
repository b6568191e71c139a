// A PromptLayer `prompt_template` (chat or completion) filled with input variables, as PromptLayer fills it when a
// template is fetched with `input_variables` (POST /prompt-templates/{identifier}) or run: each text in the format
// its message declares, placeholder messages replaced by the messages a variable holds, media and tool variables
// expanded. Pure: it reports what it could not fill instead of failing, so `plx run` can refuse a template PromptLayer
// would send half-filled, and a cache can answer exactly as PromptLayer does.
import { isJsonObject, type JsonObject, type JsonValue } from "../core/template.js";
import { fieldsOf, renderFString } from "./fstring.js";
import { analyzeJinja, renderJinja } from "./jinja.js";

export type TemplateFormat = "f-string" | "jinja2";

/** Where in the template: a path into `prompt_template`, and for a text the 1-based line and column in it. */
export interface Location {
  path: Array<string | number>;
  /** The role of the message the place belongs to. */
  role?: string;
  line?: number;
  col?: number;
}

export interface MissingVariable {
  name: string;
  /** Every place that reads it. */
  at: Location[];
}

export interface RenderFailure {
  message: string;
  at: Location;
  /** The variable involved, when one is (a placeholder given something other than a list of messages). */
  variable?: string;
  /** The text does not parse at all (a lone brace, an unclosed jinja2 tag), whatever the variables hold. */
  syntax?: boolean;
}

export interface RenderResult {
  /** The filled template. Texts that could not be rendered are left as written, as PromptLayer leaves them. */
  promptTemplate: JsonObject;
  /** Every variable the template reads, in order of first use. */
  used: string[];
  /** Variables read only where the template tests them first (jinja2 `if`, `is defined`, `default`). */
  optional: string[];
  /** Variables the template needs and was not given (PromptLayer fills them with ""). */
  missing: MissingVariable[];
  /** Texts that could not be rendered, and variables whose value cannot be used. */
  failures: RenderFailure[];
  /** What PromptLayer renders without complaint but is probably a mistake (`{ name }` reads a variable " name "). */
  warnings: RenderFailure[];
}

/** How a template reads a variable: in a text, or as the messages of a placeholder, media, or tools. */
export type VariableKind = "text" | "placeholder" | "media" | "tool";

/** One variable a template reads, where it first does, and whether every use tests it first (jinja2 only). */
export interface VariableUse {
  name: string;
  kind: VariableKind;
  optional: boolean;
  at: Location;
}

/** What a template needs, found without rendering it: what `plx check` reports, and what `plx run` asks for. */
export interface TemplateAnalysis {
  /** Each variable once per kind of use, in order of first use. */
  variables: VariableUse[];
  /** Texts PromptLayer cannot render whatever the variables hold: they are sent as written. */
  syntaxErrors: RenderFailure[];
  /** What PromptLayer renders without complaint but is probably a mistake (`{ name }` reads a variable " name "). */
  warnings: RenderFailure[];
}

type Variables = Readonly<Record<string, unknown>>;

/** Renders a `prompt_template` with the given variables. Snippets must already be expanded. */
export function renderPromptTemplate(promptTemplate: JsonObject, variables: Variables): RenderResult {
  const state = new RenderState(variables, true);
  return state.result(walk(promptTemplate, state));
}

/** The variables a `prompt_template` reads and the texts it cannot render, as rendering would find them. */
export function analyzePromptTemplate(promptTemplate: JsonObject): TemplateAnalysis {
  const state = new RenderState({}, false);
  walk(promptTemplate, state);
  return state.analysis();
}

function walk(promptTemplate: JsonObject, state: RenderState): JsonObject {
  const rendered: JsonObject = { ...promptTemplate };
  if (Array.isArray(promptTemplate.messages)) {
    rendered.messages = promptTemplate.messages.flatMap((message, index) => state.message(message, index));
  } else if (promptTemplate.content !== undefined) {
    const format = formatOf(promptTemplate.template_format);
    rendered.content = state.content(promptTemplate.content, format, { path: ["content"] });
  }
  if (Array.isArray(promptTemplate.tools)) rendered.tools = state.tools(promptTemplate.tools);
  return rendered;
}

/** What Python takes as a keyword argument's name, and so what an input variable is called. */
const IDENTIFIER = /^[\p{L}_][\p{L}\p{N}_]*$/u;

const formatOf = (value: JsonValue | undefined): TemplateFormat => (value === "jinja2" ? "jinja2" : "f-string");

class RenderState {
  private readonly used = new Map<string, boolean>();
  /** First use of each variable per kind, keyed `kind:name`. */
  private readonly uses = new Map<string, VariableUse>();
  private readonly missing = new Map<string, Location[]>();
  private readonly failures: RenderFailure[] = [];
  private readonly warnings: RenderFailure[] = [];

  /** `rendering` false: texts are parsed for what they read, never rendered (no values, and faster). */
  constructor(
    private readonly variables: Variables,
    private readonly rendering: boolean,
  ) {}

  analysis(): TemplateAnalysis {
    return {
      variables: [...this.uses.values()],
      syntaxErrors: this.failures.filter((failure) => failure.syntax),
      warnings: this.warnings,
    };
  }

  result(promptTemplate: JsonObject): RenderResult {
    return {
      promptTemplate,
      used: [...this.used.keys()],
      optional: [...this.used].filter(([, optional]) => optional).map(([name]) => name),
      missing: [...this.missing].map(([name, at]) => ({ name, at })),
      failures: this.failures,
      warnings: this.warnings,
    };
  }

  message(message: JsonValue, index: number): JsonValue[] {
    if (!isJsonObject(message)) return [message];
    const role = typeof message.role === "string" ? message.role : undefined;
    const at: Location = { path: ["messages", index], ...(role ? { role } : {}) };
    if (role === "placeholder") return this.placeholder(message, at);
    if (message.content === undefined || message.content === null) return [message];
    const content = this.content(message.content, formatOf(message.template_format), {
      ...at,
      path: [...at.path, "content"],
    });
    return [{ ...message, content }];
  }

  content(content: JsonValue, format: TemplateFormat, at: Location): JsonValue {
    if (typeof content === "string") return this.text(content, format, at);
    if (!Array.isArray(content)) return content;
    return content.flatMap((block, index) => this.block(block, format, { ...at, path: [...at.path, index] }));
  }

  private block(block: JsonValue, format: TemplateFormat, at: Location): JsonValue[] {
    if (!isJsonObject(block)) return [block];
    if (block.type === "text" && typeof block.text === "string") {
      return [{ ...block, text: this.text(block.text, format, { ...at, path: [...at.path, "text"] }) }];
    }
    if (block.type === "media_variable" && typeof block.name === "string") return this.media(block.name, at);
    if (block.type === "image_url" && typeof block.image_variable === "string" && isJsonObject(block.image_url)) {
      const name = block.image_variable;
      this.use(name, false, "media", { ...at, path: [...at.path, "image_variable"] });
      const value = this.variables[name];
      if (typeof value === "string") return [{ ...block, image_url: { ...block.image_url, url: value } }];
    }
    return [block];
  }

  private text(text: string, format: TemplateFormat, at: Location): string {
    if (format === "jinja2") {
      const analysis = analyzeJinja(text);
      for (const [name, position] of analysis.variables) {
        const optional = analysis.optional.has(name);
        const where = { ...at, line: position.line + 1, col: position.col + 1 };
        this.use(name, optional, "text", where);
        if (!optional) this.require(name, where);
      }
      // A text that does not parse fails rendering with the same error; analysis alone need not try.
      const rendered = this.rendering ? renderJinja(text, this.variables) : { text, error: analysis.error };
      if (rendered.error) {
        const { line, col } = rendered.error;
        this.failures.push({
          message: rendered.error.message,
          at: { ...at, ...(line === undefined ? {} : { line: line + 1, col: (col ?? 0) + 1 }) },
          ...(analysis.error ? { syntax: true } : {}),
        });
      }
      return rendered.text;
    }
    const rendered = this.rendering ? renderFString(text, this.variables) : { text, ...fieldsOf(text) };
    for (const field of rendered.fields) {
      if (field.variable === "" || /^\d+$/.test(field.variable)) continue;
      const where = { ...at, ...lineAndColumn(text, field.offset) };
      // A field like `{ name }` or `{"a": 1}` names no variable anyone means to give: PromptLayer fills it with "".
      if (!IDENTIFIER.test(field.variable)) {
        if (!rendered.error && !Object.hasOwn(this.variables, field.variable))
          this.warnings.push({
            message: `{${field.fieldName}} is not a variable name; PromptLayer renders it empty`,
            at: where,
          });
        continue;
      }
      this.use(field.variable, false, "text", where);
      this.require(field.variable, where);
    }
    if (rendered.error) {
      this.failures.push({
        message: rendered.error.message,
        at: { ...at, ...lineAndColumn(text, rendered.error.offset) },
        ...(rendered.error.syntax ? { syntax: true } : {}),
      });
    }
    return rendered.text;
  }

  /** A placeholder message stands for the list of messages its variable holds. */
  private placeholder(message: JsonObject, at: Location): JsonValue[] {
    const name = typeof message.name === "string" ? message.name : "";
    this.use(name, false, "placeholder", at);
    if (!Object.hasOwn(this.variables, name)) {
      this.require(name, at);
      return [];
    }
    const value = this.variables[name];
    const messages = Array.isArray(value) ? value.map(asMessage) : undefined;
    if (!messages || messages.some((item) => item === undefined)) {
      this.failures.push({
        message: `the placeholder "${name}" needs a list of messages, each with a role and content`,
        at,
        variable: name,
      });
      return [];
    }
    return messages as JsonObject[];
  }

  /** A media variable holds an image URL (or data URL), or a list of them. */
  private media(name: string, at: Location): JsonValue[] {
    this.use(name, false, "media", at);
    if (!Object.hasOwn(this.variables, name)) {
      this.require(name, at);
      return [];
    }
    const value = this.variables[name];
    const urls = Array.isArray(value) ? value : [value];
    if (!urls.every((url) => typeof url === "string")) {
      this.failures.push({ message: `the media variable "${name}" needs a URL or a list of URLs`, at, variable: name });
      return [];
    }
    return (urls as string[]).map((url) => ({ type: "image_url", image_url: { url } }));
  }

  /** A tool variable (`{type: variable, name}`) holds a list of tools: `{name, description, parameters}` each. */
  tools(tools: JsonValue[]): JsonValue[] {
    return tools.flatMap((tool, index) => {
      if (!isJsonObject(tool) || tool.type !== "variable" || typeof tool.name !== "string") return [tool];
      const name = tool.name;
      const at: Location = { path: ["tools", index] };
      this.use(name, false, "tool", at);
      if (!Object.hasOwn(this.variables, name)) {
        this.require(name, at);
        return [];
      }
      const value = this.variables[name];
      const defined = Array.isArray(value) ? value.map(asFunctionTool) : undefined;
      if (!defined || defined.some((item) => item === undefined)) {
        this.failures.push({
          message: `the tool variable "${name}" needs a list of tools, each with a name`,
          at,
          variable: name,
        });
        return [];
      }
      return defined as JsonObject[];
    });
  }

  private use(name: string, optional: boolean, kind: VariableKind, at: Location): void {
    this.used.set(name, (this.used.get(name) ?? true) && optional);
    const key = `${kind}:${name}`;
    const first = this.uses.get(key);
    if (first) first.optional &&= optional;
    else this.uses.set(key, { name, kind, optional, at });
  }

  private require(name: string, at: Location): void {
    if (Object.hasOwn(this.variables, name)) return;
    this.missing.set(name, [...(this.missing.get(name) ?? []), at]);
  }
}

/** A message as PromptLayer's blueprint writes it; plain string content is taken as one text block. */
function asMessage(value: unknown): JsonObject | undefined {
  if (!isJsonObject(value as JsonValue)) return undefined;
  const message = value as JsonObject;
  if (typeof message.role !== "string") return undefined;
  if (typeof message.content === "string") return { ...message, content: [{ type: "text", text: message.content }] };
  return message;
}

function asFunctionTool(value: unknown): JsonObject | undefined {
  if (!isJsonObject(value as JsonValue)) return undefined;
  const tool = value as JsonObject;
  if (tool.type === "function" && isJsonObject(tool.function)) return tool;
  if (typeof tool.name !== "string") return undefined;
  return {
    type: "function",
    function: {
      name: tool.name,
      description: typeof tool.description === "string" ? tool.description : "",
      parameters: (tool.parameters ?? tool.input_schema ?? { type: "object", properties: {} }) as JsonValue,
    },
  };
}

function lineAndColumn(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, col: before.at(-1)!.length + 1 };
}
