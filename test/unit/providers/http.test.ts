// One model call over real HTTP against the sandbox's model endpoints: retries and their waits (recorded, never
// slept), the errors a user meets, and streamed text as it arrives.
import { afterEach, describe, expect, it } from "vitest";
import { PlxError } from "../../../src/errors/index.js";
import { callProvider, PROVIDER_RETRY_POLICY } from "../../../src/providers/http.js";
import { FORMATS, type ModelChoice, type ProviderName } from "../../../src/providers/index.js";
import { Redactor } from "../../../src/redact.js";
import { startSandbox } from "../../../src/sandbox/index.js";

const KEY = "sk-provider-test-0123456789abcdef";
const running: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((sandbox) => sandbox.close()));
});

async function sandbox(queue: Array<{ status: number; retryAfter?: number; message?: string }> = []) {
  const started = await startSandbox({ port: 0 });
  running.push(started);
  await fetch(`${started.url}/__sandbox/models`, { method: "PATCH", body: JSON.stringify({ queue }) });
  return started.url;
}

const template = { type: "chat", messages: [{ role: "user", content: [{ type: "text", text: "Hello" }] }] };
const models: Record<ProviderName, ModelChoice> = {
  openai: { provider: "openai", name: "gpt-4o-mini", parameters: {} },
  anthropic: { provider: "anthropic", name: "claude-haiku-4-5", parameters: {} },
  google: { provider: "google", name: "gemini-2.5-flash", parameters: {} },
};
const baseUrls = (url: string): Record<ProviderName, string> => ({ openai: `${url}/v1`, anthropic: url, google: url });

async function call(url: string, provider: ProviderName, options: { stream?: boolean; attempts?: number } = {}) {
  const waits: number[] = [];
  const texts: string[] = [];
  const request = FORMATS[provider].request(template, models[provider], options.stream ?? false, []);
  const redactor = new Redactor();
  redactor.add(KEY);
  const result = await callProvider(
    request,
    { baseUrl: baseUrls(url)[provider], apiKey: KEY, keyVariable: "OPENAI_API_KEY" },
    {
      redactor,
      signal: new AbortController().signal,
      timeoutMs: 5_000,
      retry: { ...PROVIDER_RETRY_POLICY, maxAttempts: options.attempts ?? 4 },
      wait: async (ms) => void waits.push(ms),
      onText: (text) => texts.push(text),
    },
  ).catch((error: unknown) => error as PlxError);
  return { result, waits, texts };
}

describe("a model call", () => {
  it.each(["openai", "anthropic", "google"] as const)("reaches %s and reads its answer", async (provider) => {
    const { result } = await call(await sandbox(), provider);
    expect(result).toMatchObject({ attempts: 1, reply: { text: `[${models[provider].name}] Hello` } });
  });

  it("waits exactly the Retry-After a 429 asks for, then succeeds", async () => {
    const { result, waits } = await call(await sandbox([{ status: 429, retryAfter: 7 }]), "openai");
    expect(waits).toEqual([7_000]);
    expect(result).toMatchObject({ attempts: 2, reply: { text: "[gpt-4o-mini] Hello" } });
  });

  it("backs off on 5xx, and gives up after the last attempt with exit 3", async () => {
    const { result, waits } = await call(
      await sandbox([{ status: 503 }, { status: 500 }, { status: 502 }]),
      "anthropic",
      {
        attempts: 3,
      },
    );
    expect(waits).toHaveLength(2);
    for (const [index, wait] of waits.entries()) expect(wait).toBeLessThan(500 * 2 ** index);
    expect(result).toBeInstanceOf(PlxError);
    expect(result).toMatchObject({ code: "RUN.PROVIDER_FAILED", exitCode: 3 });
    expect((result as PlxError).message).toMatch(/HTTP 502: Service temporarily unavailable.*\(after 3 attempts\)/);
  });

  it("does not retry a rejected key (exit 4, naming the variable) or a refused request (exit 2)", async () => {
    const rejected = await call(
      await sandbox([{ status: 401, message: `Incorrect API key provided: ${KEY}` }]),
      "openai",
    );
    expect(rejected.waits).toEqual([]);
    expect(rejected.result).toMatchObject({ code: "RUN.PROVIDER_AUTH", exitCode: 4 });
    expect((rejected.result as PlxError).message).toContain("OPENAI_API_KEY");
    expect((rejected.result as PlxError).message).not.toContain(KEY);

    const refused = await call(await sandbox([{ status: 400, message: "The model `gpt-9` does not exist" }]), "google");
    expect(refused.result).toMatchObject({ code: "RUN.PROVIDER_REJECTED", exitCode: 2 });
    expect((refused.result as PlxError).message).toContain("does not exist");
  });

  it("fails with exit 3 when nothing answers", async () => {
    const url = await sandbox();
    await running.pop()!.close();
    const { result, waits } = await call(url, "openai", { attempts: 2 });
    expect(waits).toHaveLength(1);
    expect(result).toMatchObject({ code: "RUN.PROVIDER_FAILED", exitCode: 3 });
    expect((result as PlxError).message).toContain("connection refused");
  });

  it.each(["openai", "anthropic", "google"] as const)("streams %s's text as it arrives", async (provider) => {
    const { result, texts } = await call(await sandbox(), provider, { stream: true });
    expect(texts).toEqual([`[${models[provider].name}]`, " Hello"]);
    expect(result).toMatchObject({ reply: { text: `[${models[provider].name}] Hello` } });
  });
});
