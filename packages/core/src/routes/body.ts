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
  const body = value as Record<string, unknown>;
  Object.defineProperty(body, SOURCE, { value: { bytes: raw, members: { ...body } } satisfies BodySource });
  return body;
}

/**
 * The bytes a JSON body was parsed from, and its top-level members as they were then (what a change is seen by).
 * Not the decoded text: a big body's text kept for the request's life was copied by every young-generation
 * collection it lived through, and cost more than decoding it again when needed.
 */
export interface BodySource {
  bytes: Buffer;
  members: Readonly<Record<string, unknown>>;
}

// A property of the body that no spread, key listing or JSON encoding sees (a symbol, not enumerable), so no copy
// of a body carries it along by mistake. Not a WeakMap from body to source: the young-generation collector keeps
// a WeakMap's values alive while it cannot yet tell whether their keys died, and every request's body outlived
// two collections, was promoted, and made full collections come 10 times as often (100 KB bodies).
const SOURCE = Symbol("interference.bodySource");

/** Where `body` was parsed from, if it came from readJsonBody (or was handed its source with `carrySource`). */
export const sourceOf = (body: object): BodySource | undefined => (body as { [SOURCE]?: BodySource })[SOURCE];

/** `to`, a copy of `from` less some members, keeps `from`'s source: what it lacks shows against the source's members. */
export function carrySource(from: object, to: object): void {
  const source = sourceOf(from);
  if (source && to !== from) Object.defineProperty(to, SOURCE, { value: source });
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
