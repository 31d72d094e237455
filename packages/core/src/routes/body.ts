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
  let text: string;
  try {
    text = raw.toString("utf8");
    value = JSON.parse(text);
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
  const source: BodySource = { bytes: raw, members: { ...body }, written: topLevelMembers(text), passthrough: true };
  Object.defineProperty(body, SOURCE, { value: source });
  return body;
}

/**
 * The bytes a JSON body was parsed from, its top-level members as they were then (what a change is seen by), and
 * how many members its text has as written (more than `members` when a key is repeated). Counted here, from the
 * text decoded for parsing anyway: not the text itself, which kept for the request's life was copied by every
 * young-generation collection it lived through, nor decoded again when needed, which for a 100 KB body allocated
 * as much again.
 */
export interface BodySource {
  bytes: Buffer;
  members: Readonly<Record<string, unknown>>;
  written: number;
  /** Whether a provider may be sent the bytes at all (`encodeForProvider`). */
  passthrough: boolean;
}

// A property of the body that no spread, key listing or JSON encoding sees (a symbol, not enumerable), so no copy
// of a body carries it along by mistake. Not a WeakMap from body to source: the young-generation collector keeps
// a WeakMap's values alive while it cannot yet tell whether their keys died, and every request's body outlived
// two collections, was promoted, and full collections came 9 times as often (100 KB bodies).
const SOURCE = Symbol("interference.bodySource");

/**
 * Where `body` was parsed from, if it came from readJsonBody. A copy has none (the routing choice's copy of a body
 * without its `provider`, say), so it is always encoded: its bytes would carry what the copy left out.
 */
export const sourceOf = (body: object): BodySource | undefined => (body as { [SOURCE]?: BodySource })[SOURCE];

/**
 * The body goes to a provider encoded from what the gateway parsed, never as its bytes: where an answer is kept
 * under a key made from the parsed body (the response cache), the provider must read exactly that, and a key
 * repeated inside a nested object could read otherwise to a parser that takes the first.
 */
export function encodeForProvider(body: object): void {
  const source = sourceOf(body);
  if (source) source.passthrough = false;
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

const STRUCTURE = /["{}[\],]/g;

/**
 * How many members the top-level object in `text` has, counted as written (a repeated key counts each time). `text`
 * is known to parse as one object. Strings are skipped whole, so quotes, commas and brackets inside them are text.
 */
export function topLevelMembers(text: string): number {
  let depth = 0;
  let commas = 0;
  let empty = true;
  STRUCTURE.lastIndex = 0;
  for (let m = STRUCTURE.exec(text); m; m = STRUCTURE.exec(text)) {
    const at = m.index;
    switch (text.charCodeAt(at)) {
      case 0x22: // a string: on to its closing quote, one not escaped by an odd run of backslashes
        if (depth === 1) empty = false;
        STRUCTURE.lastIndex = stringEnd(text, at) + 1;
        break;
      case 0x7b: // {
      case 0x5b: // [
        depth++;
        break;
      case 0x7d: // }
      case 0x5d: // ]
        if (--depth === 0) return empty ? 0 : commas + 1;
        break;
      default: // ,
        if (depth === 1) commas++;
    }
  }
  return -1; // not reached for text that parsed as an object
}

/** The index of the quote that ends the string opening at `open`. */
function stringEnd(text: string, open: number): number {
  let at = text.indexOf('"', open + 1);
  for (;;) {
    if (at === -1) return text.length; // unterminated: the count comes out wrong and the bytes are not used
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return at;
    at = text.indexOf('"', at + 1);
  }
}
