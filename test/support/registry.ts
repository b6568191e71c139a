// Seeds a running sandbox over its public API, as PromptLayer's UI or another team would.
import { cleanEnv } from "./cli.js";
import { newRepo } from "./repo.js";
import { completion, type PublishExtra, publishBody, text } from "./templates.js";

export { chat, completion, text } from "./templates.js";

export const API_KEY = "pl_e2e_registry_key_123456";

export interface Registry {
  url: string;
  post(path: string, body: unknown): Promise<any>;
  folder(name: string, parentId?: number): Promise<number>;
  publish(name: string, promptTemplate: object, extra?: PublishExtra): Promise<any>;
}

export function registry(url: string): Registry {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method: "POST",
      headers: { "X-API-KEY": API_KEY, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const json: any = await response.json();
    if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  return {
    url,
    post,
    folder: async (name, parentId) =>
      (await post("/api/public/v2/folders", { name, parent_id: parentId ?? null })).folder.id,
    publish: (name, promptTemplate, extra) => post("/rest/prompt-templates", publishBody(name, promptTemplate, extra)),
  };
}

/** A workspace like a real team's: nested folders, a snippet, chat and completion templates, tools, labels, non-ASCII text. */
export async function seedTeamWorkspace(reg: Registry): Promise<void> {
  const support = await reg.folder("support");
  const billing = await reg.folder("billing", support);
  await reg.publish("tone", completion("Be warm, brief and precise. 🙂"), { tags: ["shared"] });
  await reg.publish(
    "refund-reply",
    {
      type: "chat",
      messages: [
        { role: "system", content: [text("You handle refunds. @@@tone@@@\n")] },
        {
          role: "user",
          template_format: "jinja2",
          content: [text("Order: {{ order_id }}\r\nReason:\t{{ reason }}  \n\n")],
        },
      ],
      tools: [
        {
          type: "function",
          function: {
            name: "lookup_order",
            description: "Find an order",
            parameters: { type: "object", properties: { id: { type: "string" } }, required: ["id"] },
          },
        },
      ],
      tool_choice: "auto",
    },
    {
      folderId: billing,
      tags: ["support", "billing"],
      labels: ["prod"],
      metadata: {
        model: { provider: "openai", name: "gpt-4o", parameters: { temperature: 0.2 } },
        owner: "support-team",
      },
    },
  );
  await reg.publish("résumé-court", completion("Résume ceci en une phrase : {texte}"), {
    folderId: support,
    metadata: { model: { provider: "anthropic", name: "claude-sonnet-4", parameters: {} } },
  });
}

/** @deprecated Use `newRepo` from ./repo.js; kept while branches that call it are merged. */
export const emptyRepo = (): Promise<string> => newRepo();

export const plxEnv = (url: string, extra: Record<string, string> = {}) =>
  cleanEnv({ PROMPTLAYER_BASE_URL: url, PROMPTLAYER_API_KEY: API_KEY, ...extra });
