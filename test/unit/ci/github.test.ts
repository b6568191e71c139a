import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ANNOTATION_LIMITS,
  Annotator,
  SUMMARY_TRUNCATED_NOTICE,
  addMask,
  annotation,
  appendStepSummary,
  endGroup,
  escapeData,
  escapeProperty,
  formatOutputs,
  githubRunUrl,
  group,
  setOutputs,
  stopCommands,
  truncateUtf8,
} from "../../../src/ci/github.js";

describe("escaping", () => {
  it("escapes % first, then CR and LF in data", () => {
    expect(escapeData("100%\r\nnext%0A")).toBe("100%25%0D%0Anext%250A");
  });

  it("also escapes : and , in properties", () => {
    expect(escapeProperty("a:b,c%\n")).toBe("a%3Ab%2Cc%25%0A");
  });
});

describe("annotation", () => {
  it("formats every property", () => {
    expect(
      annotation("error", "Unknown variable {{customer}}", {
        file: "prompts/support/triage.prompt.yaml",
        line: 12,
        col: 5,
        endLine: 12,
        endColumn: 30,
        title: "plx lint",
      }),
    ).toBe(
      "::error file=prompts/support/triage.prompt.yaml,line=12,endLine=12,col=5,endColumn=30,title=plx lint::Unknown variable {{customer}}",
    );
  });

  it("escapes the message and the property values", () => {
    expect(annotation("warning", "line one\nline two: 50%", { file: "dir,with:odd.yaml", title: "a, b: c" })).toBe(
      "::warning file=dir%2Cwith%3Aodd.yaml,title=a%2C b%3A c::line one%0Aline two: 50%25",
    );
  });

  it("leaves out empty and invalid positions", () => {
    expect(annotation("notice", "hi")).toBe("::notice::hi");
    expect(annotation("notice", "hi", { file: "", line: 0, col: 3, title: "" })).toBe("::notice::hi");
    expect(annotation("error", "x", { file: "f", col: 3 })).toBe("::error file=f::x");
    expect(annotation("error", "x", { file: "f", line: 4, endLine: 2 })).toBe("::error file=f,line=4::x");
  });

  it("cannot be tricked into a second command by a message", () => {
    const out = annotation("error", "bad\n::add-mask::secret");
    expect(out.split("\n")).toHaveLength(1);
  });
});

describe("Annotator", () => {
  it("keeps at most 10 errors and 10 warnings per step and returns the rest", () => {
    const annotator = new Annotator();
    const lines: string[] = [];
    for (let i = 0; i < 15; i += 1) {
      const e = annotator.add("error", `e${i}`);
      const w = annotator.add("warning", `w${i}`);
      if (e) lines.push(e);
      if (w) lines.push(w);
    }
    expect(lines.filter((l) => l.startsWith("::error"))).toHaveLength(ANNOTATION_LIMITS.error);
    expect(lines.filter((l) => l.startsWith("::warning"))).toHaveLength(ANNOTATION_LIMITS.warning);
    expect(annotator.overflow.map((a) => a.message)).toEqual(
      Array.from({ length: 5 }, (_, i) => [`e${i + 10}`, `w${i + 10}`]).flat(),
    );
    // Errors being full does not stop notices.
    expect(annotator.add("notice", "n")).toBe("::notice::n");
    expect(annotator.count("error")).toBe(10);
  });

  it("respects the total cap", () => {
    const annotator = new Annotator({ error: 10, warning: 10, notice: 10, total: 3 });
    const emitted = ["error", "warning", "notice", "error"].map((level) => annotator.add(level as "error", "m"));
    expect(emitted.filter(Boolean)).toHaveLength(3);
    expect(annotator.overflow).toHaveLength(1);
  });
});

describe("log commands", () => {
  it("groups, masks and stop-commands", () => {
    expect(group("plx push (12 prompts)")).toBe("::group::plx push (12 prompts)");
    expect(endGroup()).toBe("::endgroup::");
    expect(addMask("pl_secret%value")).toBe("::add-mask::pl_secret%25value");
    const stop = stopCommands("tok123");
    expect(stop).toEqual({ start: "::stop-commands::tok123", end: "::tok123::", token: "tok123" });
    expect(stopCommands().token).toMatch(/^[0-9a-f]{32}$/);
  });

  it("builds the run URL", () => {
    expect(
      githubRunUrl({ GITHUB_SERVER_URL: "https://ghe.example/", GITHUB_REPOSITORY: "o/r", GITHUB_RUN_ID: "9" }),
    ).toBe("https://ghe.example/o/r/actions/runs/9");
    expect(githubRunUrl({})).toBeUndefined();
  });
});

describe("environment files", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "plx-gh-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("appends summaries, a blank line apart so an HTML block cannot swallow the next section's heading", async () => {
    const path = join(dir, "summary.md");
    await appendStepSummary(path, "### plx diff\n<details>x</details>");
    const result = await appendStepSummary(path, "### plx eval-report\n");
    expect(result).toEqual({ bytes: 21, truncated: false });
    expect(await readFile(path, "utf8")).toBe("### plx diff\n<details>x</details>\n\n### plx eval-report\n");
  });

  it("truncates a summary at the limit, counting what the step already wrote", async () => {
    const path = join(dir, "summary.md");
    await writeFile(path, "x".repeat(200));
    const result = await appendStepSummary(path, "é".repeat(500), { limitBytes: 600 });
    expect(result.truncated).toBe(true);
    const text = await readFile(path, "utf8");
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(600);
    expect(text.endsWith(SUMMARY_TRUNCATED_NOTICE)).toBe(true);
    expect(text).not.toContain("\uFFFD");
  });

  it("writes nothing when the summary is already full", async () => {
    const path = join(dir, "summary.md");
    await writeFile(path, "x".repeat(100));
    expect(await appendStepSummary(path, "more", { limitBytes: 100 })).toEqual({ bytes: 0, truncated: true });
    expect(await readFile(path, "utf8")).toBe("x".repeat(100));
  });

  it("cuts UTF-8 at character boundaries", () => {
    expect(truncateUtf8("aé€😀", 1)).toBe("a");
    expect(truncateUtf8("aé€😀", 2)).toBe("a");
    expect(truncateUtf8("aé€😀", 3)).toBe("aé");
    expect(truncateUtf8("aé€😀", 9)).toBe("aé€");
    expect(truncateUtf8("aé€😀", 10)).toBe("aé€😀");
  });

  it("writes single-line and heredoc outputs", async () => {
    const path = join(dir, "output");
    await writeFile(path, "earlier=1\n");
    await setOutputs(path, { changed: true, score: 0.87, skipped: undefined, report: "line 1\nline 2" });
    const text = await readFile(path, "utf8");
    const match =
      /^earlier=1\nchanged=true\nscore=0\.87\nreport<<(ghadelimiter_[0-9a-f-]{36})\nline 1\nline 2\n\1\n$/.exec(text);
    expect(match).not.toBeNull();
  });

  it("never uses a delimiter that appears in the value", () => {
    const value = "a\nEOF\nb";
    const out = formatOutputs({ body: value }, () => "EOF");
    const delimiter = /^body<<(.+)\n/.exec(out)![1]!;
    expect(delimiter).not.toBe("EOF");
    expect(value).not.toContain(delimiter);
    expect(out).toBe(`body<<${delimiter}\n${value}\n${delimiter}\n`);
  });

  it("rejects output names that would break the file", () => {
    expect(() => formatOutputs({ "a=b": "x" })).toThrow(TypeError);
    expect(() => formatOutputs({ "a<<b": "x" })).toThrow(TypeError);
    expect(formatOutputs({ "published-version": 15 })).toBe("published-version=15\n");
  });
});
