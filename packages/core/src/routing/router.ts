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
}

export interface Candidate {
  runtime: ProviderRuntime;
  model: ModelEntry;
  /** Parameters removed from the request for this provider (drop_params). */
  dropped: string[];
}

export interface RoutePlan {
  candidates: Candidate[];
  /** Providers passed over while planning, with why. */
  attempts: Attempt[];
}

/** What planning needs of a request: the model, the client's provider choice, and the settings to check. */
export interface RouteRequest {
  model?: string;
  provider?: string;
  drop_params?: boolean;
  /** The settings a provider must honour to serve it: canonical names for chat, the request's fields for images. */
  params?: readonly string[];
  /** The client's own name for a setting, for the 400 that refuses it (default: the name itself). */
  paramName?: (param: string) => string;
}

/** Splits the `provider` field ("A B  C") into ordered, de-duplicated ids. */
export function parseProviderField(field: string | undefined): string[] {
  if (!field) return [];
  return [...new Set(field.split(/\s+/).filter(Boolean))];
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

/**
 * The candidates for a request, in order. The API key's scope is applied here, to every candidate, so no attempt
 * the router makes (failover included) can reach a provider or a model the key may not use.
 */
export function planRoute(
  registry: ProviderRegistry,
  body: RouteRequest,
  capability: Capability,
  scope: KeyScope = UNSCOPED,
  /** Providers the request reaches natively (passthrough): every parameter goes through, so none is checked. */
  native?: (runtime: ProviderRuntime) => boolean,
): RoutePlan {
  const requested = parseProviderField(body.provider);
  let pool: ProviderRuntime[];
  if (requested.length) {
    const unknown = requested.filter((id) => !registry.get(id));
    if (unknown.length) {
      throw notFound(
        "provider_not_found",
        `Unknown provider${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}. GET /v1/providers lists the available ids.`,
      );
    }
    pool = requested.map((id) => registry.get(id)!);
  } else {
    pool = registry.list();
    if (!pool.length) {
      throw new GatewayError(503, "service_unavailable", "no_providers", "No providers are configured: add one to interference.yaml (see the README).");
    }
  }

  const params = body.params ?? [];
  const nameOf = body.paramName ?? ((p: string) => p);
  const attempts: Attempt[] = [];
  const candidates: Candidate[] = [];
  let disabledServing = 0;
  let notReady = 0;
  let unsupportedParam: string | undefined;
  let providerDenied = 0;
  let modelDenied = 0;

  for (const runtime of pool) {
    const { config, adapter } = runtime;
    const cap = adapter[capability];
    const models = config[MODELS_OF[capability]];
    // Providers that do not serve the model are noted only when the client named them: otherwise it is noise.
    const skip = (reason: string, always = true) => (always || requested.length) && attempts.push({ provider: config.id, outcome: "skipped", reason });
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
    if (unsupported.length && !(body.drop_params || config.drop_params)) {
      unsupportedParam ??= nameOf(unsupported[0]!);
      skip(`does not support parameter${unsupported.length > 1 ? "s" : ""} ${unsupported.map(nameOf).join(", ")}`);
      continue;
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
    if (providerDenied) throw new GatewayError(403, "permission_error", "provider_not_allowed", `This API key may not use the selected provider(s)${detail}.`);
    if (unsupportedParam) {
      throw new GatewayError(
        400,
        "invalid_request_error",
        "unsupported_parameter",
        `Parameter '${unsupportedParam}' is not supported by the selected provider(s)${detail}. Set "drop_params": true to drop unsupported parameters.`,
        { param: unsupportedParam },
      );
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
    throw badRequest("model_not_supported", `No ${requested.length ? "selected" : "enabled"} provider serves model '${body.model}'${detail}.`, "model");
  }
  return { candidates, attempts };
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
  for (const candidate of plan.candidates) {
    const { config, health } = candidate.runtime;
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
      try {
        const result = await call(candidate, ctx);
        health.recordSuccess();
        plan.attempts.push({ provider: config.id, outcome: "served", latency_ms: Math.round(performance.now() - started), started_at_ms });
        return { result, candidate, release: () => own?.clear() };
      } catch (err) {
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
        });
        // The client left or the request's deadline passed: nothing is tried after this, and the provider is not
        // blamed for the time the whole request had.
        if (failure.class === "aborted" || options.signal.aborted) {
          health.breaker.release();
          throw requestOver(options.signal, plan);
        }
        // Only what the provider caused counts against it: a client's unknown model or bad parameter never does.
        if (failure.chargesBreaker) health.recordFailure(upstream.message);
        else health.breaker.release();
        if (!failure.failover) throw clientError(config.id, upstream);
        if (delay === null) {
          if (failure.class === "rate_limit") rateLimitWaits.push(upstream.retryAfterMs);
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
