// Seeds a plx sandbox with a small team workspace, the way people would have built it in PromptLayer's UI.
const [baseUrl, apiKey] = process.argv.slice(2);
const headers = { "X-API-KEY": apiKey, "content-type": "application/json" };

async function post(path, body) {
  const response = await fetch(`${baseUrl}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
  return response.json();
}

const text = (value) => ({ type: "text", text: value });
const model = (name, parameters = {}) => ({ model: { provider: "openai", name, parameters } });

const support = (await post("/api/public/v2/folders", { name: "support" })).folder;
await post("/rest/prompt-templates", {
  prompt_template: { prompt_name: "tone", tags: ["shared"] },
  prompt_version: {
    prompt_template: { type: "completion", content: [text("Be warm, brief and precise.")] },
    commit_message: "House tone",
  },
});
await post("/rest/prompt-templates", {
  prompt_template: { prompt_name: "refund-reply", tags: ["support"], folder_id: support.id },
  prompt_version: {
    prompt_template: {
      type: "chat",
      messages: [
        { role: "system", content: [text("You answer refund questions for Acme. @@@tone@@@")] },
        { role: "user", template_format: "jinja2", content: [text("Order {{ order_id }}: {{ question }}")] },
      ],
    },
    commit_message: "First draft",
    metadata: model("gpt-4o", { temperature: 0.2 }),
  },
  release_labels: ["prod"],
});
await post("/rest/prompt-templates", {
  prompt_template: { prompt_name: "summarise-ticket", tags: ["support"], folder_id: support.id },
  prompt_version: {
    prompt_template: { type: "completion", content: [text("Summarise this ticket in one sentence: {ticket}")] },
    metadata: model("gpt-4o-mini"),
  },
});
console.log("seeded 3 templates: tone (a snippet), support/refund-reply (labelled prod), support/summarise-ticket");
