// Reading eval results as the tools write them: promptfoo's JSON (v3 and older layouts) and JSONL, JUnit XML
// (pytest, DeepEval and most runners), and plx's own NDJSON. The format is detected from the content.
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { nameKeyed } from "../core/records.js";
import { asText, promptRef, type EvalCase, type EvalFormat } from "./cases.js";
import { plxError } from "../errors/index.js";

/** A results file plx cannot read: named, with the position, and nothing is uploaded. */
export const evalInputError = (file: string, where: string | undefined, problem: string, hint: string) =>
  plxError("EVAL.INVALID_INPUT", { file, ...(where ? { where } : {}), problem, hint });

export interface ResultsFile {
  path: string;
  text: string;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export function detectFormat(file: ResultsFile): EvalFormat {
  const text = file.text.replace(/^\uFEFF/, "").trimStart();
  if (text === "")
    throw evalInputError(
      file.path,
      undefined,
      "the file is empty",
      "Point eval-report at the results your eval run wrote.",
    );
  if (text.startsWith("<")) return "junit";
  try {
    const whole = JSON.parse(text) as unknown;
    if (isObject(whole) && "results" in whole) return "promptfoo";
  } catch {
    // Not one JSON document: line-based, or broken (reported by the line parser with its position).
  }
  // A line-based file: the first of its opening lines that is a JSON object says which kind (a broken line
  // before it is reported by the line parser).
  const first = text
    .split("\n", 5)
    .map(parsedLine)
    .find((value) => value !== undefined);
  if (
    isObject(first) &&
    ("success" in first || "gradingResult" in first || "namedScores" in first || "testCase" in first)
  )
    return "promptfoo-jsonl";
  if (isObject(first)) return "ndjson";
  // One JSON document that does not parse (a truncated or hand-edited promptfoo file): the document parser says where.
  if (/^[{[]/.test(text)) return "promptfoo";
  throw evalInputError(
    file.path,
    "1",
    "this is not a results format plx reads",
    "Give promptfoo JSON/JSONL, JUnit XML or plx NDJSON (see the README), or name it with --format.",
  );
}

function parsedLine(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}

export function parseResults(file: ResultsFile, format: EvalFormat = detectFormat(file)): EvalCase[] {
  const cases = PARSERS[format](file);
  if (cases.length === 0)
    throw evalInputError(
      file.path,
      undefined,
      "the file holds no results",
      "Check that the eval run wrote its results before eval-report runs.",
    );
  return cases;
}

const PARSERS: Record<EvalFormat, (file: ResultsFile) => EvalCase[]> = {
  promptfoo: parsePromptfooJson,
  "promptfoo-jsonl": (file) =>
    jsonLines(file).map(({ value, line }) => promptfooCase(file.path, line, value, `line ${line}`)),
  junit: parseJunit,
  ndjson: (file) => jsonLines(file).map(({ value, line }) => ndjsonCase(file.path, line, value)),
};

// ---- promptfoo ----

function parsePromptfooJson(file: ResultsFile): EvalCase[] {
  let document: unknown;
  try {
    document = JSON.parse(file.text.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw evalInputError(
      file.path,
      jsonPosition(file.text, error),
      `not valid JSON (${(error as Error).message})`,
      "Re-run `promptfoo eval -o results.json`; the file may be truncated.",
    );
  }
  // v3 and v2: {results: {version, results: [...]}}; the oldest: {results: [...]}.
  const container = isObject(document) ? document.results : undefined;
  const results = Array.isArray(container)
    ? container
    : isObject(container) && Array.isArray(container.results)
      ? container.results
      : undefined;
  if (!results)
    throw evalInputError(
      file.path,
      undefined,
      "no results list found (expected results.results)",
      "Pass the file written by `promptfoo eval -o results.json`.",
    );
  return results.map((result, index) => promptfooCase(file.path, index + 1, result, `results[${index}]`));
}

function promptfooCase(path: string, index: number, result: unknown, where: string): EvalCase {
  if (!isObject(result))
    throw evalInputError(path, where, "a result is not an object", "The file does not look like promptfoo output.");
  const testCase = isObject(result.testCase) ? result.testCase : {};
  const prompt = isObject(result.prompt) ? result.prompt : {};
  const response = isObject(result.response) ? result.response : {};
  const grading = isObject(result.gradingResult) ? result.gradingResult : {};
  const vars = result.vars ?? testCase.vars;
  const scores = nameKeyed<number>();
  for (const [name, value] of Object.entries(isObject(result.namedScores) ? result.namedScores : {}))
    scores[name] = number(path, where, `namedScores.${name}`, value);
  if (result.score !== undefined && result.score !== null) scores.score = number(path, where, "score", result.score);
  const label = typeof prompt.label === "string" ? prompt.label : undefined;
  const assertion = Array.isArray(testCase.assert)
    ? testCase.assert.find((a) => isObject(a) && a.value !== undefined)
    : undefined;
  const expected =
    isObject(vars) && vars.expected !== undefined ? vars.expected : isObject(assertion) ? assertion.value : undefined;
  return {
    file: path,
    index,
    caseId:
      typeof testCase.description === "string"
        ? testCase.description
        : `test ${Number(result.testIdx ?? index - 1) + 1}`,
    ...(label ? promptRef(label) : {}),
    input: asText(vars),
    ...(expected === undefined ? {} : { expected: asText(expected) }),
    output: asText(response.output ?? (typeof result.error === "string" ? "" : undefined)),
    scores,
    passed: result.success === true,
    ...(isObject(result.provider) && typeof result.provider.id === "string"
      ? { provider: result.provider.id }
      : typeof result.provider === "string"
        ? { provider: result.provider }
        : {}),
    ...(typeof result.latencyMs === "number" ? { latencyMs: result.latencyMs } : {}),
    ...(typeof result.cost === "number" ? { cost: result.cost } : {}),
    ...(reasonOf(grading.reason ?? result.failureReason ?? result.error) ?? {}),
  };
}

const reasonOf = (value: unknown) => (typeof value === "string" && value !== "" ? { reason: value } : undefined);

// ---- plx NDJSON ----

function ndjsonCase(path: string, line: number, value: unknown): EvalCase {
  const where = String(line);
  if (!isObject(value))
    throw evalInputError(path, where, "each line must be a JSON object", "See the NDJSON format in the README.");
  if (value.output === undefined)
    throw evalInputError(path, where, "the case has no output", "Every case needs the output that was evaluated.");
  const scores = nameKeyed<number>();
  if (value.scores !== undefined) {
    if (!isObject(value.scores))
      throw evalInputError(
        path,
        where,
        "scores must be an object of name to number",
        'For example "scores": {"exact_match": 1, "faithfulness": 0.8}.',
      );
    for (const [name, score] of Object.entries(value.scores))
      scores[name] = number(path, where, `scores.${name}`, score);
  }
  if (value.passed !== undefined && typeof value.passed !== "boolean")
    throw evalInputError(path, where, "passed must be true or false", "Write passed as a JSON boolean.");
  const ref = typeof value.prompt === "string" ? promptRef(value.prompt) : undefined;
  const version = value.version === undefined ? ref?.version : Number(value.version);
  if (version !== undefined && (!Number.isInteger(version) || version < 1))
    throw evalInputError(
      path,
      where,
      `version ${JSON.stringify(value.version)} is not a version number`,
      "Versions are whole numbers from 1.",
    );
  const requestId = value.request_id === undefined || value.request_id === null ? undefined : Number(value.request_id);
  if (requestId !== undefined && !Number.isInteger(requestId))
    throw evalInputError(
      path,
      where,
      "request_id must be a PromptLayer request id (a whole number)",
      "Leave request_id out when the case was not logged to PromptLayer.",
    );
  return {
    file: path,
    index: line,
    caseId: value.id === undefined ? `line ${line}` : asText(value.id),
    ...(ref ? { prompt: ref.prompt } : {}),
    ...(version === undefined ? {} : { version }),
    input: asText(value.input),
    ...(value.expected === undefined ? {} : { expected: asText(value.expected) }),
    output: asText(value.output),
    scores,
    passed: value.passed === undefined ? true : value.passed,
    ...(requestId === undefined ? {} : { requestId }),
    ...(reasonOf(value.reason) ?? {}),
  };
}

function jsonLines(file: ResultsFile): Array<{ value: unknown; line: number }> {
  return file.text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .flatMap((text, index) => {
      if (text.trim() === "") return [];
      try {
        return [{ value: JSON.parse(text) as unknown, line: index + 1 }];
      } catch (error) {
        throw evalInputError(
          file.path,
          `${index + 1}`,
          `not valid JSON (${(error as Error).message})`,
          "Each line must be one complete JSON object.",
        );
      }
    });
}

// ---- JUnit XML ----

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  textNodeName: "#text",
  isArray: (name) => ["testsuite", "testcase", "property", "failure", "error", "skipped"].includes(name),
  processEntities: true,
  parseAttributeValue: false,
  parseTagValue: false,
});

function parseJunit(file: ResultsFile): EvalCase[] {
  const verdict = XMLValidator.validate(file.text);
  if (verdict !== true)
    throw evalInputError(
      file.path,
      `${verdict.err.line}:${verdict.err.col}`,
      `not valid XML (${verdict.err.msg})`,
      "The runner's report may be truncated; re-run it.",
    );
  const document = xml.parse(file.text) as Json;
  const root = isObject(document.testsuites) ? document.testsuites : document;
  const suites = (Array.isArray(root.testsuite) ? root.testsuite : []).flatMap((suite) => flattenSuites(suite, {}));
  const cases: EvalCase[] = [];
  for (const { suite, inherited } of suites) {
    for (const testcase of Array.isArray(suite.testcase) ? suite.testcase : []) {
      if (!isObject(testcase) || (isSkipped(testcase) && !hasFailure(testcase))) continue;
      cases.push(junitCase(file.path, cases.length + 1, testcase, inherited));
    }
  }
  return cases;
}

const isSkipped = (testcase: Json) => Array.isArray(testcase.skipped) && testcase.skipped.length > 0;
// A skipped test that then errors (in teardown, say) did fail: it counts.
const hasFailure = (testcase: Json) =>
  [testcase.failure, testcase.error].some((list) => Array.isArray(list) && list.length > 0);

/** Every suite, nested ones included, with the properties it inherits from the suites around it. */
function flattenSuites(
  suite: unknown,
  outer: Record<string, string>,
): Array<{ suite: Json; inherited: Record<string, string> }> {
  if (!isObject(suite)) return [];
  const inherited = { ...outer, ...properties(suite) };
  return [
    { suite, inherited },
    ...(Array.isArray(suite.testsuite) ? suite.testsuite.flatMap((inner) => flattenSuites(inner, inherited)) : []),
  ];
}

function properties(node: Json): Record<string, string> {
  const container = isObject(node.properties) ? node.properties : {};
  const list = Array.isArray(container.property) ? container.property : [];
  return Object.fromEntries(list.filter(isObject).map((p) => [String(p.name), String(p.value ?? p["#text"] ?? "")]));
}

function junitCase(path: string, index: number, testcase: Json, suiteProperties: Record<string, string>): EvalCase {
  const own = properties(testcase);
  const all = { ...suiteProperties, ...own };
  const name = String(testcase.name ?? `case ${index}`);
  const where = `testcase "${name}"`;
  const failures = [
    ...(Array.isArray(testcase.failure) ? testcase.failure : []),
    ...(Array.isArray(testcase.error) ? testcase.error : []),
  ];
  const scores = nameKeyed<number>();
  if (testcase.score !== undefined)
    scores.score = number(path, where, "score", numeric(testcase.score), testcase.score);
  for (const [key, value] of Object.entries(own)) {
    if (
      ["prompt", "prompt_name", "version", "prompt_version", "input", "expected", "output", "request_id"].includes(key)
    )
      continue;
    // Any numeric property is a metric; a score must be one, while other text properties are just notes.
    const metric = numeric(value);
    if (key === "score") scores.score = number(path, where, "the score property", metric, value);
    else if (metric !== undefined) scores[key] = metric;
  }
  const promptText = all.prompt ?? all.prompt_name;
  const ref = promptText ? promptRef(promptText) : undefined;
  const version = all.version ?? all.prompt_version;
  const failure = failures.find(isObject) as Json | undefined;
  const systemOut = testcase["system-out"];
  return {
    file: path,
    index,
    caseId: testcase.classname ? `${String(testcase.classname)}::${name}` : name,
    ...(ref ? { prompt: ref.prompt } : {}),
    ...(version !== undefined && Number.isInteger(Number(version))
      ? { version: Number(version) }
      : ref?.version
        ? { version: ref.version }
        : {}),
    input: all.input ?? "",
    ...(all.expected === undefined ? {} : { expected: all.expected }),
    output:
      all.output ?? (typeof systemOut === "string" ? systemOut : isObject(systemOut) ? asText(systemOut["#text"]) : ""),
    scores,
    passed: failures.length === 0,
    ...(all.request_id && Number.isInteger(Number(all.request_id)) ? { requestId: Number(all.request_id) } : {}),
    ...(testcase.time !== undefined && Number.isFinite(Number(testcase.time))
      ? { latencyMs: Math.round(Number(testcase.time) * 1000) }
      : {}),
    ...(failure ? (reasonOf(failure.message ?? failure["#text"]) ?? {}) : {}),
  };
}

// ---- shared ----

/** A number written as text (an XML attribute or property), or undefined: "", "n/a" and "NaN" are not numbers. */
function numeric(text: unknown): number | undefined {
  if (typeof text !== "string" || text.trim() === "") return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

function number(path: string, where: string, field: string, value: unknown, raw: unknown = value): number {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  throw evalInputError(
    path,
    where,
    `${field} is ${JSON.stringify(raw ?? null)}, not a number`,
    "Scores must be finite numbers (for example 0.8).",
  );
}

function jsonPosition(text: string, error: unknown): string | undefined {
  const match = /position (\d+)/.exec((error as Error).message);
  if (!match) return undefined;
  const offset = Number(match[1]);
  const before = text.slice(0, offset).split("\n");
  return `${before.length}:${before.at(-1)!.length + 1}`;
}
