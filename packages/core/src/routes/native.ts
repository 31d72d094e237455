/**
 * Native passthrough: a provider that speaks the API the client called gets the request as it came (the model id
 * and credentials aside); the others get it translated into the canonical model. One plan may hold both kinds, in
 * the client's order.
 */
import { GatewayError, badRequest } from "../errors.js";
import type { NativeApiName } from "../adapters/types.js";
import type { AuthContext } from "../auth/types.js";
import { scopeOf } from "../auth/scope.js";
import type { CanonicalRequest } from "../canonical/types.js";
import { requestedParams, withoutParams, type CanonicalParam } from "../canonical/params.js";
import type { ProviderRegistry, ProviderRuntime } from "../routing/registry.js";
import { planRoute, type Candidate, type RoutePlan } from "../routing/router.js";
import type { RoutingPolicy } from "../routing/policy.js";
import { estimatePromptTokens } from "../routing/context-window.js";

const NATIVE_NAMES: Record<NativeApiName, string> = { chat: "Chat Completions", messages: "Messages", responses: "Responses", completions: "Completions" };

/** Whether a provider serves `api` itself. */
export const speaks = (api: NativeApiName) => (runtime: ProviderRuntime) => runtime.adapter.native?.[api] !== undefined;

/** The client's body for a native provider: the gateway's own fields out, the provider's model id in. */
export function nativeBody(raw: Record<string, unknown>, model: string, stream?: boolean): Record<string, unknown> {
  const { drop_params: _d, ...rest } = raw;
  return stream === undefined ? { ...rest, model } : { ...rest, model, stream };
}

/** What planning needs to know of a public API's translation. */
export interface ApiTranslation {
  api: NativeApiName;
  /** The request fields its decoder carries into the canonical model; any other is served natively only. */
  translatedFields: ReadonlySet<string>;
  /** The API's own name for a canonical setting, as the request spelled it. */
  paramName(param: CanonicalParam, raw: Record<string, unknown>): string;
  /** Settings that are hints in this API: a provider without them answers without them (Messages' `thinking`). */
  hints?: ReadonlySet<CanonicalParam>;
}

/**
 * Plans a route over native and translating providers. `translate` decodes the request for the translating ones;
 * when it cannot (a built-in tool, an item type, a field the gateway does not model, all named in its 400), the
 * request still goes to the native providers, and to translating ones whose config sets drop_params, decoded with
 * `lenient` (what they cannot run left out); the others are skipped, saying why.
 */
export function planMixed(
  registry: ProviderRegistry,
  raw: Record<string, unknown>,
  policy: RoutingPolicy,
  auth: AuthContext,
  spec: ApiTranslation,
  translate: (lenient: boolean) => CanonicalRequest,
  /** The prompt's size in tokens, for context windows (default: estimated from the body). */
  estimate: () => number = () => estimatePromptTokens(raw),
  /** A response cache hit's plan (cache/hit.ts): the cache serves, translating, so the request is decoded. */
  cached?: RoutePlan | null,
): { plan: RoutePlan; canonical: CanonicalRequest | null; promptTokens: () => number } {
  const native = speaks(spec.api);
  // Estimated at most once, for the context windows here and the budget reservation after: walking a 100 KB prompt
  // twice cost as much as the rest of the routing.
  let tokens: number | undefined;
  const promptTokens = () => (tokens ??= estimate());
  if (cached) return { plan: cached, canonical: decodedOrEmpty(translate), promptTokens };
  const bare = { model: raw.model as string | undefined, policy, promptTokens };
  // When every candidate speaks the API, nothing is translated: decoding Claude Code's 100 KB requests took 28 µs
  // each, for nothing, on the path meant to cost least. (A native provider takes every parameter, so
  // require_parameters never excludes one.)
  const nativeOnly = planRoute(registry, bare, "chat", scopeOf(auth), native);
  if (nativeOnly.candidates.every((c) => native(c.runtime))) return { plan: nativeOnly, canonical: null, promptTokens };
  let canonical: CanonicalRequest | null = null;
  let problem: GatewayError | null = null;
  try {
    canonical = translate(false);
    const unknown = raw.drop_params ? [] : Object.keys(raw).filter((k) => !spec.translatedFields.has(k) && raw[k] != null);
    if (unknown.length) {
      problem = badRequest(
        "unsupported_parameter",
        `Parameter '${unknown[0]}' is not supported by the selected provider(s) without native ${NATIVE_NAMES[spec.api]} support. Set "drop_params": true to drop unsupported parameters.`,
        unknown[0],
      );
    }
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err;
    problem = err;
  }
  let lenient: CanonicalRequest | null = canonical;
  if (problem && !lenient) {
    try {
      lenient = translate(true);
    } catch (err) {
      if (!(err instanceof GatewayError)) throw err;
    }
  }
  const params = lenient ? requestedParams(lenient).filter((p) => !spec.hints?.has(p)) : [];
  const plan = planRoute(
    registry,
    { ...bare, drop_params: raw.drop_params === true, params, paramName: (p) => spec.paramName(p as CanonicalParam, raw) },
    "chat",
    scopeOf(auth),
    native,
  );
  if (problem) {
    const keeps = (runtime: ProviderRuntime) => native(runtime) || (lenient !== null && runtime.config.drop_params);
    const kept = plan.candidates.filter((c) => keeps(c.runtime));
    if (!kept.length) throw problem;
    for (const c of plan.candidates) {
      if (!keeps(c.runtime)) plan.attempts.push({ provider: c.runtime.config.id, outcome: "skipped", reason: problem.message, planned: true });
    }
    plan.candidates = kept;
    canonical = lenient;
  }
  return { plan, canonical, promptTokens };
}

/** The request decoded (leniently if need be) for a cache hit, which reads nothing of it but the stream flag. */
function decodedOrEmpty(translate: (lenient: boolean) => CanonicalRequest): CanonicalRequest {
  for (const lenient of [false, true]) {
    try {
      return translate(lenient);
    } catch (err) {
      if (!(err instanceof GatewayError)) throw err;
    }
  }
  return { system: [], messages: [], tools: [], stream: false };
}

/** The canonical request as `candidate` gets it: the settings it does not support dropped (drop_params). */
export function canonicalFor(req: CanonicalRequest, candidate: Candidate): CanonicalRequest {
  return withoutParams(req, candidate.dropped as CanonicalParam[]);
}
