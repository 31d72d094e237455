/**
 * The client's routing policy: which providers may serve a request, in what order, and what they must offer.
 * `provider` is either gpt4free's string ("A B": these, in this order) or OpenRouter's provider object, so clients
 * written for either work unchanged; `models` is OpenRouter's list of fallback models. Decoded once at the edge
 * (body, header, path or query) and stripped from the body, so no provider ever sees the gateway's own fields.
 */
import { z } from "zod";
import { badRequest } from "../errors.js";
import { STREAM_RECOVERY, type StreamRecovery } from "../config/schema.js";

export const SORTS = ["price", "latency", "throughput"] as const;
export type SortName = (typeof SORTS)[number];

export interface RoutingPolicy {
  /** Providers tried first, in this order. */
  order: string[];
  /** Only these may serve (null: any). */
  only: string[] | null;
  ignore: string[];
  /** After `order` (or after the first choice, when no order is given), whether any other provider may serve. */
  allowFallbacks: boolean;
  /** Ranks the providers not in `order`, over the configured strategy. */
  sort: SortName | null;
  /** Skip providers that do not take every parameter sent, even where drop_params would drop it. */
  requireParameters: boolean;
  /** USD per million tokens; a provider without a price for the model is left out when set. */
  maxPrice: { prompt?: number; completion?: number } | null;
  /** "deny": only providers labelled `data_collection: deny` in config. */
  dataCollection: "allow" | "deny" | null;
  /** Models to try, in order, once every provider of the one before failed (OpenRouter's `models`). */
  fallbackModels: string[];
  /** The request's `stream_recovery`: whether a stream cut after content is continued by another provider. */
  streamRecovery: StreamRecovery | null;
  /** The choice as the client sent it, for the log (the string, or the object as JSON). */
  source: string | null;
}

export const NO_POLICY: RoutingPolicy = Object.freeze({
  order: [],
  only: null,
  ignore: [],
  allowFallbacks: true,
  sort: null,
  requireParameters: false,
  maxPrice: null,
  dataCollection: null,
  fallbackModels: [],
  streamRecovery: null,
  source: null,
}) as RoutingPolicy;

const ids = z.array(z.string().min(1).max(64)).max(64);
const providerObject = z.strictObject({
  order: ids.optional(),
  only: ids.optional(),
  ignore: ids.optional(),
  allow_fallbacks: z.boolean().optional(),
  sort: z.enum(SORTS).optional(),
  require_parameters: z.boolean().optional(),
  max_price: z.strictObject({ prompt: z.number().min(0).optional(), completion: z.number().min(0).optional() }).optional(),
  data_collection: z.enum(["allow", "deny"]).optional(),
});
const PROVIDER_FIELDS = Object.keys(providerObject.shape);
const modelList = z.array(z.string().min(1).max(256)).min(1).max(16);

/** Splits the string form ("A B  C") into ordered, de-duplicated ids. */
export function parseProviderField(field: string | undefined): string[] {
  if (!field) return [];
  return [...new Set(field.split(/\s+/).filter(Boolean))];
}

/**
 * The `provider` value as a policy. `param` names where it came from in the 400 ("provider", or the header's
 * name). The string form keeps its meaning exactly: only the named providers, tried in the order written.
 */
export function decodeProviderChoice(value: unknown, param = "provider"): RoutingPolicy {
  if (value === undefined || value === null || value === "") return NO_POLICY;
  if (typeof value === "string") {
    const order = parseProviderField(value);
    return order.length ? { ...NO_POLICY, order, only: order, source: value } : NO_POLICY;
  }
  if (typeof value !== "object" || Array.isArray(value)) {
    throw badRequest(
      "invalid_value",
      `Invalid value for '${param}': a provider id, ids separated by spaces, or an object (${PROVIDER_FIELDS.join(", ")}).`,
      param,
    );
  }
  const parsed = providerObject.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === "unrecognized_keys") {
      const field = [param, ...issue.path.map(String), issue.keys[0]].join(".");
      const known = issue.path.length ? "prompt, completion" : PROVIDER_FIELDS.join(", ");
      throw badRequest("unknown_parameter", `Unknown field '${field}' in the provider object (known: ${known}).`, field);
    }
    const field = [param, ...issue.path.map(String)].join(".");
    throw badRequest("invalid_value", `Invalid value for '${field}': ${issue.message}`, field);
  }
  const p = parsed.data;
  return {
    order: [...new Set(p.order ?? [])],
    only: p.only ? [...new Set(p.only)] : null,
    ignore: p.ignore ?? [],
    allowFallbacks: p.allow_fallbacks ?? true,
    sort: p.sort ?? null,
    requireParameters: p.require_parameters ?? false,
    maxPrice: p.max_price ?? null,
    dataCollection: p.data_collection ?? null,
    fallbackModels: [],
    streamRecovery: null,
    source: JSON.stringify(value),
  };
}

/** A header's value: JSON when it is an object, else the string form. */
function fromHeader(value: string, name: string): RoutingPolicy {
  const text = value.trim();
  if (!text.startsWith("{")) return decodeProviderChoice(text, name);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw badRequest("invalid_value", `Invalid value for header '${name}': not valid JSON (${(err as Error).message}).`, name);
  }
  return decodeProviderChoice(parsed, name);
}

export const PROVIDER_HEADER = "x-interference-provider";

/** Where a request's choice may come from besides its body: the header, the path (/api/{provider}/…), the query. */
export interface ChoiceSources {
  header?: string;
  path?: string;
  query?: string | null;
}

function decodeStreamRecovery(value: unknown): StreamRecovery | null {
  if (value === undefined || value === null) return null;
  if (STREAM_RECOVERY.includes(value as StreamRecovery)) return value as StreamRecovery;
  throw badRequest("invalid_value", `Invalid value for 'stream_recovery': "continue" or "off".`, "stream_recovery");
}

/**
 * The routing policy of a JSON request, and its body without the gateway's fields (`provider`, `models`,
 * `stream_recovery`). The body wins over the header, the header over the path, the path over the query. With
 * `models` and no `model`, the first of `models` is the model asked for.
 */
export function takeRoutingChoice(body: Record<string, unknown>, from: ChoiceSources): { body: Record<string, unknown>; policy: RoutingPolicy } {
  const { provider, models, stream_recovery, ...rest } = body;
  let policy: RoutingPolicy;
  if (provider !== undefined && provider !== null) policy = decodeProviderChoice(provider);
  else if (from.header !== undefined) policy = fromHeader(from.header, PROVIDER_HEADER);
  else policy = decodeProviderChoice(from.path ?? from.query ?? undefined);
  if (stream_recovery !== undefined) policy = { ...policy, streamRecovery: decodeStreamRecovery(stream_recovery) };
  if (models === undefined || models === null) return { body: "provider" in body || "stream_recovery" in body ? rest : body, policy };
  const list = modelList.safeParse(models);
  if (!list.success) throw badRequest("invalid_value", "Invalid value for 'models': a list of 1 to 16 model ids.", "models");
  const wanted = [...new Set(typeof rest.model === "string" && rest.model ? [rest.model, ...list.data] : list.data)];
  return { body: { ...rest, model: wanted[0] }, policy: { ...policy, fallbackModels: wanted.slice(1) } };
}
