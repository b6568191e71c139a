// Checks HTTP bodies against PromptLayer's official OpenAPI 3.1 document, so the sandbox (and plx's requests) are held to
// the real API's contract rather than to our reading of it.
import { readFileSync } from "node:fs";
import { Ajv2020, type AnySchema, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import ajvFormats from "ajv-formats";
import { describe, it } from "vitest";

export interface OpenApiContract {
  /** Validates a response body for (method, path template e.g. "/prompt-templates/{identifier}", status). Returns a list of readable problems (empty = valid). Throws if the spec declares no such operation/status. */
  checkResponse(method: string, pathTemplate: string, status: number, body: unknown): string[];
  /** Validates a JSON request body against the operation's requestBody schema. */
  checkRequest(method: string, pathTemplate: string, body: unknown): string[];
  /** Finds the spec path template matching a concrete path like "/prompt-templates/abc/labels" (literal segments beat parameters). */
  matchPath(method: string, concretePath: string): string | undefined;
}

type SchemaObject = { [keyword: string]: unknown };

interface MediaTypeObject {
  schema?: unknown;
}

interface BodyObject {
  required?: boolean;
  content?: Record<string, MediaTypeObject>;
}

interface OperationObject {
  requestBody?: BodyObject;
  responses?: Record<string, BodyObject>;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, OperationObject>>;
  components?: { schemas?: Record<string, unknown> };
}

interface PathTemplate {
  template: string;
  /** A literal segment's text, or undefined for a `{parameter}` segment. */
  segments: Array<string | undefined>;
}

// The components become `$defs` of one registered schema, so every `#/components/schemas/X` ref can point into it.
const COMPONENTS_ID = "https://plx.invalid/promptlayer-openapi/components.json";
const COMPONENT_REF_PREFIX = "#/components/schemas/";

export function loadOpenApiContract(specPath: string): OpenApiContract {
  const spec = JSON.parse(readFileSync(specPath, "utf8")) as OpenApiDocument;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajvFormats.default(ajv);
  ajv.addSchema({ $id: COMPONENTS_ID, $defs: mapValues(spec.components?.schemas ?? {}, toJsonSchema) });

  const validators = new Map<string, ValidateFunction>();
  const validatorFor = (key: string, schema: unknown): ValidateFunction => {
    let validate = validators.get(key);
    if (!validate) {
      validate = ajv.compile(toJsonSchema(schema) as AnySchema);
      validators.set(key, validate);
    }
    return validate;
  };

  const operationFor = (method: string, pathTemplate: string): OperationObject => {
    const operation = spec.paths[pathTemplate]?.[method.toLowerCase()];
    if (!operation) throw new Error(`the spec has no operation ${method.toUpperCase()} ${pathTemplate}`);
    return operation;
  };

  const templates: PathTemplate[] = Object.keys(spec.paths).map((template) => ({
    template,
    segments: template.split("/").map((segment) => (/^\{[^}]+\}$/.test(segment) ? undefined : segment)),
  }));

  return {
    checkResponse(method, pathTemplate, status, body) {
      const operation = operationFor(method, pathTemplate);
      const declared = responseFor(operation, status);
      if (!declared)
        throw new Error(`the spec declares no ${status} response for ${method.toUpperCase()} ${pathTemplate}`);
      const [statusKey, response] = declared;
      // HTTP forbids content on 204 and 304, whatever the spec declares (it gives label DELETE's 204 a JSON schema).
      if (status === 204 || status === 304 || response.content === undefined) {
        return body === undefined || body === "" ? [] : [`expected no body for ${status}, got ${JSON.stringify(body)}`];
      }
      const schema = jsonSchemaOf(response.content, `${method.toUpperCase()} ${pathTemplate} ${statusKey}`);
      if (body === undefined) return ["expected a JSON body, got none"];
      return problems(validatorFor(`response ${method.toUpperCase()} ${pathTemplate} ${statusKey}`, schema), body);
    },

    checkRequest(method, pathTemplate, body) {
      const requestBody = resolveRefs(spec, operationFor(method, pathTemplate).requestBody);
      if (!requestBody?.content)
        return body === undefined ? [] : ["the spec declares no request body for this operation"];
      if (body === undefined) return requestBody.required ? ["the request body is required"] : [];
      const schema = jsonSchemaOf(requestBody.content, `${method.toUpperCase()} ${pathTemplate} request`);
      return problems(validatorFor(`request ${method.toUpperCase()} ${pathTemplate}`, schema), body);
    },

    matchPath(method, concretePath) {
      const segments = concretePath.split("?")[0]!.split("/");
      const matches = templates.filter(
        ({ template, segments: pattern }) =>
          spec.paths[template]?.[method.toLowerCase()] !== undefined &&
          pattern.length === segments.length &&
          pattern.every((literal, index) =>
            literal === undefined ? segments[index] !== "" : literal === segments[index],
          ),
      );
      // At the first position where two candidates differ, the literal segment wins.
      const rank = ({ segments: pattern }: PathTemplate) =>
        pattern.map((literal) => (literal === undefined ? "1" : "0")).join("");
      return matches.sort((a, b) => (rank(a) < rank(b) ? -1 : 1))[0]?.template;
    },
  };

  function responseFor(operation: OperationObject, status: number): [string, BodyObject] | undefined {
    // OpenAPI's precedence: an exact code beats a range ("4XX"), which beats "default".
    for (const key of [String(status), `${Math.floor(status / 100)}XX`, "default"]) {
      const response = resolveRefs(spec, operation.responses?.[key]);
      if (response) return [key, response];
    }
    return undefined;
  }
}

function jsonSchemaOf(content: Record<string, MediaTypeObject>, where: string): unknown {
  const json = Object.entries(content).find(
    ([mediaType]) => mediaType.split(";")[0]!.trim().toLowerCase() === "application/json",
  );
  if (!json) throw new Error(`${where} declares no application/json content (only ${Object.keys(content).join(", ")})`);
  // A media type without a schema allows any JSON.
  return json[1].schema ?? true;
}

/** Follows `$ref`s between OpenAPI objects (responses, request bodies), which ajv never sees. */
function resolveRefs<T>(spec: OpenApiDocument, value: T | { $ref: string } | undefined): T | undefined {
  let current: unknown = value;
  while (isObject(current) && typeof current.$ref === "string") {
    const pointer = current.$ref;
    if (!pointer.startsWith("#/")) throw new Error(`unsupported reference ${pointer}`);
    current = pointer
      .slice(2)
      .split("/")
      .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"))
      .reduce<unknown>((node, part) => (isObject(node) ? node[part] : undefined), spec);
    if (current === undefined) throw new Error(`unresolved reference ${pointer}`);
  }
  return current as T | undefined;
}

function problems(validate: ValidateFunction, body: unknown): string[] {
  if (validate(body)) return [];
  return [...new Set((validate.errors ?? []).map(describeError))];
}

function describeError(error: ErrorObject): string {
  const params = error.params as { allowedValues?: unknown[]; allowedValue?: unknown; additionalProperty?: string };
  let detail = "";
  if (error.keyword === "enum") detail = `: ${params.allowedValues?.map((value) => JSON.stringify(value)).join(", ")}`;
  if (error.keyword === "const") detail = `: ${JSON.stringify(params.allowedValue)}`;
  if (error.keyword === "additionalProperties") detail = `: ${JSON.stringify(params.additionalProperty)}`;
  return `body${error.instancePath} ${error.message ?? error.keyword}${detail}`;
}

// Keywords whose values are schemas, so the conversion recurses into them and into nothing else (not into `enum`,
// `default` or `example` data, nor into property names).
const SCHEMA_VALUED = new Set([
  "items",
  "additionalProperties",
  "not",
  "if",
  "then",
  "else",
  "contains",
  "propertyNames",
  "unevaluatedProperties",
  "unevaluatedItems",
  "additionalItems",
]);
const SCHEMA_LIST_VALUED = new Set(["allOf", "anyOf", "oneOf", "prefixItems"]);
const SCHEMA_MAP_VALUED = new Set(["properties", "patternProperties", "$defs", "dependentSchemas"]);
const COMPOSITION_KEYWORDS = ["$ref", "allOf", "anyOf", "oneOf", "not", "if", "const"];

/**
 * Turns an OpenAPI schema into plain JSON Schema 2020-12:
 * - `nullable: true` (OpenAPI 3.0, still used 327 times) also admits null;
 * - `oneOf` + `discriminator` dispatches on the discriminator property, as OpenAPI defines it;
 * - any other `oneOf` is checked as `anyOf`: the spec writes unions whose branches overlap by construction (the 422
 *   `HTTPValidationError | ErrorResponse`, both all-optional; `FolderEntity.metadata`, whose last branch is any object), so
 *   "exactly one" could never hold for a real body;
 * - component refs point into the registered components schema.
 */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!isObject(node)) return node;
  const { nullable, discriminator, oneOf, ...rest } = node;
  const schema: SchemaObject = {};
  for (const [keyword, value] of Object.entries(rest)) {
    if (keyword === "$ref" && typeof value === "string") schema.$ref = componentRef(value);
    else if (SCHEMA_VALUED.has(keyword) || SCHEMA_LIST_VALUED.has(keyword)) schema[keyword] = toJsonSchema(value);
    else if (SCHEMA_MAP_VALUED.has(keyword) && isObject(value)) schema[keyword] = mapValues(value, toJsonSchema);
    else schema[keyword] = value;
  }
  if (Array.isArray(oneOf)) {
    const union = isObject(discriminator) ? discriminate(discriminator, oneOf) : { anyOf: oneOf.map(toJsonSchema) };
    schema.allOf = [...((schema.allOf as unknown[] | undefined) ?? []), union];
  }
  return nullable === true ? allowNull(schema) : schema;
}

function discriminate(discriminator: SchemaObject, members: unknown[]): SchemaObject {
  const propertyName = String(discriminator.propertyName);
  // Without a mapping, OpenAPI maps each member's schema name to it.
  const mapping: Record<string, string> = isObject(discriminator.mapping)
    ? mapValues(discriminator.mapping, String)
    : Object.fromEntries(
        members.filter(isObject).map((member) => [String(member.$ref).split("/").at(-1), String(member.$ref)]),
      );
  return {
    required: [propertyName],
    properties: { [propertyName]: { enum: Object.keys(mapping) } },
    allOf: Object.entries(mapping).map(([value, ref]) => ({
      if: { properties: { [propertyName]: { const: value } } },
      // biome-ignore lint/suspicious/noThenProperty: a JSON Schema if/then, never awaited
      then: { $ref: componentRef(ref) },
    })),
  };
}

function allowNull(schema: SchemaObject): SchemaObject {
  const { type } = schema;
  const simple =
    (typeof type === "string" || Array.isArray(type)) && !COMPOSITION_KEYWORDS.some((keyword) => keyword in schema);
  // Widening `type` keeps error messages short; composed schemas need a null branch instead.
  if (!simple) return { anyOf: [schema, { type: "null" }] };
  const widened: SchemaObject = { ...schema, type: [...new Set([type, "null"].flat())] };
  if (Array.isArray(schema.enum)) widened.enum = [...schema.enum, null];
  return widened;
}

function componentRef(ref: string): string {
  return ref.startsWith(COMPONENT_REF_PREFIX)
    ? `${COMPONENTS_ID}#/$defs/${ref.slice(COMPONENT_REF_PREFIX.length)}`
    : ref;
}

function mapValues<T>(object: Record<string, unknown>, transform: (value: unknown) => T): Record<string, T> {
  return Object.fromEntries(Object.entries(object).map(([key, value]) => [key, transform(value)]));
}

function isObject(value: unknown): value is SchemaObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Defines a contract suite that runs only when PLX_OPENAPI_SPEC names the official spec. Without it, a single passing test
 * says the check was skipped (the project allows no skipped tests).
 */
export function describeWithOpenApiSpec(
  name: string,
  define: (contract: OpenApiContract, specPath: string) => void,
): void {
  const specPath = process.env.PLX_OPENAPI_SPEC;
  if (!specPath) {
    it(`${name}: skipped: PLX_OPENAPI_SPEC unset`, () => {
      console.warn(
        `${name}: contract check skipped because PLX_OPENAPI_SPEC is unset; set it to the path of promptlayer-openapi.json.`,
      );
    });
    return;
  }
  describe(name, () => define(loadOpenApiContract(specPath), specPath));
}
