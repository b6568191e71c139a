import { describe, expect, it } from "vitest";
import { backoffDelay, parseRetryAfter, retryDelay, type RetryPolicy } from "../../../src/promptlayer/retry.js";

const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 5_000 };

describe("backoffDelay (full jitter)", () => {
  it("draws from a window that doubles per failed attempt", () => {
    expect([1, 2, 3, 4].map((attempt) => backoffDelay(attempt, policy, () => 0.999999))).toEqual([99, 199, 399, 799]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(2, policy, () => 0.5)).toBe(100);
  });

  it("never exceeds the cap", () => {
    expect(backoffDelay(30, policy, () => 0.999999)).toBe(999);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");

  it("reads delta-seconds", () => {
    expect(parseRetryAfter("3", now)).toBe(3_000);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
    expect(parseRetryAfter("1.5", now)).toBe(1_500);
  });

  it("reads an HTTP date, and a date in the past as no wait", () => {
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:07 GMT", now)).toBe(7_000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now)).toBe(0);
  });

  it("ignores a missing or unreadable header", () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter("", now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter("-1", now)).toBeUndefined();
  });
});

describe("retryDelay", () => {
  it("waits at least what the server asked", () => {
    expect(retryDelay(1, policy, 2_000, () => 0.5)).toBe(2_000);
  });

  it("keeps the backoff when the server asks for less", () => {
    expect(retryDelay(4, policy, 10, () => 0.5)).toBe(400);
  });

  it("caps Retry-After", () => {
    expect(retryDelay(1, policy, 3_600_000, () => 0)).toBe(5_000);
  });
});
