// One evaluated case, whatever tool produced it: the shape every parser returns and everything downstream reads.

export interface EvalCase {
  /** File the case came from, and its 1-based position there (line for line-based formats, order otherwise). */
  file: string;
  index: number;
  caseId: string;
  /** Template name and version the case tested, when the results say; resolved later otherwise. */
  prompt?: string;
  version?: number;
  input: string;
  expected?: string;
  output: string;
  /** Metric name to value; values in 0..1 unless the tool says otherwise. */
  scores: Record<string, number>;
  passed: boolean;
  /** A PromptLayer request log id, for track-score. */
  requestId?: number;
  provider?: string;
  latencyMs?: number;
  cost?: number;
  reason?: string;
}

export const EVAL_FORMATS = ["promptfoo", "promptfoo-jsonl", "junit", "ndjson"] as const;
export type EvalFormat = (typeof EVAL_FORMATS)[number];

/** `name@7` → name and version 7; a bare name has no version. */
export function promptRef(text: string): { prompt: string; version?: number } {
  const match = /^(.+)@(\d+)$/.exec(text.trim());
  return match ? { prompt: match[1]!, version: Number(match[2]) } : { prompt: text.trim() };
}

export const asText = (value: unknown): string =>
  value === undefined || value === null ? "" : typeof value === "string" ? value : JSON.stringify(value);
