// Request logs: what a model was sent and answered, recorded in PromptLayer (POST /log-request) so scores, evals and
// the dashboard can refer to it by id. An API group of its own over the client's transport.
import { z } from "zod";
import type { JsonObject } from "../core/template.js";
import { plxError } from "../errors/index.js";
import { describeIssues } from "./errors.js";
import type { Transport } from "./http.js";

/** The spec's LogRequest, as plx fills it. */
export interface LogRequestBody {
  provider: string;
  model: string;
  /** The request as sent, as a PromptLayer template (chat or completion). */
  input: JsonObject;
  /** The answer, as a PromptLayer chat template; no messages when the call failed. */
  output: JsonObject;
  request_start_time: string;
  request_end_time: string;
  parameters?: JsonObject;
  tags?: string[];
  /** Values are text: PromptLayer keeps metadata as string pairs. */
  metadata?: Record<string, string>;
  prompt_name?: string;
  prompt_id?: number;
  prompt_version_number?: number;
  prompt_input_variables?: JsonObject;
  input_tokens?: number;
  output_tokens?: number;
  function_name?: string;
  api_type?: string;
  status?: "SUCCESS" | "WARNING" | "ERROR";
  error_type?: string;
  error_message?: string;
}

const loggedSchema = z.looseObject({ id: z.number().int() });

/** Logs one request; returns the request log's id. A POST that mints a log, so only refusals and 429s are retried. */
export async function logRequest(transport: Transport, body: LogRequestBody): Promise<number> {
  const reply = await transport.request({ method: "POST", path: "/log-request", body });
  const parsed = loggedSchema.safeParse(reply.body);
  if (!parsed.success) {
    throw plxError("REMOTE.INVALID_RESPONSE", {
      method: "POST",
      path: "/log-request",
      baseUrl: transport.baseUrl,
      problem: describeIssues(parsed.error),
    });
  }
  return parsed.data.id;
}
