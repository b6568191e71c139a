// The table `plx check` validates templates with (src/core/template-schema.ts) is a hand-made copy of PromptLayer's
// OpenAPI spec; this holds it to the spec, field by field, so the copy cannot drift. Where the table knowingly
// departs from the spec (what PromptLayer accepts beyond it), the departure is listed here and nowhere else.
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { type Alternative, SCHEMAS, type Shape, UNIONS } from "../../../src/core/template-schema.js";
import { describeWithOpenApiSpec } from "../../support/openapi.js";

type Json = Record<string, any>;

/** Table schemas that are not in the spec, or are there under another name. */
const NOT_IN_SPEC = new Set(["RegistryTool", "VariableTool", "VersionExtras"]);
/** Fields the SDKs' types have and the spec does not (docs digest §2.3, §2.4). */
const SDK_FIELDS: Record<string, string[]> = { CodeContent: ["language"], ToolCall: ["provider_metadata"] };
/** Union members PromptLayer accepts beyond the spec's discriminator (digest §2.5, §12). */
const EXTRA_MEMBERS: Record<string, string[]> = { Tool: ["registry", "variable"] };
/** Version-level fields of PromptBlueprint that are not extras: the file holds them elsewhere. */
const BLUEPRINT_CONTENT = ["prompt_template", "commit_message", "metadata"];

const refName = (ref: string) => ref.replace("#/components/schemas/", "");

describeWithOpenApiSpec("the check's schema table against PromptLayer's spec", (_contract, specPath) => {
  const schemas: Record<string, Json> = JSON.parse(readFileSync(specPath, "utf8")).components.schemas;

  /** A spec property as the table writes it: one alternative per JSON type, sorted, with what matters of each. */
  const specShape = (property: Json): string[] => {
    if (property.anyOf || property.oneOf) {
      const options: Json[] = property.anyOf ?? property.oneOf;
      // A discriminated union or a list of refs: the table names the union instead.
      if (property.discriminator || options.every((option) => option.$ref)) return ["object:union"];
      return options.flatMap(specShape).sort();
    }
    if (property.$ref) {
      const name = refName(property.$ref);
      return [schemas[name]?.oneOf ? "object:union" : `object:${name}`];
    }
    if (property.const !== undefined && property.type === undefined) return [`string=${property.const}`];
    const type = property.type as string;
    if (type === "string" && (property.enum || property.const !== undefined))
      return [`string=${(property.enum ?? [property.const]).join("|")}`];
    if (type === "string" && property.maxLength !== undefined) return [`string<=${property.maxLength}`];
    if (type === "integer" && property.exclusiveMinimum !== undefined) return [`integer>${property.exclusiveMinimum}`];
    if (type === "array") return [`array[${property.items ? specShape(property.items).join(",") : ""}]`];
    return [type];
  };

  const tableShape = (shape: Shape): string[] => shape.map(describe).sort();
  const describe = (alternative: Alternative): string => {
    switch (alternative.type) {
      case "string":
        if (alternative.values) return `string=${alternative.values.join("|")}`;
        return alternative.maxLength === undefined ? "string" : `string<=${alternative.maxLength}`;
      case "integer":
        return alternative.exclusiveMinimum === undefined ? "integer" : `integer>${alternative.exclusiveMinimum}`;
      case "array":
        return `array[${alternative.items ? tableShape(alternative.items).join(",") : ""}]`;
      case "object":
        if (alternative.schema === undefined) return "object";
        return Object.hasOwn(UNIONS, alternative.schema) ? "object:union" : `object:${alternative.schema}`;
      default:
        return alternative.type;
    }
  };

  const tableSchemas = Object.entries(SCHEMAS).filter(([name]) => !NOT_IN_SPEC.has(name));

  it.each(tableSchemas)("%s: the same fields, types, allowed values and required fields", (name, schema) => {
    const spec = schemas[name]!;
    expect(spec, `${name} is not in the spec`).toBeDefined();
    const fields = schema.fields as Record<string, Shape>;
    const sdk = SDK_FIELDS[name] ?? [];
    expect(Object.keys(fields).sort()).toEqual([...Object.keys(spec.properties), ...sdk].sort());
    for (const [field, property] of Object.entries(spec.properties as Record<string, Json>))
      expect(tableShape(fields[field]!), `${name}.${field}`).toEqual(specShape(property));
    expect([...(("required" in schema && schema.required) || [])].sort()).toEqual([...(spec.required ?? [])].sort());
    expect("open" in schema && schema.open === true).toBe(spec.additionalProperties === true);
  });

  it("VersionExtras: the version-level fields of PromptBlueprint", () => {
    const spec = schemas.PromptBlueprint!;
    const fields = SCHEMAS.VersionExtras.fields as Record<string, Shape>;
    const versionLevel = Object.keys(spec.properties).filter((field) => !BLUEPRINT_CONTENT.includes(field));
    expect(Object.keys(fields).sort()).toEqual(versionLevel.sort());
    for (const field of versionLevel)
      expect(tableShape(fields[field]!), field).toEqual(specShape(spec.properties[field]));
  });

  it("every union lists the spec's discriminator values, and its members are the spec's schemas", () => {
    const mappings: Record<string, Record<string, string>> = {
      Message: schemas.ChatPrompt!.properties.messages.items.discriminator.mapping,
      ContentBlock: schemas.CompletionPrompt!.properties.content.items.discriminator.mapping,
      Tool: schemas.Tool!.discriminator.mapping,
      Annotation: Object.fromEntries(
        schemas.TextContent!.properties.annotations.anyOf[0].items.oneOf.map((option: Json) => {
          const member = refName(option.$ref);
          return [schemas[member]!.properties.type.const, option.$ref];
        }),
      ),
    };
    for (const [name, union] of Object.entries(UNIONS)) {
      const mapping = mappings[name]!;
      const members = Object.fromEntries(
        Object.entries(union.members).filter(([tag]) => !(EXTRA_MEMBERS[name] ?? []).includes(tag)),
      );
      expect(members, name).toEqual(
        Object.fromEntries(Object.entries(mapping).map(([tag, ref]) => [tag, refName(ref)])),
      );
    }
  });
});

it("names only schemas and unions it defines", () => {
  const named = new Set<string>();
  const visit = (shape: Shape) => {
    for (const alternative of shape) {
      if (alternative.type === "object" && alternative.schema) named.add(alternative.schema);
      if (alternative.type === "array" && alternative.items) visit(alternative.items);
    }
  };
  for (const schema of Object.values(SCHEMAS)) for (const shape of Object.values(schema.fields)) visit(shape as Shape);
  for (const union of Object.values(UNIONS)) for (const member of Object.values(union.members)) named.add(member);
  for (const name of named) expect(Object.hasOwn(SCHEMAS, name) || Object.hasOwn(UNIONS, name), name).toBe(true);
});
