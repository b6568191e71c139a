// What the sandbox stores and what its API handlers exchange: JSON values, the request and response a handler sees,
// and the records of each API group (tables, request logs, agents and their runs). Types only, so every sandbox
// module can share them without importing another's code.
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type JsonObject = { [key: string]: Json };

export interface ExternalIdRef {
  source: string;
  external_id: string;
}

export interface ApiRequest {
  method: string;
  /** Path segments, each percent-decoded on its own so an encoded `/` stays inside its segment. */
  segments: string[];
  query: URLSearchParams;
  body: unknown;
  /** How long after a new version a cached read may still answer the previous one; 0 when the caller sent no-cache. */
  staleForMs?: number;
}

export interface ApiResponse {
  status: number;
  body?: Json;
}

export type NodeStatus = "SUCCESS" | "FAILED" | "SKIPPED" | "QUEUED" | "RUNNING";

/** One node's entry in the execution results, as GET /workflow-version-execution-results gives it. */
export interface NodeResult {
  status: NodeStatus;
  value: Json;
  error_message: string | null;
  raw_error_message: string | null;
  is_output_node: boolean;
}

/** A value a test fixes for one node of an agent: the node then reports it instead of running. */
export interface NodeSeed {
  agent: string;
  node: string;
  status: "SUCCESS" | "FAILED";
  value: Json;
  error_message: string | null;
}

/**
 * How long a run takes: it answers 202 to its first `polls` result reads, and to every read before `run_ms` have
 * passed since it started. Both 0: finished as soon as it starts.
 */
export interface AgentRunSettings {
  polls: number;
  run_ms: number;
}

export interface StoredExecution {
  id: number;
  workflow_id: number;
  workflow_name: string;
  version_number: number;
  input_variables: JsonObject;
  metadata: Record<string, string>;
  started_at: string;
  /** Result reads so far. */
  reads: number;
  polls: number;
  run_ms: number;
  finished: boolean;
  /** Node names in the order they ran. */
  order: string[];
  /** Every node's final result, known from the start; reads reveal them as the run "progresses". */
  results: Record<string, NodeResult>;
}

export interface ColumnRecord {
  id: string;
  title: string;
  type: string;
}

export interface CalculationRecord {
  id: string;
  scorecard_id: string;
  status: "queued" | "running" | "completed";
  aggregate_score: number | null;
  aggregate_verdict: "pass" | "warn" | "fail" | null;
  criterion_summaries: JsonObject;
  created_at: string;
}

export interface SheetRecord {
  id: string;
  table_id: string;
  title: string;
  index: number;
  columns: ColumnRecord[];
  rows: Array<Record<string, Json>>;
  version_count: number;
  scorecard: JsonObject | null;
  calculations: CalculationRecord[];
  created_at: string;
  updated_at: string;
}

export interface OperationRecord {
  operation_id: string;
  table_id: string;
  sheet_id: string;
  file_name: string;
  rows_added: number;
  /** Reads so far: an import reports "running" once before "completed", as the real one takes a moment. */
  polls: number;
  created_at: string;
}

export interface TableRecord {
  id: string;
  title: string;
  folder_id: number | null;
  sheets: SheetRecord[];
  created_at: string;
  updated_at: string;
}

export interface TablesData {
  tables: TableRecord[];
  operations: OperationRecord[];
  scores: Array<{ request_id: number; score: number; name: string }>;
}

export interface RequestLog {
  id: number;
  provider: string;
  model: string;
  prompt_name?: string;
  prompt_id?: number;
  prompt_version_number?: number;
  prompt_input_variables?: Json;
  metadata: Record<string, string>;
  scores: Record<string, number>;
  group_ids: number[];
  tags?: string[];
  /** What was sent and answered: PromptLayer templates for log-request, the provider's own bodies for track-request. */
  input?: Json;
  output?: Json;
  parameters?: Json;
  input_tokens?: number;
  output_tokens?: number;
  status?: string;
  error_type?: string | null;
  error_message?: string | null;
  request_start_time?: string | number;
  request_end_time?: string | number;
}

export interface TrackingData {
  requests: RequestLog[];
  groups: number[];
}

export interface StoredWorkflowVersion {
  id: number;
  number: number;
  commit_message: string | null;
  /** As sent, each with the `id` and `workflow_version_id` the server gives it. */
  nodes: JsonObject[];
  /** As sent, each with its `id`. */
  edges: JsonObject[];
  required_input_variables: Record<string, string>;
  created_at: string;
}

export interface StoredWorkflow {
  id: number;
  name: string;
  folder_id: number | null;
  external_ids: ExternalIdRef[];
  versions: StoredWorkflowVersion[];
  created_at: string;
  updated_at: string;
}

export interface StoredWorkflowLabel {
  id: number;
  name: string;
  workflow_id: number;
  version_number: number;
}

export interface WorkflowsData {
  workflows: StoredWorkflow[];
  labels: StoredWorkflowLabel[];
  executions: StoredExecution[];
  seeds: NodeSeed[];
  settings: AgentRunSettings;
}
