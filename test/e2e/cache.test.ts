// `plx cache serve` and `plx cache export` as built, in front of `plx sandbox`, over real HTTP: the official SDK
// reads through the cache, a lost change is repaired by a resync (SIGHUP), and the cache keeps answering with the
// sandbox stopped, then again after its own restart, from its snapshot.
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PromptLayer } from "promptlayer";
import { afterEach, describe, expect, it } from "vitest";
import { cleanEnv, runPlx, type ServerProcess, startServerProcess } from "../support/cli.js";
import { API_KEY, chat, completion, plxEnv, registry } from "../support/registry.js";
import { freePort } from "../support/webhook-process.js";

const servers: ServerProcess[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop().catch(() => undefined)));
});

async function start(args: string[], env: Record<string, string | undefined>): Promise<ServerProcess> {
  const server = await startServerProcess(args, env);
  servers.push(server);
  return server;
}

const stop = async (server: ServerProcess) => {
  servers.splice(servers.indexOf(server), 1);
  return server.stop();
};

const text = (body: any) => body.prompt_template.messages[0].content[0].text as string;

/** Bounded polling on the cache's answer; never a fixed wait. */
async function servedEventually(sdk: PromptLayer, name: string, expected: string) {
  for (let attempt = 0; attempt < 300; attempt++) {
    const read = await sdk.templates.get(name, { label: "prod" });
    if (read && text(read) === expected) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`the cache never served "${expected}"`);
}

/** Waits for the cache's first sync, so a later change can only reach it through a webhook. */
async function readyEventually(cache: ServerProcess) {
  for (let attempt = 0; attempt < 300; attempt++) {
    if ((await fetch(`${cache.url}/healthz`)).status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("the cache never became ready");
}

describe("plx cache serve", () => {
  it("serves the SDK, is repaired by a resync, and answers through an outage and its own restart", async () => {
    const dir = await mkdtemp(join(tmpdir(), "plx-cache-e2e-"));
    const snapshot = join(dir, "prompts.snapshot.json");
    const sandbox = await start(["sandbox", "--port", "0", "--api-key", API_KEY], cleanEnv());
    const reg = registry(sandbox.url);
    await reg.publish("tone", completion("Be warm."));
    await reg.publish("greet", chat(["system", "Hi {name}. @@@tone@@@"]), { labels: ["prod"] });

    const env = plxEnv(sandbox.url);
    const cacheArgs = ["cache", "serve", "--port", "0", "--labels", "prod", "--snapshot", snapshot, "--resync", "0"];
    const cache = await start(cacheArgs, env);
    const sdk = new PromptLayer({ apiKey: API_KEY, baseURL: cache.url });
    await servedEventually(sdk, "greet", "Hi {name}. Be warm.");
    expect(
      (await sdk.templates.get("greet", { label: "prod", input_variables: { name: "Ada" } }))?.prompt_template,
    ).toMatchObject({
      messages: [{ content: [{ text: "Hi Ada. Be warm." }] }],
    });

    // No webhook reaches this cache: the edit shows up once a resync runs (SIGHUP asks for one now).
    await reg.publish("greet", chat(["system", "Hello {name}. @@@tone@@@"]), { labels: ["prod"] });
    expect(text(await sdk.templates.get("greet", { label: "prod" }))).toBe("Hi {name}. Be warm.");
    cache.process.kill("SIGHUP");
    await servedEventually(sdk, "greet", "Hello {name}. Be warm.");

    // Only authenticated clients, only PromptLayer's paths.
    expect((await fetch(`${cache.url}/prompt-templates/greet`)).status).toBe(401);
    expect((await fetch(`${cache.url}/__sandbox/state`, { headers: { "x-api-key": API_KEY } })).status).toBe(404);

    // PromptLayer goes away: cached reads still succeed.
    await stop(sandbox);
    for (let i = 0; i < 10; i++)
      expect(text(await sdk.templates.get("greet", { label: "prod" }))).toBe("Hello {name}. Be warm.");

    // The cache restarts during the outage: it answers at once from its snapshot.
    const stopped = await stop(cache);
    expect(stopped.exitCode).toBe(0);
    expect(await readFile(snapshot, "utf8")).toContain("Hello {name}.");
    const restarted = await start(cacheArgs, env);
    expect((await fetch(`${restarted.url}/healthz`)).status).toBe(200);
    const again = new PromptLayer({ apiKey: API_KEY, baseURL: restarted.url });
    expect(text(await again.templates.get("greet", { label: "prod" }))).toBe("Hello {name}. Be warm.");
    const raw = await fetch(`${restarted.url}/prompt-templates/greet?label=prod`, {
      headers: { "x-api-key": API_KEY },
    });
    expect(raw.status).toBe(200);
    expect(["hit", "stale"]).toContain(raw.headers.get("x-plx-cache"));

    const output = [...cache.stderrLines, ...restarted.stderrLines, stopped.stdout].join("\n");
    expect(output).not.toContain(API_KEY);
  });

  it("takes PromptLayer's signed webhooks, and with --exec also runs webhook serve's action on them", async () => {
    const dir = await mkdtemp(join(tmpdir(), "plx-cache-e2e-"));
    const secret = "whsec_cache_e2e_secret";
    const cachePort = await freePort();
    const sandbox = await start(
      [
        "sandbox",
        "--port",
        "0",
        "--api-key",
        API_KEY,
        "--webhook-url",
        `http://127.0.0.1:${cachePort}/webhook`,
        "--webhook-secret",
        secret,
      ],
      cleanEnv(),
    );
    const reg = registry(sandbox.url);
    const events = join(dir, "events.json");
    const cache = await start(
      ["cache", "serve", "--port", String(cachePort), "--labels", "prod", "--resync", "0", "--debounce", "50"],
      plxEnv(sandbox.url, { PLX_WEBHOOK_SECRET: secret }),
    );
    // After the first sync no resync runs: only the webhooks can bring the changes.
    await readyEventually(cache);
    await reg.publish("greet", chat(["system", "Hi {name}."]), { labels: ["prod"] });
    const sdk = new PromptLayer({ apiKey: API_KEY, baseURL: cache.url });
    await servedEventually(sdk, "greet", "Hi {name}.");
    await reg.publish("greet", chat(["system", "Hello {name}."]), { labels: ["prod"] });
    await servedEventually(sdk, "greet", "Hello {name}.");
    const unsigned = await fetch(`${cache.url}/webhook`, { method: "POST", body: "{}" });
    expect(unsigned.status).toBe(401);
    const stopped = await stop(cache);
    expect(stopped.exitCode).toBe(0);
    expect(cache.stderrLines.join("\n")).toMatch(/202 accepted prompt_template_version_created greet v2/);
    expect(cache.stderrLines.join("\n")).not.toContain(secret);
    // --debounce shapes actions, and this cache has none: it says so rather than ignoring it silently.
    expect(cache.stderrLines.join("\n")).toContain("--debounce only shape --dispatch and --exec actions");

    // The same deliveries start an action: the events on the command's stdin (run at the latest when the cache stops).
    const acting = await start(
      ["cache", "serve", "--port", String(cachePort), "--resync", "0", "--no-loop-guard", "--exec", `cat > ${events}`],
      plxEnv(sandbox.url, { PLX_WEBHOOK_SECRET: secret }),
    );
    await readyEventually(acting);
    await reg.publish("greet", chat(["system", "Hey {name}."]), { labels: ["prod"] });
    const again = new PromptLayer({ apiKey: API_KEY, baseURL: acting.url });
    await servedEventually(again, "greet", "Hey {name}.");
    expect((await stop(acting)).exitCode).toBe(0);
    expect(JSON.parse(await readFile(events, "utf8"))).toMatchObject({
      events: expect.arrayContaining([
        expect.objectContaining({
          event_type: "prompt_template_version_created",
          details: expect.objectContaining({ prompt_template_name: "greet", prompt_template_version_number: 3 }),
        }),
      ]),
    });

    const noSecret = await runPlx(["cache", "serve", "--exec", "true"], { env: plxEnv(sandbox.url) });
    expect(noSecret.exitCode).toBe(2);
    expect(noSecret.stderr).toContain("PLX_WEBHOOK_SECRET");
  });

  it("exports a snapshot a cache can start from", async () => {
    const dir = await mkdtemp(join(tmpdir(), "plx-cache-e2e-"));
    const sandbox = await start(["sandbox", "--port", "0", "--api-key", API_KEY], cleanEnv());
    const reg = registry(sandbox.url);
    await reg.publish("greet", chat(["system", "Hi {name}."]), { labels: ["prod"] });
    await reg.publish("greet", chat(["system", "Hi there {name}."]));

    const exported = await runPlx(["cache", "export", "--labels", "prod", "-o", "baked.json", "--json"], {
      cwd: dir,
      env: plxEnv(sandbox.url),
    });
    expect(exported.exitCode).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({
      command: "cache export",
      ok: true,
      file: "baked.json",
      labels: ["prod"],
      templates: 1,
      entries: 2,
    });
    await stop(sandbox);

    const cache = await start(
      ["cache", "serve", "--snapshot", join(dir, "baked.json"), "--resync", "0"],
      plxEnv(sandbox.url),
    );
    const sdk = new PromptLayer({ apiKey: API_KEY, baseURL: cache.url });
    expect(text(await sdk.templates.get("greet", { label: "prod" }))).toBe("Hi {name}.");
    expect(text(await sdk.templates.get("greet"))).toBe("Hi there {name}.");

    const failed = await runPlx(["cache", "export", "-o", "never.json"], { cwd: dir, env: plxEnv(sandbox.url) });
    expect(failed.exitCode).toBe(3);
    expect(failed.stderr).toMatch(/Could not reach PromptLayer/);
  });

  it("refuses a missing key and weak client keys before listening", async () => {
    const noKey = await runPlx(["cache", "serve"], { env: cleanEnv() });
    expect(noKey.exitCode).toBe(4);
    expect(noKey.stderr).toContain("PROMPTLAYER_API_KEY");
    const weak = await runPlx(["cache", "serve"], {
      env: plxEnv("http://127.0.0.1:9", { PLX_CACHE_CLIENT_KEYS: "short" }),
    });
    expect(weak.exitCode).toBe(2);
    expect(weak.stderr).toContain("at least 16");
    expect(weak.stderr).not.toContain("short");
  });
});
