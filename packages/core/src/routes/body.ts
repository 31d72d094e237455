import { z } from "zod";
import { GatewayError, badRequest } from "../errors.js";
import type { GatewayHttpRequest } from "../http/types.js";

/** Limits on what JSON bodies may contain, beyond the byte limit. */
export const MAX_JSON_DEPTH = 64;

function depthOf(value: unknown, limit: number, depth = 0): number {
  if (depth > limit) return depth;
  if (value && typeof value === "object") {
    let max = depth;
    for (const v of Object.values(value)) {
      max = Math.max(max, depthOf(v, limit, depth + 1));
      if (max > limit) break;
    }
    return max;
  }
  return depth;
}

/**
 * Reads and parses a JSON object body, with clear 400/413/415 errors. `log` learns the body's size: what a cut
 * stream's cost is estimated from when no usage came.
 */
export async function readJsonBody(req: GatewayHttpRequest, limit: number, log?: { requestBytes: number }): Promise<Record<string, unknown>> {
  const ct = req.headers["content-type"];
  if (ct && !/^application\/(.+\+)?json\b/i.test(ct) && !/^text\/plain\b/i.test(ct)) {
    throw new GatewayError(415, "invalid_request_error", "unsupported_media_type", `Content-Type must be application/json, not ${ct}.`);
  }
  const raw = await req.readBody(limit);
  if (!raw.length) throw badRequest("invalid_json", "Request body is empty: send a JSON object.");
  if (log) log.requestBytes = raw.length;
  let value: unknown;
  try {
    value = JSON.parse(raw.toString("utf8"));
  } catch (err) {
    throw badRequest("invalid_json", `Request body is not valid JSON: ${(err as Error).message}`);
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw badRequest("invalid_json", "Request body must be a JSON object.");
  }
  if (depthOf(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw badRequest("invalid_json", `Request body is nested deeper than ${MAX_JSON_DEPTH} levels.`);
  }
  return value as Record<string, unknown>;
}

/** Validates with zod; the first problem becomes an OpenAI-style 400 naming the parameter. */
export function validate<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const param = issue.path.map(String).join(".") || undefined;
  const missing = issue.code === "invalid_type" && /received undefined/.test(issue.message);
  const message = missing ? `Missing required parameter: '${param}'.` : `Invalid value for '${param ?? "body"}': ${issue.message}`;
  throw badRequest(missing ? "missing_required_parameter" : "invalid_value", message, param);
}
