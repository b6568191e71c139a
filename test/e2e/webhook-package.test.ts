// The documented entry point `plx/webhook`, as a serverless host loads it: the built bundle, imported by package name.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

// Runs in a fresh Node process from the package root, so `plx/webhook` resolves through package.json "exports".
const SCRIPT = `
import { createHmac } from "node:crypto";
import { createPromptLayerWebhookHandler, pythonJsonDumps } from "plx/webhook";
const secret = "whsec_package";
const batches = [];
const pending = [];
const handle = createPromptLayerWebhookHandler({
  secrets: [secret],
  dispatch: { action: { describe: "test", run: async (batch) => void batches.push(batch) } },
});
const payload = {
  event_type: "prompt_template_label_moved",
  details: { prompt_template_id: 4, prompt_template_name: "café", prompt_template_version_number: 2,
             old_prompt_template_version_number: 1, prompt_template_label: "prod" },
  user_id: 1, user_name: "Ada", user_email: null, workspace_id: 1,
  timestamp: new Date().toISOString().replace("Z", ""),
};
const body = JSON.stringify(payload, null, 2);
const python = pythonJsonDumps(JSON.parse(body));
const signature = createHmac("sha256", secret).update(python).digest("hex");
const request = (sig) => new Request("https://hooks.example/promptlayer", {
  method: "POST", headers: { "X-PromptLayer-Signature": sig }, body,
});
const good = await handle(request(signature), { waitUntil: (p) => pending.push(p) });
const bad = await handle(request("0".repeat(64)));
await Promise.all(pending);
console.log(JSON.stringify({ good: good.status, bad: bad.status, batches: batches.map((b) => b.templates) }));
`;

describe("plx/webhook", () => {
  it("loads by its package name and receives a signed delivery, acting once the host's waitUntil settles", async () => {
    const result = await execa(process.execPath, ["--input-type=module", "-e", SCRIPT], { cwd: ROOT, reject: false });
    expect(result.stderr).toBe("");
    expect(JSON.parse(String(result.stdout))).toEqual({
      good: 202,
      bad: 401,
      batches: [[{ id: 4, name: "café" }]],
    });
  });

  it("ships type declarations where package.json points", async () => {
    const manifest = JSON.parse(await readFile(`${ROOT}/package.json`, "utf8"));
    const types = await readFile(`${ROOT}/${manifest.exports["./webhook"].types}`, "utf8");
    for (const name of ["createPromptLayerWebhookHandler", "createDeliveryReader", "DuplicateFilter", "Debouncer"])
      expect(types).toContain(name);
  });
});
