/**
 * OpenTelemetry traces of /v1 requests, written once a request is done, from its log entry: one SERVER span for
 * the request and one CLIENT span per provider attempt, with the GenAI semantic conventions' attributes
 * (gen_ai.*: operation, provider system, models, token counts) and the gateway's own (interference.*: the
 * provider chain, cost, key). Built at the end rather than as the request runs, so tracing adds nothing to the
 * path of a request but this one call, and nothing at all when it is off (no tracer given). A client's W3C
 * `traceparent` makes the request span its child.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Tracer } from "@opentelemetry/api";
import type { RequestLogEntry } from "../logging/types.js";

/** The GenAI operation a route performs (gen_ai.operation.name). */
function operationOf(route: string): string {
  if (route.endsWith("/embeddings")) return "embeddings";
  if (/\/images\//.test(route)) return "generate_content";
  if (/\/audio\//.test(route)) return route.endsWith("/speech") ? "text_to_speech" : "speech_to_text";
  if (route.endsWith("/completions") && !route.endsWith("chat/completions")) return "text_completion";
  return "chat";
}

const defined = (attrs: Record<string, string | number | boolean | null | undefined>): Attributes =>
  Object.fromEntries(Object.entries(attrs).filter(([, v]) => v !== null && v !== undefined)) as Attributes;

export interface SpanContext {
  /** The request's W3C trace context headers (traceparent, tracestate), when the client sent them. */
  headers: Record<string, string | undefined>;
  /** A provider id's family ("openai", "anthropic", …): gen_ai.system. */
  systemOf(providerId: string): string | undefined;
}

export function recordRequestSpans(tracer: Tracer, e: RequestLogEntry, ctx: SpanContext): void {
  const start = e.time.getTime();
  const route = e.routePattern ?? e.route;
  const operation = operationOf(route);
  const parent = propagation.extract(context.active(), ctx.headers);
  const chain = e.attempts.filter((a) => a.outcome !== "skipped").map((a) => a.provider);
  const span = tracer.startSpan(
    `${e.method} ${route}`,
    {
      kind: SpanKind.SERVER,
      startTime: start,
      attributes: defined({
        "http.request.method": e.method,
        "http.route": route,
        "url.path": e.route,
        "http.response.status_code": e.status,
        "gen_ai.operation.name": operation,
        "gen_ai.request.model": e.model,
        "gen_ai.response.model": e.servedModel,
        "gen_ai.system": e.provider ? ctx.systemOf(e.provider) : undefined,
        "gen_ai.usage.input_tokens": e.promptTokens,
        "gen_ai.usage.output_tokens": e.completionTokens,
        "interference.request_id": e.id,
        "interference.provider": e.provider,
        "interference.provider_chain": chain.length ? chain.join(" ") : undefined,
        "interference.requested_providers": e.requestedProviders,
        "interference.failed_over": e.attempts.some((a) => a.outcome === "failed") && e.provider !== null,
        "interference.stream": e.stream,
        "interference.ttft_ms": e.ttftMs,
        "interference.cost_usd": e.cost,
        "interference.api_key_id": e.apiKeyId,
        "interference.team_id": e.teamId,
      }),
    },
    parent,
  );
  if (e.status >= 500 || (e.status >= 400 && e.error)) span.setStatus({ code: SpanStatusCode.ERROR, message: e.error ?? `HTTP ${e.status}` });
  if (e.status >= 400) span.setAttribute("error.type", String(e.status));
  const inside = trace.setSpan(parent, span);
  for (const a of e.attempts) {
    if (a.outcome === "skipped") {
      span.addEvent("provider skipped", defined({ "interference.provider": a.provider, "interference.reason": a.reason }), start);
      continue;
    }
    const attemptStart = a.started_at_ms ?? start;
    const model = a.provider === e.provider ? (e.servedModel ?? e.model) : e.model;
    const child = tracer.startSpan(
      `${operation} ${model ?? a.provider}`,
      {
        kind: SpanKind.CLIENT,
        startTime: attemptStart,
        attributes: defined({
          "gen_ai.operation.name": operation,
          "gen_ai.system": ctx.systemOf(a.provider),
          "gen_ai.request.model": model,
          "interference.provider": a.provider,
          "interference.outcome": a.outcome,
          "http.response.status_code": a.status,
          "error.type": a.outcome === "failed" ? (a.failure ?? "error") : undefined,
          ...(a.outcome === "served"
            ? { "gen_ai.response.model": e.servedModel, "gen_ai.usage.input_tokens": e.promptTokens, "gen_ai.usage.output_tokens": e.completionTokens }
            : {}),
        }),
      },
      inside,
    );
    if (a.outcome === "failed") child.setStatus({ code: SpanStatusCode.ERROR, message: a.reason ?? "failed" });
    child.end(attemptStart + (a.latency_ms ?? 0));
  }
  span.end(start + e.latencyMs);
}
