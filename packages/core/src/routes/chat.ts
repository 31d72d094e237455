/** POST /v1/chat/completions: plan the providers, fail over in order, answer JSON or SSE. */
import { GatewayError } from "../errors.js";
import { chatRequestSchema, type ChatCompletionChunk, type ChatRequest } from "../openai/schema.js";
import { planRoute, requestFor, runWithFailover, type RoutePlan } from "../routing/router.js";
import { json, type GatewayHttpResponse } from "../http/types.js";
import type { LogRecorder } from "../logging/recorder.js";
import type { AuthContext } from "../auth/types.js";
import type { Timeouts } from "../config/schema.js";
import type { ProviderRegistry } from "../routing/registry.js";
import { validate } from "./body.js";
import { applyScope } from "./scope.js";

export interface ChatDeps {
  registry: ProviderRegistry;
  timeouts: Timeouts;
}

const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  connection: "keep-alive",
  "x-accel-buffering": "no",
};

export async function chatCompletions(
  deps: ChatDeps,
  rawBody: Record<string, unknown>,
  auth: AuthContext,
  signal: AbortSignal,
  log: LogRecorder,
): Promise<GatewayHttpResponse> {
  log.entry.model = typeof rawBody.model === "string" ? rawBody.model : null;
  log.entry.requestedProviders = typeof rawBody.provider === "string" ? rawBody.provider : null;
  log.entry.stream = rawBody.stream === true;
  const body = validate(chatRequestSchema, rawBody);
  const plan = planRoute(deps.registry, body, "chat");
  log.setAttempts(plan.attempts);
  applyScope(plan, body, auth);
  return body.stream ? streamChat(deps, body, plan, signal, log) : completeChat(deps, body, plan, signal, log);
}

async function completeChat(deps: ChatDeps, body: ChatRequest, plan: RoutePlan, signal: AbortSignal, log: LogRecorder) {
  const { result, candidate } = await runWithFailover(plan, { signal, timeouts: deps.timeouts }, (c, ctx) =>
    c.runtime.adapter.chat!.complete(requestFor(body, c), ctx),
  );
  const id = candidate.runtime.config.id;
  result.model ||= candidate.model.upstream;
  result.provider = id;
  log.entry.provider = id;
  log.entry.servedModel = result.model;
  log.setUsage(result.usage);
  log.finish(200);
  return json(200, result, { "x-interference-provider": id });
}

/** A chunk that carries something the client sees (text, a tool call, an end). */
function isSubstantive(chunk: ChatCompletionChunk): boolean {
  if (chunk.usage) return true;
  return chunk.choices.some(
    (c) => (c.delta.content ?? "") !== "" || c.delta.tool_calls?.length || c.delta.refusal || c.finish_reason,
  );
}

/** How many leading empty chunks (role announcements, pings) are held back while failover is still allowed. */
const MAX_HELD_CHUNKS = 16;

async function streamChat(deps: ChatDeps, body: ChatRequest, plan: RoutePlan, signal: AbortSignal, log: LogRecorder) {
  // Open the stream and hold the first chunks until one has content: until then, failing over is invisible.
  const { result, candidate } = await runWithFailover(plan, { signal, timeouts: deps.timeouts }, async (c, ctx) => {
    const iterator = c.runtime.adapter.chat!.stream(requestFor(body, c), ctx)[Symbol.asyncIterator]();
    const held: ChatCompletionChunk[] = [];
    let done = false;
    while (held.length < MAX_HELD_CHUNKS) {
      const next = await iterator.next();
      if (next.done) {
        done = true;
        break;
      }
      held.push(next.value);
      if (isSubstantive(next.value)) break;
    }
    return { iterator, held, done };
  });
  const id = candidate.runtime.config.id;
  log.entry.provider = id;
  log.entry.servedModel = candidate.model.upstream;
  log.markFirstToken();
  const includeUsage = body.stream_options?.include_usage === true;

  /** Encodes one chunk for the client; usage is recorded always but sent only when asked for. */
  const encode = (chunk: ChatCompletionChunk): string | null => {
    // Azure opens with a choice-less chunk of prompt-filter results (empty id, model and object): not a chunk
    // OpenAI clients expect, so it is left out.
    if (!chunk.choices.length && !chunk.usage) return null;
    if (chunk.usage) log.setUsage(chunk.usage);
    if (!includeUsage && "usage" in chunk) {
      if (!chunk.choices.length) return null;
      delete chunk.usage;
    }
    if (chunk.model) log.entry.servedModel = chunk.model;
    chunk.provider = id;
    return `data: ${JSON.stringify(chunk)}\n\n`;
  };

  async function* events(): AsyncGenerator<string> {
    let status = 200;
    let error: string | null = null;
    try {
      for (const chunk of result.held) {
        const line = encode(chunk);
        if (line) yield line;
      }
      if (!result.done) {
        while (true) {
          const next = await result.iterator.next();
          if (next.done) break;
          const line = encode(next.value);
          if (line) yield line;
        }
      }
      yield "data: [DONE]\n\n";
    } catch (err) {
      // Too late to fail over: the client has this provider's text. End in-band, never mixing in another's.
      const aborted = signal.aborted;
      status = aborted ? 499 : 502;
      error = (err as Error)?.message ?? String(err);
      if (!aborted) {
        // The provider broke after it started serving: the log's chain and its health say so.
        const attempt = plan.attempts.findLast((a) => a.provider === id && a.outcome === "served");
        if (attempt) Object.assign(attempt, { outcome: "failed", reason: `stream interrupted after content: ${error}` });
        candidate.runtime.health.recordFailure(`stream interrupted: ${error}`);
        const e = err instanceof GatewayError ? err : new GatewayError(502, "upstream_error", "stream_interrupted", `Provider ${id} failed mid-stream: ${error}`);
        yield `data: ${JSON.stringify(e.toBody())}\n\n`;
        yield "data: [DONE]\n\n";
      }
    } finally {
      if (signal.aborted && status === 200) status = 499;
      await result.iterator.return?.().catch(() => undefined);
      log.finish(status, status === 499 ? "client closed the stream" : error);
    }
  }

  return { status: 200, headers: { ...SSE_HEADERS, "x-interference-provider": id }, body: events() };
}

