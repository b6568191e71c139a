/** What `plx check` reports about a file: where, how bad, a stable code, what is wrong and what to do. */
export type Severity = "error" | "warning";

export interface Finding {
  path: string;
  line: number;
  col: number;
  severity: Severity;
  code: string;
  message: string;
  hint: string;
}
