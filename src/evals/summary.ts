// Per-prompt aggregates of eval cases, and the deploy gate over them.
import { plxError } from "../errors/index.js";
import type { EvalCase } from "./cases.js";

export interface PromptSummary {
  prompt: string;
  version?: number;
  cases: number;
  passed: number;
  failed: number;
  /** passed / cases. */
  passRate: number;
  /** Mean of each case's score: its own `score` when given, else the mean of its metrics, else 1 or 0 by passed. */
  score: number;
  /** Mean of each metric over the cases that have it. */
  metrics: Record<string, number>;
}

export const UNKNOWN_PROMPT = "(unknown prompt)";

export const promptKey = (prompt: string, version: number | undefined) =>
  version === undefined ? prompt : `${prompt}@${version}`;

export function summarise(cases: readonly EvalCase[]): PromptSummary[] {
  const groups = new Map<string, EvalCase[]>();
  for (const item of cases) {
    const key = promptKey(item.prompt ?? UNKNOWN_PROMPT, item.version);
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  return [...groups.values()]
    .map((group) => {
      const passed = group.filter((item) => item.passed).length;
      const metricNames = [...new Set(group.flatMap((item) => Object.keys(item.scores)))].sort();
      const metrics = Object.fromEntries(
        metricNames.map((name) => {
          const values = group.flatMap((item) => (item.scores[name] === undefined ? [] : [item.scores[name]!]));
          return [name, mean(values)];
        }),
      );
      return {
        prompt: group[0]!.prompt ?? UNKNOWN_PROMPT,
        ...(group[0]!.version === undefined ? {} : { version: group[0]!.version }),
        cases: group.length,
        passed,
        failed: group.length - passed,
        passRate: passed / group.length,
        score: mean(group.map(caseScore)),
        metrics,
      };
    })
    .sort((a, b) => promptKey(a.prompt, a.version).localeCompare(promptKey(b.prompt, b.version)));
}

/**
 * A case's score: its own `score`, else the mean of its metrics that are scores (0..1), else 1 or 0 for passed or
 * failed. A count recorded beside them (tokens, latency) must not lift or sink the score.
 */
export function caseScore(item: EvalCase): number {
  if (item.scores.score !== undefined) return item.scores.score;
  const values = Object.values(item.scores).filter((value) => value >= 0 && value <= 1);
  return values.length > 0 ? mean(values) : item.passed ? 1 : 0;
}

const mean = (values: readonly number[]) =>
  values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;

// ---- The gate ----

export interface Threshold {
  /** Only this prompt, when the spec names one (`refund-reply:score=0.8`). */
  prompt?: string;
  /** `score`, `pass_rate`, or a metric name. */
  metric: string;
  min: number;
}

export interface GateMiss {
  prompt: string;
  metric: string;
  threshold: number;
  actual?: number;
  message: string;
}

/** `score=0.8`, `pass_rate=95%`, `faithfulness=0.7`, `refund-reply:score=0.9`. */
export function parseThreshold(spec: string): Threshold {
  const match = /^(?:([^:=]+):)?([A-Za-z0-9_.-]+)=(\d+(?:\.\d+)?)(%?)$/.exec(spec.trim());
  if (!match) throw plxError("EVAL.THRESHOLD_INVALID", { spec });
  const value = Number(match[3]) / (match[4] === "%" ? 100 : 1);
  if (value > 1 && match[4] !== "%") throw plxError("EVAL.THRESHOLD_RANGE", { spec, value: match[3]! });
  return { ...(match[1] ? { prompt: match[1] } : {}), metric: match[2]!, min: value };
}

/** Sums of decimal scores are off by a few ulps (ten 0.8s average to 0.7999999999999999): not a miss. */
const ROUNDING = 1e-9;

export function evaluateGate(
  summaries: readonly PromptSummary[],
  thresholds: readonly Threshold[],
  maxFailures: number | undefined,
): GateMiss[] {
  const misses: GateMiss[] = [];
  for (const threshold of thresholds) {
    const targets = summaries.filter(
      (summary) => threshold.prompt === undefined || summary.prompt === threshold.prompt,
    );
    if (threshold.prompt !== undefined && targets.length === 0) {
      misses.push({
        prompt: threshold.prompt,
        metric: threshold.metric,
        threshold: threshold.min,
        message: `${threshold.prompt}: no results for this prompt, so ${threshold.metric} cannot be checked`,
      });
    }
    for (const summary of targets) {
      const label = promptKey(summary.prompt, summary.version);
      const actual =
        threshold.metric === "score"
          ? summary.score
          : threshold.metric === "pass_rate"
            ? summary.passRate
            : summary.metrics[threshold.metric];
      if (actual === undefined) {
        misses.push({
          prompt: label,
          metric: threshold.metric,
          threshold: threshold.min,
          message: `${label}: no case has a metric named ${threshold.metric}`,
        });
      } else if (actual < threshold.min - ROUNDING) {
        misses.push({
          prompt: label,
          metric: threshold.metric,
          threshold: threshold.min,
          actual,
          message: `${label}: ${threshold.metric} ${round(actual)} is ${round(threshold.min - actual)} under ${round(threshold.min)}`,
        });
      }
    }
  }
  if (maxFailures !== undefined) {
    const failed = summaries.reduce((sum, summary) => sum + summary.failed, 0);
    if (failed > maxFailures)
      misses.push({
        prompt: "all prompts",
        metric: "failures",
        threshold: maxFailures,
        actual: failed,
        message: `${failed} failed cases, more than --max-failures ${maxFailures}`,
      });
  }
  return misses;
}

const round = (value: number) => String(Math.round(value * 1000) / 1000);
