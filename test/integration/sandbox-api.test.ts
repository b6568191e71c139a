// The sandbox's API as PromptLayer's official SDK and plx see it, in-process: the registry, logging and tracking, a
// key, stale cached reads.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PromptLayer } from "promptlayer";
import { describe, expect, it } from "vitest";
import { newRepo, plx, sandboxPerTest } from "../support/in-process.js";
import { chat } from "../support/templates.js";

const sandbox = sandboxPerTest();

/** A chat template whose user message is `text`. */
const terse = (text: string) => chat(["system", "You are terse."], ["user", text]);

describe("the sandbox's API", () => {
  it("serves the official promptlayer SDK unchanged: publish, get by name, version and label, all", async () => {
    const server = await sandbox();
    const client = new PromptLayer({ apiKey: "pl_sdk_test_key", baseURL: server.url });

    const first = await client.templates.publish({
      prompt_template: { prompt_name: "greeting", tags: ["demo"] },
      prompt_version: {
        prompt_template: terse("Hello v1"),
        commit_message: "first",
        metadata: { model: { provider: "openai", name: "gpt-4o", parameters: {} } },
      },
    } as never);
    expect(first).toMatchObject({ prompt_name: "greeting", version_number: 1 });
    await client.templates.publish({
      prompt_template: { prompt_name: "greeting" },
      prompt_version: { prompt_template: terse("Hello v2"), commit_message: "second" },
      release_labels: ["prod"],
    } as never);
    await client.templates.publish({
      prompt_template: { prompt_name: "greeting" },
      prompt_version: { prompt_template: terse("Hello v3"), commit_message: "third" },
    } as never);

    const textOf = (template: any) => template.prompt_template.messages[1].content[0].text;
    expect(textOf(await client.templates.get("greeting"))).toBe("Hello v3");
    expect(textOf(await client.templates.get("greeting", { version: 1 }))).toBe("Hello v1");
    expect(textOf(await client.templates.get("greeting", { label: "prod" }))).toBe("Hello v2");
    const all = await client.templates.all();
    expect(all.map((item: any) => item.prompt_name)).toEqual(["greeting"]);

    const requests = await server.requests();
    expect(requests.map((r) => `${r.method} ${r.path}`)).toContain("POST /rest/prompt-templates");
    expect(JSON.stringify(requests)).not.toContain("pl_sdk_test_key");
  });

  it("serves the SDK's logging and tracking unchanged: log a request, then score, metadata, prompt and group", async () => {
    const server = await sandbox({ apiKey: "pl_sdk_track_key" });
    const client = new PromptLayer({ apiKey: "pl_sdk_track_key", baseURL: server.url });
    await client.templates.publish({
      prompt_template: { prompt_name: "greeting" },
      prompt_version: { prompt_template: terse("Hi"), commit_message: "first" },
    } as never);

    const logged = await client.logRequest({
      provider: "openai",
      model: "gpt-4o",
      input: terse("Hi"),
      output: terse("Hello!"),
      request_start_time: Date.now() / 1000,
      request_end_time: Date.now() / 1000,
    } as never);
    expect(logged).toMatchObject({ id: expect.any(Number), status: "SUCCESS" });
    const id = (logged as { id: number }).id;
    expect(await client.track.score({ request_id: id, score: 87, name: "tone" })).toBe(true);
    expect(await client.track.metadata({ request_id: id, metadata: { user: "u-1" } })).toBe(true);
    expect(
      await client.track.prompt({ request_id: id, prompt_name: "greeting", prompt_input_variables: { name: "Ada" } }),
    ).toBe(true);
    const group = await client.group.create();
    expect(group).toEqual(expect.any(Number));
    expect(await client.track.group({ request_id: id, group_id: group as number })).toBe(true);

    const { tracking } = (await server.state()) as { tracking: { requests: unknown[] } };
    expect(tracking.requests).toEqual([
      expect.objectContaining({
        id,
        scores: { tone: 87 },
        metadata: { user: "u-1" },
        prompt_name: "greeting",
        prompt_version_number: 1,
        prompt_input_variables: { name: "Ada" },
        group_ids: [group],
      }),
    ]);
    // A wrong key in the body is refused as a wrong header is; the key is masked in the recording.
    const refused = await fetch(`${server.url}/library-track-score`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ api_key: "wrong", request_id: id, score: 1 }),
    });
    expect(refused.status).toBe(401);
    await expect(
      new PromptLayer({ apiKey: "pl_sdk_track_key", baseURL: server.url }).track.score({
        request_id: 999_999,
        score: 1,
      }),
    ).rejects.toThrow(/not found/i);
    expect(JSON.stringify(await server.requests())).not.toContain("pl_sdk_track_key");
  });

  it("with --stale-reads answers a read without no-cache from before the latest publish, as PromptLayer's cache can", async () => {
    const server = await sandbox({ staleReadMs: 60_000 });
    const headers = { "X-API-KEY": "k", "content-type": "application/json" };
    for (const text of ["v1", "v2"]) {
      const published = await fetch(`${server.url}/rest/prompt-templates`, {
        method: "POST",
        headers,
        body: JSON.stringify({
          prompt_template: { prompt_name: "t" },
          prompt_version: { prompt_template: terse(text) },
        }),
      });
      expect(published.status).toBe(200);
    }
    const textAt = async (query: string, extra: Record<string, string> = {}) =>
      (
        (await (
          await fetch(`${server.url}/prompt-templates/t${query}`, { headers: { ...headers, ...extra } })
        ).json()) as any
      ).prompt_template.messages[1].content[0].text;
    expect(await textAt("")).toBe("v1");
    expect(await textAt("", { "Cache-Control": "no-cache" })).toBe("v2");
    expect(await textAt("?version=2")).toBe("v2");

    // plx asks past the cache: an edit made in PromptLayer a moment ago is seen, and the push refuses to overwrite it.
    const repo = await newRepo();
    expect((await server.plx(repo, "pull")).exitCode).toBe(0);
    await fetch(`${server.url}/rest/prompt-templates`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        prompt_template: { prompt_name: "t" },
        prompt_version: { prompt_template: terse("edited in the UI") },
      }),
    });
    const file = join(repo, "prompts/t.prompt.yaml");
    await writeFile(file, (await readFile(file, "utf8")).replace("v2", "edited here"));
    const pushed = await server.plx(repo, "push");
    expect(pushed.exitCode, pushed.stdout).toBe(5);
    expect(pushed.stdout).toContain("-    content: edited in the UI");
  });

  it("plx sandbox refuses --webhook-url without --webhook-secret", async () => {
    const result = await plx(["sandbox", "--webhook-url", "http://127.0.0.1:9/hook"], { cwd: await newRepo() });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("--webhook-url and --webhook-secret go together");
  });
});
