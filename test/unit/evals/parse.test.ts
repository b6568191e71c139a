// Every results format on fixtures that look like what the tools write, and the bad inputs, with positions.
import { readFileSync } from "node:fs";
import { XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { ExitCode } from "../../../src/errors/index.js";
import { detectFormat, parseResults } from "../../../src/evals/parse.js";
import { junitReport, csv } from "../../../src/evals/render.js";
import { evaluateGate, parseThreshold, summarise } from "../../../src/evals/summary.js";

const fixture = (name: string) => ({
  path: `fixtures/evals/${name}`,
  text: readFileSync(new URL(`../../../fixtures/evals/${name}`, import.meta.url), "utf8"),
});

describe("results formats", () => {
  it("reads promptfoo v3 JSON: label, vars, output, named scores, reason, latency and cost", () => {
    const file = fixture("promptfoo-v3.json");
    expect(detectFormat(file)).toBe("promptfoo");
    const cases = parseResults(file);
    expect(cases).toHaveLength(3);
    expect(cases[0]).toMatchObject({
      caseId: "refund within 30 days",
      prompt: "refund-reply",
      passed: true,
      scores: { relevance: 0.9, contains: 1, score: 1 },
      latencyMs: 812,
      cost: 0.00041,
      provider: "openai:gpt-4o-mini",
      expected: "refund",
    });
    expect(JSON.parse(cases[0]!.input)).toEqual({ order_id: "A-1001", question: "Can I get my money back?" });
    expect(cases[1]).toMatchObject({
      passed: false,
      reason: "Does not cite the 30-day policy",
      output: "Sure, I've issued your refund!",
    });
  });

  it("reads promptfoo's older layout and its JSONL", () => {
    const legacy = parseResults(fixture("promptfoo-legacy.json"));
    expect(legacy.map((c) => c.passed)).toEqual([true, false]);
    expect(legacy[1]).toMatchObject({ output: "", reason: "Expected output to be non-empty" });
    const lines = fixture("promptfoo.jsonl");
    expect(detectFormat(lines)).toBe("promptfoo-jsonl");
    expect(parseResults(lines)).toEqual([
      expect.objectContaining({
        index: 1,
        prompt: "summarise-ticket",
        version: 1,
        scores: { faithfulness: 0.95, score: 0.95 },
      }),
      expect.objectContaining({ index: 2, caseId: "long ticket", passed: true }),
    ]);
  });

  it("reads JUnit from pytest and DeepEval: failures and errors fail, skipped cases are left out, properties become scores", () => {
    const pytest = parseResults(fixture("pytest-junit.xml"));
    expect(pytest.map((c) => [c.caseId, c.passed, c.scores.relevance])).toEqual([
      ["tests.test_refund_reply::test_cites_policy", true, 0.8],
      ["tests.test_refund_reply::test_no_refund_after_90_days", false, 0.3],
      ["tests.test_refund_reply::test_damaged_item", true, 1],
    ]);
    expect(pytest[1]!.reason).toBe('AssertionError: expected a refusal, got "Sure, refunded!"');
    const deepeval = parseResults(fixture("deepeval-junit.xml"));
    expect(deepeval[0]).toMatchObject({
      prompt: "summarise-ticket",
      version: 1,
      output: "Customer has not received their refund.",
      scores: { score: 0.91, faithfulness: 0.91, answer_relevancy: 0.88 },
      latencyMs: 2500,
    });
    expect(deepeval[1]).toMatchObject({ passed: false, reason: "RateLimitError: model overloaded" });
  });

  it("reads plx NDJSON", () => {
    const cases = parseResults(fixture("plx.ndjson"));
    expect(cases.map((c) => [c.caseId, c.passed, c.requestId])).toEqual([
      ["r-1", true, 4711],
      ["r-2", false, undefined],
      ["r-3", true, 4712],
    ]);
    expect(cases[0]).toMatchObject({
      prompt: "refund-reply",
      expected: "mentions the 30-day policy",
      scores: { exact_policy: 1, tone: 0.9 },
    });
  });

  it.each([
    ["an empty file", "results.json", "", /results\.json: the file is empty/],
    ["an unknown format", "notes.txt", "hello there\n", /notes\.txt:1: this is not a results format/],
    [
      "broken JSON",
      "results.json",
      '{"results": {"version": 3, "results": [',
      /results\.json(:\d+:\d+)?: not valid JSON/,
    ],
    ["no results list", "results.json", '{"results": {"version": 3}}', /no results list/],
    ["an empty result set", "results.json", '{"results": {"version": 3, "results": []}}', /holds no results/],
    [
      "a score that is not a number",
      "r.ndjson",
      '{"output":"x","scores":{"tone":"high"}}\n',
      /r\.ndjson:1: scores\.tone is "high", not a number/,
    ],
    ["a broken second line", "r.ndjson", '{"output":"x"}\n{"output":\n', /r\.ndjson:2: not valid JSON/],
    ["a case without output", "r.ndjson", '{"input":"x"}\n', /r\.ndjson:1: the case has no output/],
    [
      "malformed XML",
      "junit.xml",
      "<testsuites><testsuite><testcase name='a'></testsuite>",
      /junit\.xml:\d+:\d+: not valid XML/,
    ],
    [
      "a pretty-printed promptfoo file cut short",
      "results.json",
      '{\n  "results": {\n    "results": [\n      {\n        "success": true,\n',
      /results\.json(:\d+:\d+)?: not valid JSON/,
    ],
    [
      "a JUnit score property that is not a number",
      "junit.xml",
      '<testsuite><testcase name="a"><properties><property name="score" value="n/a"/></properties></testcase></testsuite>',
      /junit\.xml:testcase "a": the score property is "n\/a", not a number/,
    ],
    [
      "an empty JUnit score attribute",
      "junit.xml",
      '<testsuite><testcase name="a" score=""/></testsuite>',
      /junit\.xml:testcase "a": score is "", not a number/,
    ],
    [
      "NaN in a promptfoo score",
      "results.json",
      '{"results":{"results":[{"success":true,"score":"NaN","response":{"output":"x"}}]}}',
      /score is "NaN", not a number/,
    ],
  ])("refuses %s with the file and position (exit 2)", (_label, path, text, message) => {
    let error: unknown;
    try {
      parseResults({ path, text });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: "EVAL.INVALID_INPUT", exitCode: ExitCode.Usage });
    expect((error as Error).message).toMatch(message);
  });
});

describe("JUnit as runners really write it", () => {
  const junit = (body: string) => parseResults({ path: "junit.xml", text: `<testsuites>${body}</testsuites>` });

  it("counts a skipped test that then errored as failed, and leaves a plain skip out", () => {
    const cases = junit(
      '<testsuite><testcase name="a"><skipped/><error message="teardown failed"/></testcase><testcase name="b"><skipped/></testcase><testcase name="c"/></testsuite>',
    );
    expect(cases.map((c) => [c.caseId, c.passed])).toEqual([
      ["a", false],
      ["c", true],
    ]);
  });

  it("gives cases of a nested suite the properties of the suites around it", () => {
    const cases = junit(
      '<testsuite><properties><property name="prompt" value="refund-reply@3"/></properties><testsuite name="inner"><testcase name="a"/></testsuite></testsuite>',
    );
    expect(cases[0]).toMatchObject({ prompt: "refund-reply", version: 3 });
  });

  it("keeps counts such as tokens as metrics without letting them into the score", () => {
    const cases = junit(
      '<testsuite><testcase name="a"><properties><property name="tokens" value="212"/><property name="relevance" value="0.3"/></properties></testcase></testsuite>',
    );
    const [summary] = summarise(cases);
    expect(summary!.metrics).toEqual({ tokens: 212, relevance: 0.3 });
    expect(summary!.score).toBeCloseTo(0.3);
    expect(evaluateGate([summary!], [parseThreshold("score=0.8")], undefined)).toHaveLength(1);
  });
});

describe("aggregates and the gate", () => {
  it("passes a score exactly at its threshold, whatever the rounding of the sum", () => {
    const cases = parseResults({
      path: "r.ndjson",
      text: Array.from({ length: 10 }, () => '{"output":"x","scores":{"score":0.8}}').join("\n"),
    });
    expect(summarise(cases)[0]!.score).not.toBe(0.8);
    expect(evaluateGate(summarise(cases), [parseThreshold("score=0.8")], undefined)).toEqual([]);
  });

  const cases = parseResults(fixture("plx.ndjson"));

  it("computes pass rate, metric means and score per prompt", () => {
    const [summary] = summarise(cases);
    expect(summary).toMatchObject({ prompt: "refund-reply", cases: 3, passed: 2, failed: 1 });
    expect(summary!.passRate).toBeCloseTo(2 / 3);
    expect(summary!.metrics.exact_policy).toBeCloseTo(2 / 3);
    expect(summary!.metrics.tone).toBeCloseTo(0.9);
    expect(summary!.score).toBeCloseTo((0.95 + 0.4 + 1) / 3);
  });

  it("says which threshold missed, by how much, for which prompt", () => {
    const misses = evaluateGate(
      summarise(cases),
      [
        parseThreshold("pass_rate=95%"),
        parseThreshold("tone=0.8"),
        parseThreshold("refund-reply:exact_policy=0.9"),
        parseThreshold("missing_metric=0.5"),
      ],
      0,
    );
    expect(misses.map((m) => m.message)).toEqual([
      "refund-reply: pass_rate 0.667 is 0.283 under 0.95",
      "refund-reply: exact_policy 0.667 is 0.233 under 0.9",
      "refund-reply: no case has a metric named missing_metric",
      "1 failed cases, more than --max-failures 0",
    ]);
    expect(evaluateGate(summarise(cases), [parseThreshold("score=0.7")], 1)).toEqual([]);
    expect(() => parseThreshold("score>0.8")).toThrow(/not a threshold/);
    expect(() => parseThreshold("score=80")).toThrow(/write 80%/);
  });

  it("writes JUnit that re-parses, and CSV that keeps any text", () => {
    const xml = junitReport(cases);
    expect(XMLValidator.validate(xml)).toBe(true);
    const back = parseResults({ path: "round.xml", text: xml });
    expect(back.map((c) => c.passed)).toEqual(cases.map((c) => c.passed));
    expect(
      csv([
        ["a", 'say "hi", then\nleave'],
        [1, true],
      ]),
    ).toBe('"a","say ""hi"", then\nleave"\r\n"1","true"\r\n');
  });
});
