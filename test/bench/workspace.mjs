// The registry the benchmarks run against, written straight into the sandbox's state.

/** A workspace of `count` templates: chat and completion, nested folders, a few snippets used by many templates. */
export function workspace(count) {
  const at = new Date(0).toISOString();
  let nextId = 1;
  const folders = [];
  for (const team of ["support", "sales", "ops", "legal"]) {
    const parent = { id: nextId++, name: team, parent_id: null, external_ids: [], created_at: at, updated_at: at };
    folders.push(parent);
    for (const area of ["billing", "onboarding", "escalation"])
      folders.push({
        id: nextId++,
        name: area,
        parent_id: parent.id,
        external_ids: [],
        created_at: at,
        updated_at: at,
      });
  }
  const text = (value) => ({ type: "text", text: value });
  const templates = [];
  for (let index = 0; index < count; index++) {
    const snippet = index < 5;
    const promptTemplate = snippet
      ? {
          type: "completion",
          template_format: "f-string",
          content: [text(`Snippet ${index}: be precise and kind.`)],
          input_variables: [],
        }
      : index % 3 === 0
        ? {
            type: "completion",
            template_format: "jinja2",
            content: [text(`Summarise {{ ticket }} for case ${index}. @@@snippet-${index % 5}@@@`)],
            input_variables: ["ticket"],
          }
        : {
            type: "chat",
            messages: [
              {
                role: "system",
                content: [text(`You are assistant ${index}. @@@snippet-${index % 5}@@@`)],
                template_format: "f-string",
                name: null,
                input_variables: [],
              },
              {
                role: "user",
                content: [text("Question: {question}\nContext: {context}")],
                template_format: "f-string",
                name: null,
                input_variables: ["question", "context"],
              },
            ],
            functions: null,
            tools: null,
            function_call: null,
            tool_choice: null,
            input_variables: ["question", "context"],
          };
    const id = nextId++;
    templates.push({
      id,
      name: snippet ? `snippet-${index}` : `prompt-${index}`,
      tags: ["bench"],
      folder_id: snippet ? null : folders[index % folders.length].id,
      external_ids: [],
      versions: [
        {
          id: nextId++,
          number: 1,
          prompt_template: promptTemplate,
          metadata: { model: { provider: "openai", name: "gpt-4o", parameters: { temperature: 0.2 } } },
          commit_message: "seed",
          extras: {},
          created_at: at,
        },
      ],
      created_at: at,
      updated_at: at,
    });
  }
  const labels = templates.map((template) => ({
    id: nextId++,
    name: "prod",
    template_id: template.id,
    version_number: 1,
    created_at: at,
  }));
  return { workspace_id: 1, next_id: nextId, templates, labels, folders, protected_labels: [] };
}
