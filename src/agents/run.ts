/**
 * Running an agent from CI: start the run, poll its results over REST with backoff until it ends or the wait runs
 * out, and say what happened. It does not use the SDKs' websocket channels: a REST poll every few seconds is all a
 * CI job needs, and it survives proxies that a websocket may not.
 */
import { setTimeout as sleepFor } from "node:timers/promises";
import { isPlxError, plxError } from "../errors/index.js";
import type { NodeResult, WorkflowsApi } from "../promptlayer/workflows.js";

export interface AgentRunRequest {
  name: string;
  label?: string;
  version?: number;
  inputs: Record<string, unknown>;
  metadata: Record<string, string>;
  /** How long to wait for the run to end before reporting it as still running. */
  waitMs: number;
}

export interface NodeOutcome {
  name: string;
  status: string;
  value: unknown;
  error: string | null;
  isOutputNode: boolean;
}

/** succeeded: an output node succeeded and no node failed; failed: otherwise; timed-out: still running at the end. */
export type RunStatus = "succeeded" | "failed" | "timed-out";

export interface AgentRunResult {
  agent: string;
  label?: string;
  version?: number;
  executionId: number;
  status: RunStatus;
  /** The agent's output: the first output node that succeeded. */
  output?: unknown;
  /** Every node, in the order PromptLayer lists them. */
  nodes: NodeOutcome[];
  /** Nodes that failed, each with its error. */
  failed: NodeOutcome[];
  /** PromptLayer's warning about missing or unused input variables. */
  warning?: string;
  /** Result reads. */
  polls: number;
  elapsedMs: number;
}

export interface RunHooks {
  /** After every read, with the nodes as they stand. */
  onProgress?: (progress: { executionId: number; nodes: NodeOutcome[] }) => void;
  signal?: AbortSignal;
  /** Injectable for tests; real time by default. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The first wait between reads, growing by half each time up to the cap PromptLayer's docs suggest. */
export const POLL_BACKOFF = { firstMs: 250, factor: 1.5, maxMs: 5_000 } as const;

export async function runAgent(
  api: WorkflowsApi,
  request: AgentRunRequest,
  hooks: RunHooks = {},
): Promise<AgentRunResult> {
  const now = hooks.now ?? Date.now;
  const sleep = hooks.sleep ?? defaultSleep;
  const started = now();
  const { executionId, warning } = await start(api, request);
  const deadline = started + request.waitMs;
  let delay: number = POLL_BACKOFF.firstMs;
  let polls = 0;
  for (;;) {
    const state = await api.results(executionId, { allOutputs: true });
    polls += 1;
    // Asked with all outputs, PromptLayer answers with the nodes, never with the output value alone.
    const nodes = "nodes" in state ? outcomesOf(state.nodes) : [];
    hooks.onProgress?.({ executionId, nodes });
    const remaining = deadline - now();
    if (state.state !== "running" || remaining <= 0) {
      const result = {
        agent: request.name,
        ...(request.label === undefined ? {} : { label: request.label }),
        ...(request.version === undefined ? {} : { version: request.version }),
        executionId,
        ...(warning ? { warning } : {}),
        polls,
        elapsedMs: now() - started,
      };
      if (state.state === "running") return { ...result, status: "timed-out", nodes, failed: failedOf(nodes) };
      const output = await outputOf(api, executionId, nodes);
      polls += output.reads;
      const failed = failedOf(nodes);
      const status: RunStatus = output.found && failed.length === 0 ? "succeeded" : "failed";
      return { ...result, polls, status, ...(output.found ? { output: output.value } : {}), nodes, failed };
    }
    await sleep(Math.min(delay, remaining), hooks.signal);
    delay = Math.min(delay * POLL_BACKOFF.factor, POLL_BACKOFF.maxMs);
  }
}

async function start(api: WorkflowsApi, request: AgentRunRequest) {
  try {
    return await api.run(request.name, {
      ...(request.label === undefined ? {} : { label: request.label }),
      ...(request.version === undefined ? {} : { version: request.version }),
      inputs: request.inputs,
      metadata: request.metadata,
      allOutputs: true,
    });
  } catch (error) {
    // A 404 here is the agent, its label or its version that does not exist: a usage problem with its own words.
    if (!isPlxError(error) || error.code !== "REMOTE.NOT_FOUND") throw error;
    const at =
      request.label !== undefined
        ? `with the label "${request.label}"`
        : request.version !== undefined
          ? `at version ${request.version}`
          : undefined;
    throw plxError("AGENT.NOT_FOUND", { name: request.name, ...(at ? { at } : {}) }, { cause: error });
  }
}

function outcomesOf(nodes: Record<string, NodeResult>): NodeOutcome[] {
  return Object.entries(nodes).map(([name, node]) => ({
    name,
    status: node.status,
    value: node.value ?? null,
    error: node.error_message ?? (node.status === "FAILED" ? textOf(node.raw_error_message) : null),
    isOutputNode: node.is_output_node === true,
  }));
}

const failedOf = (nodes: readonly NodeOutcome[]) => nodes.filter((node) => node.status === "FAILED");

/**
 * The agent's output. With one successful output node it is that node's value. With several, which one "ran first"
 * is PromptLayer's to say, so the result is read once more without all outputs, which answers with it alone.
 */
async function outputOf(
  api: WorkflowsApi,
  executionId: number,
  nodes: readonly NodeOutcome[],
): Promise<{ found: boolean; value: unknown; reads: number }> {
  const succeeded = nodes.filter((node) => node.isOutputNode && node.status === "SUCCESS");
  if (succeeded.length === 0) return { found: false, value: undefined, reads: 0 };
  if (succeeded.length === 1) return { found: true, value: succeeded[0]!.value, reads: 0 };
  const main = await api.results(executionId, { allOutputs: false });
  return main.state === "output"
    ? { found: true, value: main.value, reads: 1 }
    : { found: true, value: succeeded[0]!.value, reads: 1 };
}

function textOf(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === "string" ? value : JSON.stringify(value);
}

async function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await sleepFor(ms, undefined, { signal });
  } catch {
    throw plxError("INTERRUPTED");
  }
}
