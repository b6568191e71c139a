/**
 * A template version held to the table in template-schema.ts: what PromptLayer would refuse with 422 (a role it does
 * not know, a field of the wrong type, a required field missing) is an error; what it would take but is probably a
 * slip (a block or tool type newer than the table, a field its schema does not have, a misspelt model parameter) is a
 * warning. Pure: issues carry a path into the version, and the caller turns it into a file position.
 */
import type { Severity } from "./findings.js";
import { closestName } from "./suggest.js";
import { isJsonObject, type JsonObject, type JsonValue, type TemplateDoc } from "./template.js";
import {
  type Alternative,
  type ObjectSchema,
  SCHEMAS,
  type SchemaName,
  type Shape,
  UNIONS,
  type UnionName,
  WELL_KNOWN_PARAMETERS,
} from "./template-schema.js";

/** A path into the version: it starts with `prompt_template`, `metadata` or `extras`. */
export type VersionPath = Array<string | number>;

export interface TemplateIssue {
  at: VersionPath;
  /** The issue is the key at `at` (a name not known there), not its value. */
  key?: boolean;
  severity: Severity;
  code: string;
  message: string;
  hint: string;
}

/** The finding code for a discriminator value a union does not list. */
const UNKNOWN_MEMBER_CODES: Readonly<Record<UnionName, string>> = {
  Message: "role-unknown",
  ContentBlock: "block-type-unknown",
  Tool: "tool-type-unknown",
  Annotation: "annotation-type-unknown",
};

const REFUSED = "PromptLayer refuses the version (422) otherwise.";

export function lintTemplate(doc: Pick<TemplateDoc, "promptTemplate" | "metadata" | "extras">): TemplateIssue[] {
  const issues: TemplateIssue[] = [];
  const lint = new Linter(issues);
  const type = doc.promptTemplate.type;
  // The template's own top-level keys are the file's top-level keys, which the caller judges with the file's layout.
  if (type === "chat") lint.object(doc.promptTemplate, "ChatPrompt", ["prompt_template"], { ownKeys: false });
  if (type === "completion")
    lint.object(doc.promptTemplate, "CompletionPrompt", ["prompt_template"], { ownKeys: false });
  lint.object(doc.metadata, "Metadata", ["metadata"]);
  lint.object(doc.extras, "VersionExtras", ["extras"]);
  return issues;
}

/** `messages[2].content[0].text`, as a reader finds it in the file. */
export function describePath(path: readonly (string | number)[]): string {
  return path.reduce<string>(
    (text, step) => (typeof step === "number" ? `${text}[${step}]` : text === "" ? step : `${text}.${step}`),
    "",
  );
}

class Linter {
  constructor(private readonly issues: TemplateIssue[]) {}

  private add(at: VersionPath, severity: Severity, code: string, message: string, hint: string, key = false): void {
    this.issues.push({ at, ...(key ? { key } : {}), severity, code, message, hint });
  }

  object(value: JsonObject, name: SchemaName, at: VersionPath, options: { ownKeys?: boolean } = {}): void {
    const schema: ObjectSchema = SCHEMAS[name];
    for (const field of schema.required ?? [])
      if (!Object.hasOwn(value, field))
        this.add(at, "error", "field-missing", `${label(at)} needs ${field}${requiredBecause(name)}`, REFUSED);
    for (const [key, child] of Object.entries(value)) {
      const shape = Object.hasOwn(schema.fields, key) ? (schema.fields as Record<string, Shape>)[key] : undefined;
      if (shape) this.value(child, shape, [...at, key]);
      else if (!schema.open && options.ownKeys !== false)
        this.unknownKey(key, Object.keys(schema.fields), [...at, key]);
    }
    if (name === "Model" && isJsonObject(value.parameters)) this.parameters(value.parameters, [...at, "parameters"]);
  }

  private value(value: JsonValue, shape: Shape, at: VersionPath): void {
    const kind = kindOf(value);
    const alternative = shape.find((a) => a.type === kind || (a.type === "number" && kind === "integer"));
    if (!alternative) {
      this.add(
        at,
        "error",
        "field-type",
        `${label(at)} must be ${describeShape(shape)}, not ${describeValue(value)}`,
        REFUSED,
      );
      return;
    }
    this.alternative(value, alternative, at);
  }

  private alternative(value: JsonValue, alternative: Alternative, at: VersionPath): void {
    switch (alternative.type) {
      case "string": {
        const text = value as string;
        if (alternative.values && !alternative.values.includes(text)) {
          const guess = closestName(text, alternative.values);
          this.add(
            at,
            "error",
            "field-value",
            `${label(at)} must be ${alternatives(alternative.values)}, not ${JSON.stringify(text)}${didYouMean(guess)}`,
            REFUSED,
          );
        } else if (alternative.maxLength !== undefined && [...text].length > alternative.maxLength)
          this.add(
            at,
            "error",
            "field-value",
            `${label(at)} is ${[...text].length} characters long; PromptLayer takes at most ${alternative.maxLength}`,
            "Shorten it.",
          );
        return;
      }
      case "integer":
        if (alternative.exclusiveMinimum !== undefined && (value as number) <= alternative.exclusiveMinimum)
          this.add(
            at,
            "error",
            "field-value",
            `${label(at)} must be greater than ${alternative.exclusiveMinimum}`,
            REFUSED,
          );
        return;
      case "array":
        if (alternative.items) {
          const items = alternative.items;
          for (const [index, item] of (value as JsonValue[]).entries()) this.value(item, items, [...at, index]);
        }
        return;
      case "object": {
        const name = alternative.schema;
        if (name !== undefined && Object.hasOwn(UNIONS, name)) this.union(value as JsonObject, name as UnionName, at);
        else if (name !== undefined && Object.hasOwn(SCHEMAS, name))
          this.object(value as JsonObject, name as SchemaName, at);
        return;
      }
      default:
        return;
    }
  }

  private union(value: JsonObject, name: UnionName, at: VersionPath): void {
    const union = UNIONS[name];
    const { discriminator } = union;
    const tag = value[discriminator];
    const untyped = "untyped" in union ? union.untyped : undefined;
    if (tag === undefined) {
      if (untyped && Object.hasOwn(value, untyped.when)) this.object(value, untyped.schema as SchemaName, at);
      else this.add(at, "error", "field-missing", `${label(at)} needs a ${discriminator}`, REFUSED);
      return;
    }
    const tagAt = [...at, discriminator];
    if (typeof tag !== "string") {
      this.add(tagAt, "error", "field-type", `${label(tagAt)} must be a string, not ${describeValue(tag)}`, REFUSED);
      return;
    }
    const members: Readonly<Record<string, string>> = union.members;
    if (Object.hasOwn(members, tag)) {
      this.object(value, members[tag] as SchemaName, at);
      return;
    }
    const known = Object.keys(members);
    const guess = closestName(tag, known);
    const what = name === "Message" ? "role" : `${NOUNS[name]} type`;
    if (union.unknown === "error")
      this.add(
        tagAt,
        "error",
        UNKNOWN_MEMBER_CODES[name],
        `${JSON.stringify(tag)} is not a ${what} PromptLayer knows${didYouMean(guess)}`,
        `Use one of ${known.join(", ")}; PromptLayer refuses any other (422).`,
      );
    else
      this.add(
        tagAt,
        "warning",
        UNKNOWN_MEMBER_CODES[name],
        `${JSON.stringify(tag)} is not a ${what} in PromptLayer's API spec${didYouMean(guess)}`,
        guess
          ? `Write ${guess} if that was meant; PromptLayer refuses a ${what} it does not know (422).`
          : `Check the spelling: PromptLayer refuses a ${what} it does not know (422), though it may know newer ones.`,
      );
  }

  private unknownKey(key: string, known: readonly string[], at: VersionPath): void {
    const guess = closestName(key, known);
    this.add(
      at,
      "warning",
      "key-unknown",
      `${label(at)} is not a field PromptLayer knows here${didYouMean(guess)}`,
      guess
        ? `Rename it to ${guess}; PromptLayer ignores fields its schema does not have.`
        : `Known fields here: ${known.join(", ")}. PromptLayer ignores others; custom data belongs under metadata.`,
      true,
    );
  }

  /** Parameters are open-ended, so only a near miss of a well-known one is worth a word. */
  private parameters(parameters: JsonObject, at: VersionPath): void {
    const known: readonly string[] = WELL_KNOWN_PARAMETERS;
    for (const key of Object.keys(parameters)) {
      if (known.includes(key)) continue;
      const guess = closestName(key, known);
      if (guess)
        this.add(
          [...at, key],
          "warning",
          "parameter-unknown",
          `model parameter ${key} is not one the providers know${didYouMean(guess)}`,
          `Rename it to ${guess}; a provider ignores or refuses a parameter it does not know.`,
          true,
        );
    }
  }
}

const NOUNS: Readonly<Record<UnionName, string>> = {
  Message: "message",
  ContentBlock: "content block",
  Tool: "tool",
  Annotation: "annotation",
};

/** Why a field is required, where the schema's name says more than the field's place does. */
function requiredBecause(name: SchemaName): string {
  const role = /^(\w+)Message$/.exec(name)?.[1];
  return role ? ` (required in a ${role.toLowerCase()} message)` : "";
}

function label(at: VersionPath): string {
  const [root, ...rest] = at;
  const path = root === "metadata" && rest[0] === "model" ? rest : root === "prompt_template" ? rest : at;
  return path.length === 0 ? String(root) : describePath(path);
}

const didYouMean = (guess: string | undefined) => (guess ? `; did you mean ${guess}?` : "");

function alternatives(values: readonly string[]): string {
  return values.length === 1 ? values[0]! : `${values.slice(0, -1).join(", ")} or ${values.at(-1)}`;
}

type Kind = Alternative["type"];

function kindOf(value: JsonValue): Kind {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value as "string" | "boolean" | "object";
}

const KIND_NAMES: Readonly<Record<Kind, string>> = {
  string: "a string",
  integer: "a whole number",
  number: "a number",
  boolean: "true or false",
  null: "null",
  object: "a mapping",
  array: "a list",
};

function describeShape(shape: Shape): string {
  const names = shape.map((alternative) => {
    if (alternative.type === "array" && alternative.items?.length === 1) {
      const item = alternative.items[0]!;
      if (item.type === "object" && item.schema) return `a list of ${pluralOf(item.schema)}`;
      return `a list of ${KIND_NAMES[item.type].replace(/^an? /, "")}s`;
    }
    if (alternative.type === "string" && alternative.values) return alternatives(alternative.values);
    return KIND_NAMES[alternative.type];
  });
  return alternatives(names);
}

const pluralOf = (schema: string) =>
  schema === "ContentBlock" ? "content blocks" : `${schema.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase()}s`;

function describeValue(value: JsonValue): string {
  const kind = kindOf(value);
  if (kind === "string") {
    const text = value as string;
    return `${KIND_NAMES[kind]} (${JSON.stringify(text.length > 40 ? `${text.slice(0, 37)}...` : text)})`;
  }
  if (kind === "integer" || kind === "number") return `${KIND_NAMES[kind]} (${value})`;
  if (kind === "boolean") return String(value);
  return KIND_NAMES[kind];
}
