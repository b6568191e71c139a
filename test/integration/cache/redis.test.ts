// Several cache instances sharing a real Redis (never a mock): a change one instance hears reaches the others, and a
// new instance starts warm even while PromptLayer is down.
import { createClient } from "@redis/client";
import { afterAll, describe, expect, it } from "vitest";
import type { WebhookEvent } from "../../../src/cache/index.js";
import { API_KEY, eventually, startCache, stopAfterEachTest, sandboxesPerTest } from "../../support/cache.js";
import { chat, completion } from "../../support/registry.js";

const REDIS_URL = process.env.PLX_TEST_REDIS_URL;
if (!REDIS_URL) {
  throw new Error(
    "PLX_TEST_REDIS_URL is not set. The cache's Redis tests need a real redis-server: start one " +
      "(redis-server --port 6390 --save '') and export PLX_TEST_REDIS_URL=redis://127.0.0.1:6390. .ci/run does both.",
  );
}

stopAfterEachTest();
const sandbox = sandboxesPerTest();
afterAll(async () => {
  // The namespaces these tests made (one per sandbox URL) are dropped, so the server can be reused.
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  for await (const keys of client.scanIterator({ MATCH: "plx-cache:*", COUNT: 1000 }))
    if (keys.length > 0) await client.del(keys);
  await client.close();
});

const text = (body: any) => body.prompt_template.messages?.[0]?.content[0].text ?? body.prompt_template.content[0].text;
const event = (eventType: string, details: Record<string, unknown>): WebhookEvent => ({ eventType, details });

async function seeded() {
  const sb = await sandbox();
  await sb.publish("tone", completion("Be warm."));
  const greet = await sb.publish("greet", chat(["system", "Hi {name}. @@@tone@@@"]), { labels: ["prod"] });
  return { sb, greetId: greet.id as number };
}

describe("caches sharing Redis", () => {
  it("both serve a change only one of them heard", async () => {
    const { sb, greetId } = await seeded();
    const a = await startCache(sb.url, { storeUrl: REDIS_URL });
    await a.synced();
    const b = await startCache(sb.url, { storeUrl: REDIS_URL });
    // Warm from Redis before its own first sync.
    expect(b.cache.ready).toBe(true);
    expect((await b.call("/prompt-templates/greet?label=prod")).headers.get("x-plx-cache")).toBe("hit");
    await b.synced();

    await sb.publish("greet", chat(["system", "Hello {name}. @@@tone@@@"]), { labels: ["prod"] });
    expect(text(await (await b.call("/prompt-templates/greet?label=prod")).json())).toBe("Hi {name}. Be warm.");
    await sb.clearRequests();
    await a.cache.applyEvents([
      event("prompt_template_version_created", {
        prompt_template_id: greetId,
        prompt_template_name: "greet",
        prompt_template_version_number: 2,
      }),
      event("prompt_template_label_moved", {
        prompt_template_id: greetId,
        prompt_template_name: "greet",
        prompt_template_label: "prod",
        prompt_template_version_number: 2,
        old_prompt_template_version_number: 1,
      }),
    ]);
    for (const path of ["/prompt-templates/greet", "/prompt-templates/greet?label=prod"]) {
      const served = await eventually(async () => {
        const response = await b.call(path);
        const body = await response.json();
        return text(body) === "Hello {name}. Be warm." ? response : undefined;
      }, `instance B to serve ${path}`);
      expect(served.headers.get("x-plx-cache")).toBe("hit");
    }
    // PromptLayer was read once per change, by the instance that heard it.
    expect((await sb.requests()).map((request) => request.query.label ?? "latest").sort()).toEqual(["latest", "prod"]);

    // A dropped label reaches B too.
    const labels = await fetch(`${sb.url}/prompt-templates/greet/labels`, { headers: { "x-api-key": API_KEY } });
    const [prod] = ((await labels.json()) as { release_labels: Array<{ release_label_id: number }> }).release_labels;
    await fetch(`${sb.url}/prompt-labels/${prod!.release_label_id}`, {
      method: "DELETE",
      headers: { "x-api-key": API_KEY },
    });
    await a.cache.applyEvents([
      event("prompt_template_label_deleted", {
        prompt_template_id: greetId,
        prompt_template_name: "greet",
        prompt_template_label: "prod",
        prompt_template_version_number: 2,
      }),
    ]);
    await eventually(
      async () => ((await b.call("/prompt-templates/greet?label=prod")).status === 404 ? true : undefined),
      "the label to be gone on B",
    );
  });

  it("start warm from Redis while PromptLayer is down", async () => {
    const { sb } = await seeded();
    const first = await startCache(sb.url, { storeUrl: REDIS_URL });
    await first.synced();
    await first.close();
    await sb.close();

    const late = await startCache(sb.url, { storeUrl: REDIS_URL });
    expect((await late.call("/healthz")).status).toBe(200);
    const answer = await late.call("/prompt-templates/greet?label=prod", { method: "POST", body: JSON.stringify({}) });
    expect(answer.status).toBe(200);
    expect(text(await answer.json())).toBe("Hi {name}. Be warm.");
  });

  it("keep caches in front of different workspaces apart", async () => {
    const { sb } = await seeded();
    const a = await startCache(sb.url, { storeUrl: REDIS_URL });
    await a.synced();
    const other = await sandbox();
    const b = await startCache(other.url, { storeUrl: REDIS_URL });
    expect(b.cache.size).toBe(0);
    expect(b.cache.ready).toBe(false);
  });

  it("refuse to start when Redis cannot be reached, naming it without credentials", async () => {
    const { sb } = await seeded();
    const refused = await startCache(sb.url, { storeUrl: "redis://user:s3cret-password@127.0.0.1:9/0" }).catch(
      (error: Error & { code?: string; exitCode?: number }) => error,
    );
    expect(refused).toMatchObject({ code: "CACHE.STORE_UNREACHABLE", exitCode: 3 });
    expect((refused as Error).message).toContain("redis://127.0.0.1:9/0");
    expect((refused as Error).message).not.toContain("s3cret");
  });
});
