// The error catalog: every code a user can meet is documented, and every entry renders a message and a hint.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { catalog } from "../../src/errors/index.js";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

describe("the error catalog", () => {
  it("is listed in full in the README, with each code's exit code", () => {
    const undocumented = Object.entries(catalog)
      .filter(([code, entry]) => !readme.includes(`| \`${code}\` | ${entry.exit} |`))
      .map(([code]) => code);
    expect(undocumented).toEqual([]);
  });

  it("has codes of the form AREA.NAME (or a bare word for INTERNAL and INTERRUPTED)", () => {
    for (const code of Object.keys(catalog)) expect(code).toMatch(/^([A-Z]+\.[A-Z_]+|INTERNAL|INTERRUPTED)$/);
  });
});
