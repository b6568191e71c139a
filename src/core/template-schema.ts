/**
 * What PromptLayer's server validates in a version it is sent, as a table: the fields of each schema of the OpenAPI
 * spec that a prompt file holds (ChatPrompt, CompletionPrompt, the Message and ContentBlock variants, Tool, Model,
 * Metadata, the version-level fields), their JSON types, allowed values and required fields, and the discriminated
 * unions that pick a schema by `role` or `type`. Copied by hand from `components.schemas` (the spec is not read at run
 * time); test/unit/core/template-schema.contract.test.ts holds the table to the spec, field by field.
 *
 * Where PromptLayer is known to accept more than the spec says (docs digest §2.4, §2.5, §12), the table does too:
 * registry tools (`type: registry`) and tool variables (`type: variable`) are tools, the SDKs' extra fields are known
 * fields, and an unknown content block or tool type is only a warning, because those unions keep growing.
 */

/** A JSON type, as the spec names it. */
export type JsonKind = "string" | "integer" | "number" | "boolean" | "object" | "array" | "null";

/** One JSON type a field may hold, with what the spec says further about values of that type. */
export type Alternative =
  | { readonly type: "string"; readonly values?: readonly string[]; readonly maxLength?: number }
  | { readonly type: "integer"; readonly exclusiveMinimum?: number }
  | { readonly type: "number" | "boolean" | "null" }
  /** An object: of a schema or union named here (SCHEMAS, UNIONS), or any object (model parameters, tool config). */
  | { readonly type: "object"; readonly schema?: string }
  | { readonly type: "array"; readonly items?: Shape };

/** The types a field may hold: one alternative per JSON type (no spec field needs two of one type). */
export type Shape = readonly Alternative[];

export interface ObjectSchema {
  readonly fields: Readonly<Record<string, Shape>>;
  readonly required?: readonly string[];
  /** The spec lets the object hold fields it does not list (`additionalProperties: true`). */
  readonly open?: boolean;
}

/** A discriminated union: the schema is picked by the value of one field. */
export interface UnionSchema {
  readonly discriminator: string;
  readonly members: Readonly<Record<string, string>>;
  /** What an unknown discriminator value is: refused by PromptLayer, or possibly newer than this table. */
  readonly unknown: "error" | "warning";
  /** The schema of a member that does not name its discriminator at all, when the server infers one. */
  readonly untyped?: { readonly when: string; readonly schema: string };
}

// ---- Building blocks ----

const string: Alternative = { type: "string" };
const integer: Alternative = { type: "integer" };
const boolean: Alternative = { type: "boolean" };
const nul: Alternative = { type: "null" };
const anyObject: Alternative = { type: "object" };
const oneOf = (...values: string[]): Alternative => ({ type: "string", values });
const limited = (maxLength: number): Alternative => ({ type: "string", maxLength });
const ref = (schema: string): Alternative => ({ type: "object", schema });
const list = (...items: Alternative[]): Alternative => ({ type: "array", items });

const TEMPLATE_FORMAT = oneOf("f-string", "jinja2");
const BLOCKS = list(ref("ContentBlock"));

/** The fields every message has, whatever its role. */
const messageFields = (role: string, content: Shape, name: Shape, extra: Record<string, Shape> = {}) => ({
  role: [oneOf(role)],
  input_variables: [list(string)],
  template_format: [TEMPLATE_FORMAT],
  content,
  name,
  ...extra,
});

// ---- The schemas ----

export const SCHEMAS = {
  ChatPrompt: {
    fields: {
      type: [oneOf("chat")],
      messages: [list(ref("Message"))],
      functions: [list(ref("Function")), nul],
      tools: [list(ref("Tool")), nul],
      function_call: [string, ref("MessageFunctionCall"), nul],
      tool_choice: [string, ref("ChatToolChoice"), nul],
      input_variables: [list(string)],
    },
    required: ["messages"],
  },
  CompletionPrompt: {
    fields: {
      type: [oneOf("completion")],
      content: [BLOCKS],
      input_variables: [list(string)],
      template_format: [TEMPLATE_FORMAT],
    },
    required: ["content"],
    open: true,
  },

  SystemMessage: { fields: messageFields("system", [BLOCKS], [string, nul]), required: ["content"] },
  UserMessage: { fields: messageFields("user", [BLOCKS], [string, nul]), required: ["content"] },
  DeveloperMessage: { fields: messageFields("developer", [BLOCKS], [string, nul]), required: ["content"] },
  AssistantMessage: {
    fields: messageFields("assistant", [BLOCKS, nul], [string, nul], {
      function_call: [ref("FunctionCall"), nul],
      tool_calls: [list(ref("ToolCall")), nul],
    }),
  },
  FunctionMessage: { fields: messageFields("function", [BLOCKS, nul], [string]), required: ["name"] },
  ToolMessage: {
    fields: messageFields("tool", [BLOCKS], [string, nul], { tool_call_id: [string] }),
    required: ["content", "tool_call_id"],
  },
  PlaceholderMessage: {
    fields: messageFields("placeholder", [BLOCKS, nul], [string], { raw_request_display_role: [string] }),
    required: ["name"],
  },

  TextContent: {
    fields: {
      type: [oneOf("text")],
      text: [string],
      id: [string, nul],
      annotations: [list(ref("Annotation")), nul],
      thought_signature: [string, nul],
    },
    required: ["text"],
  },
  ThinkingContent: {
    fields: { type: [oneOf("thinking")], thinking: [string], signature: [string, nul], id: [string, nul] },
    required: ["thinking"],
  },
  CodeContent: {
    // `language` is not in the spec; the SDKs' types have it.
    fields: {
      type: [oneOf("code")],
      code: [string],
      id: [string, nul],
      container_id: [string, nul],
      language: [string],
    },
    required: ["code"],
  },
  ImageContent: {
    fields: { type: [oneOf("image_url")], image_url: [ref("ImageURL")], image_variable: [string, nul] },
    required: ["image_url"],
  },
  ImageURL: { fields: { url: [string], detail: [string, nul] }, required: ["url"] },
  MediaContent: { fields: { type: [oneOf("media")], media: [ref("Media")] }, required: ["media"] },
  Media: {
    fields: { title: [string], type: [string, nul], url: [string, nul], format: [oneOf("base64", "url", "neither")] },
  },
  MediaVariable: { fields: { type: [oneOf("media_variable")], name: [string] }, required: ["name"] },
  OutputMediaContent: {
    fields: {
      type: [oneOf("output_media")],
      id: [string, nul],
      url: [string],
      mime_type: [string],
      media_type: [oneOf("image", "video", "audio")],
      provider_metadata: [anyObject, nul],
    },
    required: ["url"],
  },
  ServerToolUseContent: {
    fields: { type: [oneOf("server_tool_use")], id: [string], name: [string], input: [anyObject] },
    required: ["id", "name"],
  },
  WebSearchToolResultContent: {
    fields: { type: [oneOf("web_search_tool_result")], tool_use_id: [string], content: [list(ref("WebSearchResult"))] },
    required: ["tool_use_id"],
  },
  WebSearchResult: {
    fields: {
      type: [oneOf("web_search_result")],
      url: [string],
      title: [string],
      encrypted_content: [string],
      page_age: [string, nul],
    },
  },
  CodeExecutionResultContent: {
    fields: { type: [oneOf("code_execution_result")], output: [string], outcome: [string] },
    required: ["output"],
  },
  McpListToolsContent: {
    fields: {
      type: [oneOf("mcp_list_tools")],
      id: [string, nul],
      server_label: [string],
      tools: [list(anyObject)],
      error: [string, anyObject, nul],
    },
  },
  McpCallContent: {
    fields: {
      type: [oneOf("mcp_call")],
      id: [string, nul],
      name: [string],
      server_label: [string],
      arguments: [string],
      output: [string, nul],
      error: [string, anyObject, nul],
      approval_request_id: [string, nul],
    },
  },
  McpApprovalRequestContent: {
    fields: {
      type: [oneOf("mcp_approval_request")],
      id: [string, nul],
      name: [string],
      arguments: [string],
      server_label: [string],
    },
  },
  McpApprovalResponseContent: {
    fields: { type: [oneOf("mcp_approval_response")], approval_request_id: [string], approve: [boolean] },
    required: ["approval_request_id", "approve"],
  },
  BashCodeExecutionToolResultContent: {
    fields: { type: [oneOf("bash_code_execution_tool_result")], tool_use_id: [string], content: [anyObject] },
    required: ["tool_use_id"],
  },
  TextEditorCodeExecutionToolResultContent: {
    fields: { type: [oneOf("text_editor_code_execution_tool_result")], tool_use_id: [string], content: [anyObject] },
    required: ["tool_use_id"],
  },
  ShellCallContent: {
    fields: {
      type: [oneOf("shell_call")],
      id: [string, nul],
      call_id: [string, nul],
      action: [anyObject],
      status: [string, nul],
    },
  },
  ShellCallOutputContent: {
    fields: {
      type: [oneOf("shell_call_output")],
      id: [string, nul],
      call_id: [string, nul],
      output: [list(anyObject)],
      status: [string, nul],
    },
  },
  ApplyPatchCallContent: {
    fields: {
      type: [oneOf("apply_patch_call")],
      id: [string, nul],
      call_id: [string, nul],
      operation: [anyObject],
      status: [string, nul],
    },
  },
  ApplyPatchCallOutputContent: {
    fields: {
      type: [oneOf("apply_patch_call_output")],
      id: [string, nul],
      call_id: [string, nul],
      output: [string, nul],
      status: [string, nul],
    },
  },

  WebAnnotation: {
    fields: {
      type: [oneOf("url_citation")],
      title: [string],
      url: [string],
      start_index: [integer],
      end_index: [integer],
      cited_text: [string, nul],
      encrypted_index: [string, nul],
    },
    required: ["type", "title", "url", "start_index", "end_index"],
  },
  FileAnnotation: {
    fields: { type: [oneOf("file_citation")], index: [integer], file_id: [string], filename: [string] },
    required: ["type", "index", "file_id", "filename"],
  },
  MapAnnotation: {
    fields: {
      type: [oneOf("map_citation")],
      title: [string],
      url: [string],
      place_id: [string, nul],
      start_index: [integer],
      end_index: [integer],
      cited_text: [string, nul],
    },
    required: ["type", "title", "url", "start_index", "end_index"],
  },
  ContainerFileAnnotation: {
    fields: {
      type: [oneOf("container_file_citation")],
      container_id: [string],
      start_index: [integer, nul],
      end_index: [integer, nul],
      filename: [string, nul],
      file_id: [string, nul],
    },
    required: ["type", "container_id"],
  },

  FunctionTool: { fields: { type: [oneOf("function")], function: [ref("Function")] }, required: ["function"] },
  BuiltInTool: {
    fields: {
      id: [string],
      name: [string],
      description: [string],
      provider: [string],
      type: [
        oneOf(
          "web_search",
          "file_search",
          "code_interpreter",
          "image_generation",
          "google_maps",
          "url_context",
          "mcp",
          "bash",
          "shell",
          "apply_patch",
          "text_editor",
        ),
      ],
      config: [anyObject],
    },
    required: ["id", "name", "description", "provider", "type", "config"],
  },
  // Not in the spec: the SDKs' types and the tool registry docs (digest §2.5).
  RegistryTool: {
    fields: {
      type: [oneOf("registry")],
      tool_registry_id: [integer],
      label: [string, nul],
      version_number: [integer, nul],
    },
    required: ["tool_registry_id"],
  },
  // Not in the spec, and its fields are unverified beyond the `name` of the variable holding the tools.
  VariableTool: { fields: { type: [oneOf("variable")], name: [string] }, required: ["name"], open: true },
  Function: {
    fields: { name: [string], description: [string], strict: [boolean], parameters: [anyObject] },
    required: ["name"],
  },
  ToolCall: {
    // `provider_metadata` is not in the spec; the SDKs' types have it.
    fields: {
      id: [string],
      type: [oneOf("function")],
      function: [ref("FunctionCall")],
      tool_id: [string, nul],
      provider_metadata: [anyObject],
    },
    required: ["id", "function"],
  },
  FunctionCall: { fields: { name: [string], arguments: [string] }, required: ["name", "arguments"] },
  MessageFunctionCall: { fields: { name: [string] }, required: ["name"] },
  ChatToolChoice: {
    fields: { type: [oneOf("function")], function: [ref("MessageFunctionCall")] },
    required: ["function"],
  },

  Metadata: { fields: { model: [ref("Model"), nul] }, open: true },
  Model: {
    fields: {
      provider: [string],
      name: [string],
      parameters: [anyObject],
      display_params: [anyObject],
      api_type: [string, nul],
      model_config_display_name: [limited(255), nul],
      base_model: [limited(100), nul],
    },
    required: ["provider", "name"],
  },
  /** The version-level fields of the spec's PromptBlueprint, which a file keeps under `extras`; others pass as is. */
  VersionExtras: {
    fields: {
      provider_base_url_name: [limited(255), nul],
      provider_id: [{ type: "integer", exclusiveMinimum: 0 }, nul],
      inference_client_name: [limited(255), nul],
      report_id: [integer, nul],
    },
    open: true,
  },
} as const satisfies Record<string, ObjectSchema>;

export type SchemaName = keyof typeof SCHEMAS;

export const UNIONS = {
  Message: {
    discriminator: "role",
    members: {
      system: "SystemMessage",
      user: "UserMessage",
      assistant: "AssistantMessage",
      function: "FunctionMessage",
      tool: "ToolMessage",
      placeholder: "PlaceholderMessage",
      developer: "DeveloperMessage",
    },
    // Chat roles are a small, settled set; PromptLayer answers 422 to any other.
    unknown: "error",
  },
  ContentBlock: {
    discriminator: "type",
    members: {
      text: "TextContent",
      thinking: "ThinkingContent",
      code: "CodeContent",
      image_url: "ImageContent",
      media: "MediaContent",
      media_variable: "MediaVariable",
      output_media: "OutputMediaContent",
      server_tool_use: "ServerToolUseContent",
      web_search_tool_result: "WebSearchToolResultContent",
      code_execution_result: "CodeExecutionResultContent",
      mcp_list_tools: "McpListToolsContent",
      mcp_call: "McpCallContent",
      mcp_approval_request: "McpApprovalRequestContent",
      mcp_approval_response: "McpApprovalResponseContent",
      bash_code_execution_tool_result: "BashCodeExecutionToolResultContent",
      text_editor_code_execution_tool_result: "TextEditorCodeExecutionToolResultContent",
      shell_call: "ShellCallContent",
      shell_call_output: "ShellCallOutputContent",
      apply_patch_call: "ApplyPatchCallContent",
      apply_patch_call_output: "ApplyPatchCallOutputContent",
    },
    // New block types arrive with new model features (the digest's changelog note); PromptLayer may know one the
    // spec copied here does not, and holds such blocks (an `audio_transcript` among them).
    unknown: "warning",
  },
  Tool: {
    discriminator: "type",
    members: {
      function: "FunctionTool",
      web_search: "BuiltInTool",
      file_search: "BuiltInTool",
      code_interpreter: "BuiltInTool",
      image_generation: "BuiltInTool",
      google_maps: "BuiltInTool",
      url_context: "BuiltInTool",
      mcp: "BuiltInTool",
      bash: "BuiltInTool",
      shell: "BuiltInTool",
      apply_patch: "BuiltInTool",
      text_editor: "BuiltInTool",
      registry: "RegistryTool",
      variable: "VariableTool",
    },
    // The spec's list already misses two kinds PromptLayer accepts, and built-in tools follow the providers'.
    unknown: "warning",
    // Older templates hold function tools without a type.
    untyped: { when: "function", schema: "FunctionTool" },
  },
  Annotation: {
    discriminator: "type",
    members: {
      url_citation: "WebAnnotation",
      file_citation: "FileAnnotation",
      map_citation: "MapAnnotation",
      container_file_citation: "ContainerFileAnnotation",
    },
    unknown: "warning",
  },
} as const satisfies Record<string, UnionSchema>;

export type UnionName = keyof typeof UNIONS;

/** The top-level fields of each template type: what a prompt file may write at its top level for it. */
export const TEMPLATE_FIELDS = {
  chat: Object.keys(SCHEMAS.ChatPrompt.fields),
  completion: Object.keys(SCHEMAS.CompletionPrompt.fields),
} as const;

/**
 * Model parameters are open-ended (each provider has its own), so an unknown one is flagged only when it looks like a
 * misspelling of one of these: the parameters of OpenAI's, Anthropic's and Google's APIs that templates set.
 */
export const WELL_KNOWN_PARAMETERS = [
  "temperature",
  "top_p",
  "top_k",
  "max_tokens",
  "max_completion_tokens",
  "max_output_tokens",
  "stop",
  "stop_sequences",
  "seed",
  "n",
  "frequency_penalty",
  "presence_penalty",
  "logit_bias",
  "logprobs",
  "top_logprobs",
  "response_format",
  "reasoning_effort",
  "reasoning",
  "verbosity",
  "thinking",
  "parallel_tool_calls",
  "service_tier",
  "store",
  "stream",
  "user",
  "modalities",
  "audio",
  "prediction",
  "text",
  "truncation",
  "include",
  "candidateCount",
  "maxOutputTokens",
  "topP",
  "topK",
  "stopSequences",
  "responseMimeType",
  "responseSchema",
  "thinkingConfig",
  "safetySettings",
] as const;
