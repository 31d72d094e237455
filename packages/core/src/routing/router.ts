/**
 * Picks the providers that may serve a request, in order, and tries them one after another until one succeeds.
 * Every decision (skipped, failed, served) is kept as an Attempt for the response's error message and the log.
 */
import { GatewayError, UpstreamError, badRequest, notFound } from "../errors.js";
import type { ModelEntry, Timeouts } from "../config/schema.js";
import type { CallContext } from "../adapters/types.js";
import { DEFAULT_TIMEOUTS } from "../upstream/client.js";
import { defaultModel, findModel, type ProviderRegistry, type ProviderRuntime } from "./registry.js";
import { Deadline, deadlineMessage } from "./deadline.js";
import { classify, type FailureClass } from "./failure.js";
import { defaultModelFor, UNSCOPED, type KeyScope } from "../auth/scope.js";
import { NO_POLICY, type RoutingPolicy } from "./policy.js";
import { rank, type Rankable, type RankBy } from "./strategy.js";
import { fallbackFor, strategyFor } from "./settings.js";
import { priceFor } from "../spend/price.js";
import type { Continuation } from "../canonical/continuation.js";

export type Capability = "chat" | "images" | "embeddings" | "audio";

const MODELS_OF = { chat: "models", images: "image_models", embeddings: "embedding_models", audio: "audio_models" } as const;
const KIND_WORDS = { chat: "chat", images: "image", embeddings: "embedding", audio: "audio" } as const;

export interface Attempt {
  provider: string;
  outcome: "served" | "failed" | "skipped";
  reason?: string;
  status?: number;
  /** For a failed attempt: what kind of failure it was (routing/failure.ts). */
  failure?: FailureClass;
  latency_ms?: number;
  /** When the attempt started (epoch ms): where its trace span begins. */
  started_at_ms?: number;
  /** Why the router put this provider where it did ("latency: 21 ms, 1st of 3"). */
  chosen?: string;
  /** The configured fallback (`routing.fallback`), tried once every other candidate failed. */
  fallback?: boolean;
  /** Passed over while the route was planned, before any provider was tried (not a place in the tried chain). */
  planned?: boolean;
  /** This failure made the router leave the provider for the next candidate (a failover, not a retry). */
  moved_on?: boolean;
}

export interface Candidate {
  runtime: ProviderRuntime;
  model: ModelEntry;
  /** Parameters removed from the request for this provider (drop_params). */
  dropped: string[];
  /** Why it is where it is in the plan, for the log and the attempts header. */
  why?: string;
  /** The chain's last resort (`routing.fallback`), tried once every other candidate failed. */
  fallback?: boolean;
}

/** How the router ordered one model's providers: what the log keeps of the decision. */
export interface ModelDecision {
  model: string | null;
  /** The strategy or sort that ranked the providers not in the client's order. */
  strategy: RankBy;
  /** The providers the client ordered first (policy `order`, or the string form). */
  order: string[];
  scores: Record<string, number | null>;
  explored: string | null;
}

export interface RoutingDecision {
  models: ModelDecision[];
  /** The policy as the client sent it. */
  policy: string | null;
  fallback: string | null;
  /** The prompt's estimated size, when a context window was checked. */
  prompt_tokens?: number;
  /** A stream that broke after content and was continued: by whom, and where each took over (answer continuity). */
  continued?: Continuation;
}

export interface RoutePlan {
  candidates: Candidate[];
  /** Providers passed over while planning, with why. */
  attempts: Attempt[];
  decision?: RoutingDecision;
  /** The prompt's estimated tokens, when a candidate had a context window to check it against. */
  promptTokens?: number;
}

/** What planning needs of a request: the model, the client's routing policy, and the settings to check. */
export interface RouteRequest {
  model?: string;
  policy?: RoutingPolicy;
  drop_params?: boolean;
  /** The settings a provider must honour to serve it: canonical names for chat, the request's fields for images. */
  params?: readonly string[];
  /** The client's own name for a setting, for the 400 that refuses it (default: the name itself). */
  paramName?: (param: string) => string;
  /** The prompt's size in tokens (routing/context-window.ts): read only when a candidate has a context window. */
  promptTokens?: () => number;
}

/** A request body's fields that carry a value, `skip` (the ones every provider takes) left out. */
export function fieldsWithValues(body: Record<string, unknown>, skip: ReadonlySet<string>): string[] {
  return Object.keys(body).filter((k) => !skip.has(k) && body[k] !== undefined && body[k] !== null);
}

/** Whether any provider, enabled or not, is set up to serve `capability` (else the route says how to add one). */
function servesAny(registry: ProviderRegistry, capability: Capability): boolean {
  return registry.list().some((p) => p.config[MODELS_OF[capability]].length > 0 && p.adapter[capability] !== undefined);
}

/** A 503 saying how to add one (`howToAdd`) when no provider is set up for `capability`. */
export function requireProviderFor(registry: ProviderRegistry, capability: Capability, code: string, howToAdd: string): void {
  if (!servesAny(registry, capability)) throw new GatewayError(503, "service_unavailable", code, howToAdd);
}

const ORDINALS = ["1st", "2nd", "3rd"];
const ordinal = (i: number) => ORDINALS[i] ?? `${i + 1}th`;

/** A score as the log and the attempts header show it, in the strategy's own unit. */
function scoreText(by: RankBy, score: number | null | undefined): string {
  if (score === null || score === undefined) return by === "priority" ? "" : "not measured yet";
  switch (by) {
    case "latency":
      return `${Math.round(score)} ms to first token`;
    case "least-busy":
      return `${score} in flight`;
    case "price":
      return `$${score}/M tokens`;
    case "throughput":
      return `${Math.round(score)} tokens/s`;
    case "weighted":
      return `weight ${score}`;
    default:
      return "";
  }
}

/**
 * The candidates for a request, in order: those of its model, then those of each fallback model (`models`), then
 * the configured fallback provider. The API key's scope is applied here, to every candidate, so no attempt the
 * router makes (failover included) can reach a provider or a model the key may not use.
 */
/** Names as a message lists them: the first few, then how many more (a request may send thousands of fields). */
export function namesOf(names: readonly string[], shown = 5): string {
  const listed = names.slice(0, shown).map((n) => (n.length > 64 ? `${n.slice(0, 64)}…` : n));
  return names.length > shown ? `${listed.join(", ")} and ${names.length - shown} more` : listed.join(", ");
}

export function planRoute(
  registry: ProviderRegistry,
  body: RouteRequest,
  capability: Capability,
  scope: KeyScope = UNSCOPED,
  /** Providers the request reaches natively (passthrough): every parameter goes through, so none is checked. */
  native?: (runtime: ProviderRuntime) => boolean,
): RoutePlan {
  const policy = body.policy ?? NO_POLICY;
  const named = [...new Set([...policy.order, ...(policy.only ?? []), ...policy.ignore])];
  const unknown = named.filter((id) => !registry.get(id));
  if (unknown.length) {
    throw notFound("provider_not_found", `Unknown provider${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}. GET /v1/providers lists the available ids.`);
  }
  if (!registry.list().length) {
    throw new GatewayError(503, "service_unavailable", "no_providers", "No providers are configured: add one to interference.yaml (see the README).");
  }
  const plan: RoutePlan = { candidates: [], attempts: [] };
  const decision: RoutingDecision = { models: [], policy: policy.source, fallback: null };
  let prompt: number | undefined;
  const promptTokens = () => (prompt ??= body.promptTokens?.() ?? 0);
  const models = [body.model, ...policy.fallbackModels];
  let firstRefusal: unknown = null;
  for (const model of models) {
    try {
      const group = planModel(registry, { ...body, model }, capability, scope, native, policy, plan.attempts, promptTokens);
      plan.candidates.push(...group.candidates);
      decision.models.push(group.decision);
    } catch (err) {
      // A fallback model that cannot be served is noted; the first model's refusal answers if none can.
      if (!(err instanceof GatewayError) || models.length === 1) throw err;
      firstRefusal ??= err;
      if (model !== body.model) plan.attempts.push({ provider: "*", outcome: "skipped", reason: `fallback model ${model}: ${err.message}`, planned: true });
    }
  }
  if (!plan.candidates.length) throw firstRefusal;
  const fallback = fallbackFor(registry.routing, body.model);
  if (fallback && policy.allowFallbacks && (capability === "chat" || capability === "embeddings")) {
    const last = fallbackCandidate(registry.get(fallback), capability, scope, plan.candidates);
    if (last) {
      plan.candidates.push(last);
      decision.fallback = fallback;
    }
  }
  if (prompt !== undefined) {
    plan.promptTokens = prompt;
    decision.prompt_tokens = prompt;
  }
  plan.decision = decision;
  return plan;
}

/** `routing.fallback` as the chain's last candidate: enabled, in scope, serving the capability, not already in it. */
function fallbackCandidate(runtime: ProviderRuntime | undefined, capability: Capability, scope: KeyScope, chain: Candidate[]): Candidate | null {
  if (!runtime || !runtime.config.enabled || !scope.provider(runtime.config.id) || !runtime.adapter[capability]) return null;
  if (chain.some((c) => c.runtime === runtime)) return null;
  const model = scope.modelsLimited ? defaultModelFor(runtime.config[MODELS_OF[capability]], scope) : defaultModel(runtime.config[MODELS_OF[capability]]);
  if (!model || !scope.model(model.id)) return null;
  // A last resort answers without the settings it lacks rather than not at all.
  return { runtime, model, dropped: [], why: "fallback: every other provider failed", fallback: true };
}

/** One model's candidates, filtered by the key's scope and the client's policy, then ordered. */
function planModel(
  registry: ProviderRegistry,
  body: RouteRequest,
  capability: Capability,
  scope: KeyScope,
  native: ((runtime: ProviderRuntime) => boolean) | undefined,
  policy: RoutingPolicy,
  attempts: Attempt[],
  promptTokens: () => number,
): { candidates: Candidate[]; decision: ModelDecision } {
  const requested = policy.only ?? policy.order;
  let pool = policy.only ? policy.only.map((id) => registry.get(id)!) : registry.list();
  if (policy.ignore.length) pool = pool.filter((p) => !policy.ignore.includes(p.config.id));

  const params = body.params ?? [];
  const nameOf = body.paramName ?? ((p: string) => p);
  const candidates: Candidate[] = [];
  let disabledServing = 0;
  let notReady = 0;
  let unsupportedParam: string | undefined;
  let providerDenied = 0;
  let modelDenied = 0;
  let policyRefused = 0;
  let tooSmall = 0;
  let largestWindow = 0;

  for (const runtime of pool) {
    const { config, adapter } = runtime;
    const cap = adapter[capability];
    const models = config[MODELS_OF[capability]];
    // Providers that do not serve the model are noted only when the client named them: otherwise it is noise.
    const skip = (reason: string, always = true) =>
      (always || requested.includes(config.id)) && attempts.push({ provider: config.id, outcome: "skipped", reason, planned: true });
    // Out of the key's scope: never tried, and named back only to a client that named it.
    if (!scope.provider(config.id)) {
      providerDenied++;
      skip("not allowed for this API key", false);
      continue;
    }
    const served = body.model ? findModel(models, body.model) : defaultModel(models);
    const model = body.model || !scope.modelsLimited ? served : defaultModelFor(models, scope);
    if (served && (!model || !scope.model(model.id))) {
      modelDenied++;
      skip(`model ${served.id} is not allowed for this API key`, false);
      continue;
    }
    const speaksNatively = native?.(runtime) === true;
    if ((!cap && !speaksNatively) || !model) {
      skip(body.model ? `does not serve model ${body.model}` : `serves no ${KIND_WORDS[capability]} model`, false);
      continue;
    }
    if (!config.enabled) {
      disabledServing++;
      skip("disabled");
      continue;
    }
    // A capability with readiness of its own (a second model file) answers for itself; one still loading is
    // kept: the call waits for it, bounded by its queue timeout.
    const readiness: { ready?(): boolean; notReadyReason?(): string | null; loading?(): boolean } = cap && "ready" in cap && cap.ready ? cap : adapter;
    if (readiness.ready && !readiness.ready() && !readiness.loading?.()) {
      notReady++;
      skip(`not ready${readiness.notReadyReason?.() ? `: ${readiness.notReadyReason()}` : ""}`);
      continue;
    }
    // A provider that speaks the API natively gets every parameter as sent: none is checked.
    const unsupported = speaksNatively ? [] : params.filter((p) => !(cap!.params as ReadonlySet<string>).has(p));
    if (unsupported.length && (policy.requireParameters || !(body.drop_params || config.drop_params))) {
      unsupportedParam ??= nameOf(unsupported[0]!);
      skip(
        `does not support parameter${unsupported.length > 1 ? "s" : ""} ${namesOf(unsupported.map(nameOf))}${policy.requireParameters ? " (require_parameters)" : ""}`,
      );
      continue;
    }
    const refusal = policyRefusal(policy, runtime, model);
    if (refusal) {
      policyRefused++;
      skip(refusal);
      continue;
    }
    if (model.context_window !== undefined) {
      largestWindow = Math.max(largestWindow, model.context_window);
      if (promptTokens() > model.context_window) {
        tooSmall++;
        skip(`the prompt (about ${promptTokens()} tokens) is larger than model ${model.id}'s context window of ${model.context_window}`);
        continue;
      }
    }
    candidates.push({ runtime, model, dropped: unsupported });
  }

  if (!candidates.length) {
    const chain = attempts.map((a) => `${a.provider}: ${a.reason}`).join("; ");
    const detail = chain ? ` (${chain})` : "";
    if (modelDenied) {
      throw new GatewayError(
        403,
        "permission_error",
        "model_not_allowed",
        `This API key may not use model '${body.model ?? "(the providers' default)"}'${detail}.`,
        { param: "model" },
      );
    }
    if (providerDenied && !policyRefused && !tooSmall) {
      throw new GatewayError(403, "permission_error", "provider_not_allowed", `This API key may not use the selected provider(s)${detail}.`);
    }
    if (tooSmall && !policyRefused) throw contextTooLong(promptTokens(), largestWindow, detail);
    if (unsupportedParam) {
      throw new GatewayError(
        400,
        "invalid_request_error",
        "unsupported_parameter",
        `Parameter '${unsupportedParam}' is not supported by the selected provider(s)${detail}.${policy.requireParameters ? "" : ' Set "drop_params": true to drop unsupported parameters.'}`,
        { param: unsupportedParam },
      );
    }
    if (policyRefused) {
      // OpenRouter answers a policy nothing meets with a 404: the same here, so its clients read it the same way.
      throw new GatewayError(404, "invalid_request_error", "no_provider_matches_policy", `No provider for this request meets its routing policy${detail}.`, {
        param: "provider",
      });
    }
    if (notReady) {
      throw new GatewayError(503, "service_unavailable", "provider_not_ready", `The providers that serve this request are not ready${detail}.`, {
        headers: { "retry-after": "5" },
      });
    }
    if (disabledServing) {
      throw new GatewayError(503, "service_unavailable", "provider_disabled", `Every provider that serves this request is disabled${detail}.`);
    }
    if (!body.model) throw badRequest("model_required", 'No provider has a default model: set "model".', "model");
    // As the vendors answer an unknown model, so the SDKs raise their NotFoundError.
    throw new GatewayError(
      404,
      "invalid_request_error",
      "model_not_found",
      `The model '${body.model}' does not exist or no ${requested.length ? "selected" : "enabled"} provider serves it${detail}.`,
      { param: "model" },
    );
  }
  return orderCandidates(registry, candidates, body.model, policy, attempts);
}

/** Why the client's policy leaves this provider out (data collection, price), or null. */
function policyRefusal(policy: RoutingPolicy, runtime: ProviderRuntime, model: ModelEntry): string | null {
  if (policy.dataCollection === "deny" && runtime.config.data_collection !== "deny") return "may collect data (data_collection: deny asked)";
  const max = policy.maxPrice;
  if (!max) return null;
  const price = priceFor(runtime.config, model);
  if (!price) return `no price known for model ${model.upstream} (max_price set)`;
  if (max.prompt !== undefined && price.input > max.prompt) return `prompt price $${price.input}/M is above max_price.prompt $${max.prompt}/M`;
  if (max.completion !== undefined && price.output > max.completion) {
    return `completion price $${price.output}/M is above max_price.completion $${max.completion}/M`;
  }
  return null;
}

/**
 * The client's `order` first, as written; then the others ranked by the client's `sort` or the model's strategy.
 * Without fallbacks, the client's order alone is kept (or the first choice, when it gave none).
 */
function orderCandidates(
  registry: ProviderRegistry,
  candidates: Candidate[],
  model: string | undefined,
  policy: RoutingPolicy,
  attempts: Attempt[],
): { candidates: Candidate[]; decision: ModelDecision } {
  const ordered = policy.order.map((id) => candidates.find((c) => c.runtime.config.id === id)).filter((c): c is Candidate => c !== undefined);
  const rest = candidates.filter((c) => !ordered.includes(c));
  const by: RankBy = policy.sort ?? strategyFor(registry.routing, model);
  const ranking =
    rest.length > 1
      ? rank(rest, by, (c) => rankable(c))
      : { ordered: rest, scores: Object.fromEntries(rest.map((c) => [c.runtime.config.id, null])), explored: null };
  ordered.forEach((c, i) => (c.why = `client's order, ${ordinal(i)}`));
  if (ranking.ordered.length === 1) ranking.ordered[0]!.why = `${policy.sort ? `sort ${by}` : by}, the only candidate`;
  else
    ranking.ordered.forEach((c, i) => {
      const id = c.runtime.config.id;
      const score = scoreText(by, ranking.scores[id]);
      const place = `${ordinal(i)} of ${ranking.ordered.length}`;
      c.why = `${policy.sort ? `sort ${by}` : by}${score ? `: ${score}` : ""}, ${place}${ranking.explored === id ? " (exploring)" : ""}`;
    });
  let chain = [...ordered, ...ranking.ordered];
  if (!policy.allowFallbacks) {
    const keep = ordered.length ? ordered : chain.slice(0, 1);
    for (const c of chain) {
      if (!keep.includes(c)) attempts.push({ provider: c.runtime.config.id, outcome: "skipped", reason: "allow_fallbacks is false", planned: true });
    }
    chain = keep;
  }
  return {
    candidates: chain,
    decision: { model: model ?? null, strategy: by, order: ordered.map((c) => c.runtime.config.id), scores: ranking.scores, explored: ranking.explored },
  };
}

/** What a strategy reads of a candidate: its measured figures and its price for this model. */
function rankable(c: Candidate): Rankable {
  const { stats } = c.runtime.health;
  const price = priceFor(c.runtime.config, c.model);
  return {
    id: c.runtime.config.id,
    weight: c.runtime.config.weight,
    inFlight: stats.inFlight,
    ttftMs: stats.ttft.value,
    tokensPerSecond: stats.throughput.value,
    price: price ? Math.round((price.input + price.output) * 1e6) / 1e6 : null,
  };
}

/** The prompt fits no candidate's window: a 400 naming both sizes. */
export function contextTooLong(promptTokens: number, largestWindow: number, detail = ""): GatewayError {
  return new GatewayError(
    400,
    "invalid_request_error",
    "context_length_exceeded",
    `The prompt (about ${promptTokens} tokens) is larger than the context window of every provider that serves this model (the largest is ${largestWindow} tokens)${detail}.`,
    { param: "messages" },
  );
}

/** An image request with the candidate's dropped parameters removed (a shallow copy only when needed). */
export function requestFor<T extends Record<string, unknown>>(body: T, candidate: Candidate): T {
  if (!candidate.dropped.length) return body;
  const copy: Record<string, unknown> = { ...body };
  for (const p of candidate.dropped) delete copy[p];
  return copy as T;
}

export interface FailoverOptions {
  signal: AbortSignal;
  timeouts: Timeouts;
}

/**
 * Calls `call` for each candidate in order until one succeeds. Failures that another provider might not have
 * (connection, timeout, 5xx, 429, auth, unknown model) move on; others answer the client directly.
 */
/** A wait before retrying on the same provider ("full jitter"), or null when the provider's own wait is too long. */
export function retryDelay(err: UpstreamError, attempt: number, retries: Candidate["runtime"]["config"]["retries"]): number | null {
  const ceiling = Math.min(retries.max_ms, retries.base_ms * 2 ** attempt);
  const jitter = Math.random() * ceiling;
  if (err.retryAfterMs === undefined) return jitter;
  // Honour Retry-After, but a provider asking for a longer wait than we would ever back off is failed over instead.
  return err.retryAfterMs <= retries.max_ms ? Math.max(err.retryAfterMs, jitter) : null;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Calls `call` for each candidate in order until one succeeds (call `release()` once its response is over: it ends
 * the attempt's own deadline). Each provider gets its retries (with backoff,
 * honouring Retry-After) for failures a second try may fix; its circuit breaker may skip it altogether. Failures
 * that another provider might not have (connection, timeout, 5xx, 429, auth, unknown model) move on to the next;
 * others answer the client directly.
 */
export async function runWithFailover<T>(
  plan: RoutePlan,
  options: FailoverOptions,
  call: (candidate: Candidate, ctx: CallContext) => Promise<T>,
): Promise<{ result: T; candidate: Candidate; release: () => void }> {
  const rateLimitWaits: Array<number | undefined> = [];
  let circuitOpen = 0;
  /** The largest context window a provider already refused the prompt at: smaller ones are not tried. */
  let refusedWindow: number | null = null;
  for (const candidate of plan.candidates) {
    const { config, health } = candidate.runtime;
    const chosen = candidate.why;
    const window = candidate.model.context_window;
    if (refusedWindow !== null && window !== undefined && window <= refusedWindow) {
      plan.attempts.push({ provider: config.id, outcome: "skipped", reason: `context window ${window} is no larger than one that refused the prompt` });
      continue;
    }
    const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts, ...config.timeouts };
    const ownTotalMs = config.timeouts?.total_ms;
    for (let attempt = 0; ; attempt++) {
      if (!health.breaker.begin()) {
        circuitOpen++;
        plan.attempts.push({ provider: config.id, outcome: "skipped", reason: `circuit open (retry in ${Math.ceil(health.breaker.retryInMs() / 1000)} s)` });
        break;
      }
      // A provider's own total_ms bounds each attempt on it, its stream included; options.signal carries the
      // request's deadline over them all.
      const own = ownTotalMs !== undefined ? new Deadline(options.signal, ownTotalMs, `provider ${config.id}`) : null;
      const ctx: CallContext = { signal: own?.signal ?? options.signal, upstreamModel: candidate.model.upstream, timeouts };
      const started = performance.now();
      const started_at_ms = Date.now();
      // In flight until the answer is over (release), for least-busy routing.
      health.stats.inFlight++;
      try {
        const result = await call(candidate, ctx);
        const latency_ms = Math.round(performance.now() - started);
        health.recordSuccess();
        health.stats.served(latency_ms);
        plan.attempts.push({
          provider: config.id,
          outcome: "served",
          latency_ms,
          started_at_ms,
          ...(chosen ? { chosen } : {}),
          ...(candidate.fallback ? { fallback: true } : {}),
        });
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          health.stats.inFlight--;
          own?.clear();
        };
        return { result, candidate, release };
      } catch (err) {
        health.stats.inFlight--;
        own?.clear();
        // The adapter found the request itself invalid (e.g. content it cannot take): answer as is, no failover.
        if (err instanceof GatewayError) {
          health.breaker.release();
          throw err;
        }
        const latency_ms = Math.round(performance.now() - started);
        // A deadline ended the attempt (the provider's own, or the request's). Adapters may report that as an abort
        // (the local model does): the log's chain says which deadline it was, and the provider's own one fails over.
        const deadline = deadlineMessage(ctx.signal);
        const failure = classify(deadline ? new UpstreamError(deadline, "timeout") : err);
        const upstream = failure.error;
        const delay = attempt < config.retries.max && failure.retry && !options.signal.aborted ? retryDelay(upstream, attempt, config.retries) : null;
        plan.attempts.push({
          provider: config.id,
          outcome: "failed",
          reason: delay !== null ? `${upstream.message} (retrying in ${Math.round(delay)} ms)` : upstream.message,
          status: upstream.status,
          failure: failure.class,
          latency_ms,
          started_at_ms,
          ...(chosen ? { chosen } : {}),
          ...(candidate.fallback ? { fallback: true } : {}),
        });
        // The client left or the request's deadline passed: nothing is tried after this, and the provider is not
        // blamed for the time the whole request had.
        if (failure.class === "aborted" || options.signal.aborted) {
          health.breaker.release();
          throw requestOver(options.signal, plan);
        }
        // Only what the provider caused counts against it: a client's unknown model or bad parameter never does.
        if (failure.chargesBreaker) {
          health.recordFailure(upstream.message);
          health.stats.failed(latency_ms);
        } else health.breaker.release();
        if (!failure.failover) throw clientError(config.id, upstream);
        if (failure.class === "context_length") refusedWindow = Math.max(refusedWindow ?? 0, window ?? 0);
        if (delay === null) {
          if (failure.class === "rate_limit") rateLimitWaits.push(upstream.retryAfterMs);
          plan.attempts.at(-1)!.moved_on = true;
          break;
        }
        await sleep(delay, options.signal);
        if (options.signal.aborted) throw requestOver(options.signal, plan);
      }
    }
    if (options.signal.aborted) throw requestOver(options.signal, plan);
  }
  const chain = describeChain(plan.attempts);
  const failed = plan.attempts.filter((a) => a.outcome === "failed");
  if (!failed.length && circuitOpen) {
    const wait = Math.min(...plan.candidates.map((c) => c.runtime.health.breaker.retryInMs()));
    throw new GatewayError(503, "service_unavailable", "circuit_open", `Every provider for this request is failing and paused: ${chain}`, {
      headers: { "retry-after": String(Math.max(1, Math.ceil(wait / 1000))) },
      details: { attempts: plan.attempts },
    });
  }
  // Every provider tried is only busy: that is a rate limit for the client too, with the shortest wait.
  const lastPerProvider = [...new Map(failed.map((a) => [a.provider, a])).values()];
  if (lastPerProvider.length && lastPerProvider.every((a) => a.failure === "rate_limit")) {
    const waits = rateLimitWaits.filter((w): w is number => w !== undefined);
    const retryAfter = Math.max(1, Math.ceil((waits.length ? Math.min(...waits) : 1000) / 1000));
    throw new GatewayError(429, "rate_limit_error", "rate_limited", `Every provider is busy: ${chain}`, {
      headers: { "retry-after": String(retryAfter) },
      details: { attempts: plan.attempts },
    });
  }
  // None of them has the model: the client's choice of model, answered as theirs (404), not as a gateway fault.
  if (lastPerProvider.length && lastPerProvider.every((a) => a.failure === "model_unavailable")) {
    throw new GatewayError(404, "invalid_request_error", "model_not_found", `No provider tried has this model: ${chain}`, {
      param: "model",
      details: { attempts: plan.attempts },
    });
  }
  // Every provider that was tried found the prompt too long: the client's prompt, answered as a 400.
  if (lastPerProvider.length && lastPerProvider.every((a) => a.failure === "context_length")) {
    throw new GatewayError(
      400,
      "invalid_request_error",
      "context_length_exceeded",
      `The prompt${plan.promptTokens !== undefined ? ` (about ${plan.promptTokens} tokens)` : ""} is longer than every provider's context window${refusedWindow ? ` (the largest tried: ${refusedWindow} tokens)` : ""}: ${chain}`,
      { param: "messages", details: { attempts: plan.attempts } },
    );
  }
  throw new GatewayError(502, "upstream_error", "all_providers_failed", `All providers failed: ${chain}`, {
    details: { attempts: plan.attempts },
  });
}

/** A provider refused the request itself (a 4xx the client caused): answered with that status, no failover. */
function clientError(provider: string, upstream: UpstreamError): GatewayError {
  const status = upstream.status && upstream.status >= 400 && upstream.status < 500 ? upstream.status : 400;
  return new GatewayError(status, "invalid_request_error", "upstream_rejected", `Provider ${provider} rejected the request: ${upstream.message}`);
}

/** The request's deadline, from the top-level timeouts.total_ms, over the transport's own signal where it can. */
export function requestDeadline(req: { signal: AbortSignal; abort?: (reason: unknown) => void }, timeouts: Timeouts): Deadline {
  return new Deadline(req.signal, timeouts.total_ms ?? DEFAULT_TIMEOUTS.total_ms, "request", req.abort);
}

/** The attempts so far, for error messages: "A: HTTP 500; B: skipped, disabled". */
function describeChain(attempts: Attempt[]): string {
  return attempts.map((a) => `${a.provider}: ${a.outcome === "skipped" ? "skipped, " : ""}${a.reason}`).join("; ");
}

/** Why a request stopped before a provider served it: its deadline (504, with the chain so far) or the client leaving. */
function requestOver(signal: AbortSignal, plan: RoutePlan): GatewayError {
  const deadline = deadlineMessage(signal);
  if (!deadline) return clientGone();
  const chain = describeChain(plan.attempts);
  return deadlineExceeded(`${deadline}${chain ? ` (${chain})` : ""}`, { attempts: plan.attempts });
}

/** The request ran past timeouts.total_ms. */
export function deadlineExceeded(detail: string, details?: Record<string, unknown>): GatewayError {
  return new GatewayError(504, "upstream_error", "request_timeout", `The request did not finish in time: ${detail}.`, details ? { details } : {});
}

/** The client went away; nothing is sent, but the log records it as status 499. */
export function clientGone(): GatewayError {
  return new GatewayError(499, "invalid_request_error", "client_closed_request", "The client closed the request.");
}
