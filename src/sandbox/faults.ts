// Fault injection for tests and pipeline rehearsals. Every decision comes from one seeded generator, so a run
// with the same seed and the same request order meets the same faults.

export interface FaultKnobs {
  /** Added before every answer. */
  latencyMs: number;
  /** Share of requests answered 503 before anything is changed. */
  failRate: number;
  /** Requests per second served before answering 429 with Retry-After; 0 is unlimited. */
  rateLimit: number;
  /** Share of requests whose connection is dropped before anything is changed. */
  dropRate: number;
  /** Share of writes that take effect but whose connection is dropped before the answer: the outcome is unknown. */
  dropAfterCommitRate: number;
  /** The body is sent in two halves this far apart. */
  slowBodyMs: number;
  /**
   * For this long after a template gets a new version, a read of its latest version without `Cache-Control:
   * no-cache` still answers the one before, as PromptLayer's cached reads can.
   */
  staleReadMs: number;
}

export type FaultDecision =
  | { kind: "none" }
  | { kind: "fail" }
  | { kind: "drop" }
  | { kind: "rate-limited"; retryAfterSeconds: number }
  | { kind: "drop-after-commit" };

export const NO_FAULTS: FaultKnobs = {
  latencyMs: 0,
  failRate: 0,
  rateLimit: 0,
  dropRate: 0,
  dropAfterCommitRate: 0,
  slowBodyMs: 0,
  staleReadMs: 0,
};

export class FaultInjector {
  knobs: FaultKnobs;
  private readonly random: () => number;
  private windowStart = 0;
  private windowCount = 0;

  constructor(
    knobs: Partial<FaultKnobs>,
    seed: number,
    private readonly now: () => number = Date.now,
  ) {
    this.knobs = { ...NO_FAULTS, ...definedKnobs(knobs) };
    this.random = mulberry32(seed);
  }

  update(knobs: Partial<FaultKnobs>): void {
    this.knobs = { ...this.knobs, ...definedKnobs(knobs) };
  }

  decide(isWrite: boolean): FaultDecision {
    const { failRate, dropRate, dropAfterCommitRate } = this.knobs;
    const limited = this.rateLimited();
    if (limited !== undefined) return { kind: "rate-limited", retryAfterSeconds: limited };
    // Draw every number on every request, so whether one knob is on does not shift the others' sequence.
    const [fail, drop, dropLate] = [this.random(), this.random(), this.random()];
    if (drop < dropRate) return { kind: "drop" };
    if (fail < failRate) return { kind: "fail" };
    if (isWrite && dropLate < dropAfterCommitRate) return { kind: "drop-after-commit" };
    return { kind: "none" };
  }

  /** Whole seconds until the current one-second window ends, when this request is over the limit. */
  private rateLimited(): number | undefined {
    if (this.knobs.rateLimit <= 0) return undefined;
    const now = this.now();
    if (now - this.windowStart >= 1_000) {
      this.windowStart = now;
      this.windowCount = 0;
    }
    this.windowCount += 1;
    if (this.windowCount <= this.knobs.rateLimit) return undefined;
    return Math.max(1, Math.ceil((this.windowStart + 1_000 - now) / 1_000));
  }
}

/** Options leave unset knobs undefined; those must not override the defaults. */
function definedKnobs(knobs: Partial<FaultKnobs>): Partial<FaultKnobs> {
  return Object.fromEntries(
    Object.entries(knobs).filter(([key, value]) => key in NO_FAULTS && typeof value === "number"),
  );
}

/** A small, well-known seeded PRNG; quality is ample for fault rates. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
