import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ExitCode } from "../../../src/errors/index.js";
import {
  describeIssues,
  describeTransportFailure,
  messageFromBody,
  statusError,
} from "../../../src/promptlayer/errors.js";

describe("messageFromBody", () => {
  it.each([
    [
      "message first",
      JSON.stringify({ success: false, message: "Prompt not found", error: "not_found" }),
      "Prompt not found",
    ],
    ["error when there is no message", JSON.stringify({ error: "Invalid API key" }), "Invalid API key"],
    ["an empty message falls through to error", JSON.stringify({ message: " ", error: "boom" }), "boom"],
    [
      "FastAPI detail[] with loc and msg",
      JSON.stringify({
        detail: [
          { loc: ["body", "prompt_version", "commit_message"], msg: "too long", type: "x" },
          { loc: ["query", "version"], msg: "must be > 0" },
        ],
      }),
      "prompt_version.commit_message: too long; query.version: must be > 0",
    ],
    ["detail as a string", JSON.stringify({ detail: "Not Found" }), "Not Found"],
    ["a bare JSON string", JSON.stringify("Invalid workspace_id"), "Invalid workspace_id"],
    ["plain text, trimmed", "  upstream connect error  \n", "upstream connect error"],
    [
      "HTML from a proxy, as text",
      "<html><head><title>502 Bad Gateway</title><style>body{}</style></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
      "502 Bad Gateway nginx",
    ],
    ["unknown JSON shapes as raw text", JSON.stringify({ status: "bad" }), '{"status":"bad"}'],
  ])("%s", (_name, body, expected) => {
    expect(messageFromBody(body)).toBe(expected);
  });

  it("is undefined for an empty body", () => {
    expect(messageFromBody("   ")).toBeUndefined();
    expect(messageFromBody('""')).toBeUndefined();
  });

  it("cuts long text to about 200 characters", () => {
    const message = messageFromBody("x".repeat(5000))!;
    expect(message).toHaveLength(200);
    expect(message.endsWith("…")).toBe(true);
  });
});

describe("statusError", () => {
  const request = (serverMessage: string, attempts = 1) => ({
    method: "GET",
    path: "/prompt-templates/a",
    baseUrl: "https://pl.example/api",
    serverMessage,
    attempts,
  });

  it("401 and 403 are the key (exit 4)", () => {
    for (const status of [401, 403]) {
      const error = statusError(status, request("Invalid API key"));
      expect(error.code).toBe("AUTH.REJECTED");
      expect(error.exitCode).toBe(ExitCode.Auth);
    }
  });

  it.each([408, 429, 500, 503])(
    "%i is PromptLayer failing (exit 3), naming the full URL and the attempts",
    (status) => {
      const error = statusError(status, request("down", 4));
      expect(error.code).toBe("REMOTE.HTTP_ERROR");
      expect(error.exitCode).toBe(ExitCode.Remote);
      expect(error.message).toBe(
        `PromptLayer answered GET https://pl.example/api/prompt-templates/a with HTTP ${status}: down (after 4 attempts).`,
      );
    },
  );

  it.each([400, 413, 422])("%i refused what was sent: the user's problem (exit 2), with the field named", (status) => {
    const error = statusError(status, request("body.prompt_name: field required"));
    expect(error.code).toBe("REMOTE.REJECTED");
    expect(error.exitCode).toBe(ExitCode.Usage);
    expect(error.message).toContain("body.prompt_name: field required");
  });

  it("409 is a conflict (exit 5); an unexpected 404 says the base URL may be wrong (exit 2)", () => {
    expect(statusError(409, request("taken")).exitCode).toBe(ExitCode.Conflict);
    const missing = statusError(404, request("Not Found"));
    expect(missing.exitCode).toBe(ExitCode.Usage);
    expect(missing.hint).toContain("https://pl.example/api");
  });
});

describe("describeTransportFailure", () => {
  const coded = (code: string) => Object.assign(new Error(`failed: ${code}`), { code });

  it("knows which failures happen before anything is sent", () => {
    expect(describeTransportFailure(coded("ECONNREFUSED"), undefined)).toEqual({
      reason: "connection refused",
      maybeSent: false,
    });
    expect(describeTransportFailure(coded("UND_ERR_CONNECT_TIMEOUT"), undefined).maybeSent).toBe(false);
    expect(describeTransportFailure(new AggregateError([coded("ECONNREFUSED")]), undefined).maybeSent).toBe(false);
  });

  it("treats a dropped connection, a timeout and anything unknown as possibly sent", () => {
    expect(describeTransportFailure(coded("UND_ERR_SOCKET"), undefined).maybeSent).toBe(true);
    expect(describeTransportFailure(coded("ECONNRESET"), undefined).maybeSent).toBe(true);
    expect(describeTransportFailure(new Error("weird"), undefined)).toEqual({ reason: "weird", maybeSent: true });
    expect(describeTransportFailure(new Error("aborted"), { afterMs: 250 })).toEqual({
      reason: "no answer within 250 ms",
      maybeSent: true,
    });
  });
});

describe("describeIssues", () => {
  it("names where each problem is", () => {
    const result = z.object({ items: z.array(z.object({ id: z.number() })) }).safeParse({ items: [{ id: "7" }] });
    expect(describeIssues(result.error!)).toBe("items.0.id: Invalid input: expected number, received string");
  });

  it("lists a few problems and counts the rest", () => {
    const result = z.object({ a: z.number(), b: z.number(), c: z.number(), d: z.number() }).safeParse({});
    expect(describeIssues(result.error!)).toMatch(/^a: .*; b: .*; c: .* \(and 1 more\)$/);
  });
});
