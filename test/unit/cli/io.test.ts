// Colour is decided per stream, in a fixed order of precedence, and handed to picocolors explicitly.
import { describe, expect, it } from "vitest";
import { colorEnabled, createStyles } from "../../../src/cli/io.js";

const tty = { write: () => true, isTTY: true };
const pipe = { write: () => true, isTTY: false };

describe("colour rules", () => {
  it.each([
    ["a terminal", { stream: tty, env: {}, flag: undefined, json: false, inCi: false }, true],
    ["a pipe", { stream: pipe, env: {}, flag: undefined, json: false, inCi: false }, false],
    ["a CI log, which renders ANSI", { stream: pipe, env: {}, flag: undefined, json: false, inCi: true }, true],
    [
      "--json, whatever else says",
      { stream: tty, env: { FORCE_COLOR: "1" }, flag: true, json: true, inCi: true },
      false,
    ],
    ["--color on a pipe", { stream: pipe, env: { NO_COLOR: "1" }, flag: true, json: false, inCi: false }, true],
    [
      "--no-color on a terminal",
      { stream: tty, env: { FORCE_COLOR: "1" }, flag: false, json: false, inCi: false },
      false,
    ],
    [
      "NO_COLOR on a terminal",
      { stream: tty, env: { NO_COLOR: "1" }, flag: undefined, json: false, inCi: false },
      false,
    ],
    [
      "an empty NO_COLOR, which means unset",
      { stream: tty, env: { NO_COLOR: "" }, flag: undefined, json: false, inCi: false },
      true,
    ],
    [
      "FORCE_COLOR=1 on a pipe",
      { stream: pipe, env: { FORCE_COLOR: "1" }, flag: undefined, json: false, inCi: false },
      true,
    ],
    [
      "FORCE_COLOR=0 on a terminal",
      { stream: tty, env: { FORCE_COLOR: "0" }, flag: undefined, json: false, inCi: false },
      false,
    ],
    [
      "TERM=dumb on a terminal",
      { stream: tty, env: { TERM: "dumb" }, flag: undefined, json: false, inCi: false },
      false,
    ],
  ])("%s", (_label, options, expected) => {
    expect(colorEnabled(options)).toBe(expected);
  });

  it("passes the decision to picocolors instead of its own detection", () => {
    expect(createStyles(true).red("x")).toBe("\u001b[31mx\u001b[39m");
    expect(createStyles(false).red("x")).toBe("x");
  });
});
