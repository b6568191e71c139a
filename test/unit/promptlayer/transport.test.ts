// The transport against tiny local servers: headers, error bodies, timeouts, redaction, adaptive concurrency.
import { afterEach, describe, expect, it } from "vitest";
import { ExitCode, PlxError } from "../../../src/errors/index.js";
import { PromptLayerClient, type PromptLayerClientOptions, type RequestEvent } from "../../../src/promptlayer/index.js";
import { Redactor } from "../../../src/redact.js";
import { PLX_VERSION } from "../../../src/version.js";
import { rawTemplate } from "../../support/templates.js";
import { json, tinyServer, type TinyServer } from "../../support/tiny-server.js";

const KEY = "plx-test-secret-key-0123456789";
const fast = { baseDelayMs: 1, maxDelayMs: 5 };

const servers: TinyServer[] = [];
const clients: PromptLayerClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(handle: Parameters<typeof tinyServer>[0]): Promise<TinyServer> {
  const server = await tinyServer(handle);
  servers.push(server);
  return server;
}

function client(url: string, options: Partial<PromptLayerClientOptions> = {}): PromptLayerClient {
  const created = new PromptLayerClient({ apiKey: KEY, baseUrl: `${url}/`, retry: fast, ...options });
  clients.push(created);
  return created;
}

async function failure(promise: Promise<unknown>): Promise<PlxError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PlxError);
  return error as PlxError;
}

describe("requests", () => {
  it("send the key, plx's User-Agent and no-cache, with every path segment encoded", async () => {
    const server = await serve((_req, res) => json(res, 200, rawTemplate({ prompt_name: "a b/c" })));
    await client(server.url).getTemplate("a b/c", { label: "prod" });
    const [seen] = server.requests;
    expect(seen!.url).toBe("/prompt-templates/a%20b%2Fc?label=prod&resolve_snippets=false");
    expect(seen!.headers["x-api-key"]).toBe(KEY);
    expect(seen!.headers["user-agent"]).toBe(`plx/${PLX_VERSION}`);
    expect(seen!.headers["cache-control"]).toBe("no-cache");
  });

  it("fail before any request when there is no key", () => {
    expect(() => new PromptLayerClient({ apiKey: "  " })).toThrow(
      expect.objectContaining({ code: "AUTH.MISSING_KEY", exitCode: ExitCode.Auth }),
    );
  });
});

describe("errors", () => {
  it("401 is a rejected key (exit 4) and is not retried", async () => {
    const server = await serve((_req, res) => json(res, 401, { success: false, message: "Invalid API key" }));
    const error = await failure(client(server.url).getTemplate("x"));
    expect(error.exitCode).toBe(ExitCode.Auth);
    expect(error.message).toContain("Invalid API key");
    expect(server.requests).toHaveLength(1);
  });

  it("another 4xx is final, the user's to fix (exit 2), and shows a bare-string body", async () => {
    const server = await serve((_req, res) => json(res, 400, "Invalid workspace_id"));
    const error = await failure(client(server.url, { workspaceId: 9 }).resolveFolderId(["a"]));
    expect(error.exitCode).toBe(ExitCode.Usage);
    expect(error.message).toBe(
      `PromptLayer refused GET ${server.url}/api/public/v2/folders/resolve-id (HTTP 400): Invalid workspace_id.`,
    );
    expect(server.requests).toHaveLength(1);
  });

  it("a proxy's HTML 502 is retried, then reported as text", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(502, { "content-type": "text/html" });
      res.end("<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>");
    });
    const events: RequestEvent[] = [];
    const pl = client(server.url, { retry: { ...fast, maxAttempts: 3 }, onRequest: (event) => events.push(event) });
    const error = await failure(pl.listLabels("x"));
    expect(error.message).toBe(
      `PromptLayer answered GET ${server.url}/prompt-templates/x/labels with HTTP 502: 502 Bad Gateway nginx (after 3 attempts).`,
    );
    expect(server.requests).toHaveLength(3);
    expect(events.map((e) => [e.attempt, e.status])).toEqual([
      [1, 502],
      [2, 502],
      [3, 502],
    ]);
    expect(pl.stats()).toMatchObject({ requests: 3, retries: 2 });
  });

  it("a refused connection is a network error (exit 3) after the retries", async () => {
    const server = await serve(() => undefined);
    const url = server.url;
    await servers.pop()!.close();
    const error = await failure(client(url, { retry: { ...fast, maxAttempts: 2 } }).getTemplate("x"));
    expect(error.code).toBe("REMOTE.NETWORK");
    expect(error.exitCode).toBe(ExitCode.Remote);
    expect(error.message).toBe(
      `Could not reach PromptLayer for GET ${url}/prompt-templates/x: connection refused (after 2 attempts).`,
    );
  });

  it("a server that never answers times out, reported as a network error", async () => {
    const server = await serve(() => undefined);
    const started = performance.now();
    const error = await failure(
      client(server.url, { timeoutMs: 150, retry: { ...fast, maxAttempts: 2 } }).getTemplate("x"),
    );
    expect(error.code).toBe("REMOTE.NETWORK");
    expect(error.message).toContain("no answer within 150 ms (after 2 attempts)");
    expect(server.requests).toHaveLength(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
  });

  it("an answer that breaks its schema is an invalid response naming the field", async () => {
    const server = await serve((_req, res) =>
      json(res, 200, { release_labels: [{ release_label: "prod", release_label_id: "x" }] }),
    );
    const error = await failure(client(server.url).listLabels("x"));
    expect(error.code).toBe("REMOTE.INVALID_RESPONSE");
    expect(error.message).toContain(
      "release_labels.0.release_label_id: Invalid input: expected number, received string",
    );
  });

  it("a 200 that is not JSON is an invalid response", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html><body>Sign in to the corporate proxy</body></html>");
    });
    const error = await failure(client(server.url).listLabels("x"));
    expect(error.code).toBe("REMOTE.INVALID_RESPONSE");
    expect(error.message).toContain("Sign in to the corporate proxy");
  });

  it("keeps fields it does not know", async () => {
    const server = await serve((_req, res) => json(res, 200, rawTemplate({ brand_new_field: { nested: [1, 2] } })));
    expect(await client(server.url).getTemplate("greeting")).toMatchObject({ brand_new_field: { nested: [1, 2] } });
  });
});

describe("redaction", () => {
  it("never lets the key out, even when the server echoes it", async () => {
    const echo = `Invalid key ${KEY}; header was X-API-KEY: ${KEY}`;
    const server = await serve((req, res) => {
      if (req.url.startsWith("/prompt-templates/status"))
        return json(res, 500, { detail: [{ loc: ["header", KEY], msg: echo }] });
      if (req.url.startsWith("/prompt-templates/html")) {
        res.writeHead(200, { "content-type": "text/html" });
        res.end(`<p>${echo}</p>`);
        return;
      }
      return json(res, 401, { message: echo });
    });
    const events: RequestEvent[] = [];
    const redactor = new Redactor();
    const pl = client(server.url, {
      redactor,
      retry: { ...fast, maxAttempts: 2 },
      onRequest: (event) => events.push(event),
    });
    const errors = [
      await failure(pl.getTemplate("x")),
      await failure(pl.listLabels("status")),
      await failure(pl.listLabels("html")),
      await failure(pl.listLabels(KEY)),
    ];
    for (const error of errors) {
      expect(error.message).not.toContain(KEY);
      expect(JSON.stringify(error)).not.toContain(KEY);
      expect(error.message).toContain("***");
    }
    expect(JSON.stringify(events)).not.toContain(KEY);
    expect(redactor.redact(`key=${KEY}`)).not.toContain(KEY);
  });
});

describe("rate limits", () => {
  it("wait at least Retry-After before retrying", async () => {
    let calls = 0;
    const server = await serve((_req, res) => {
      if (++calls === 1)
        return json(res, 429, { message: "Rate limit exceeded. Please retry later." }, { "retry-after": "1" });
      return json(res, 200, { release_labels: [] });
    });
    const pl = client(server.url);
    const started = performance.now();
    expect(await pl.listLabels("x")).toEqual([]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
    expect(pl.stats()).toMatchObject({ requests: 2, retries: 1, rateLimited: 1 });
  });

  it("lower the shared concurrency while the server answers 429", async () => {
    let inFlight = 0;
    let peakAfterThrottling = 0;
    let throttled = 0;
    const server = await serve(async (_req, res) => {
      if (throttled < 16) {
        throttled++;
        return json(res, 429, { message: "slow down" }, { "retry-after": "0" });
      }
      peakAfterThrottling = Math.max(peakAfterThrottling, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlight--;
      json(res, 200, { release_labels: [] });
    });
    const pl = client(server.url, { concurrency: 16, retry: { ...fast, maxAttempts: 10 } });
    await Promise.all(Array.from({ length: 48 }, (_, i) => pl.listLabels(`t${i}`)));
    const stats = pl.stats();
    expect(stats.rateLimited).toBe(16);
    expect(stats.concurrency).toBeLessThan(16);
    expect(peakAfterThrottling).toBeLessThanOrEqual(12);
    expect(stats.peakInFlight).toBe(16);
  });
});

describe("interruption", () => {
  it("stops waiting between retries when the run is aborted", async () => {
    const server = await serve((_req, res) => json(res, 429, { message: "later" }, { "retry-after": "60" }));
    const controller = new AbortController();
    const pl = client(server.url, { signal: controller.signal });
    const pending = failure(pl.getTemplate("x"));
    setTimeout(() => controller.abort(), 100);
    const error = await pending;
    expect(error.exitCode).toBe(ExitCode.Interrupted);
    expect(server.requests).toHaveLength(1);
  });
});
