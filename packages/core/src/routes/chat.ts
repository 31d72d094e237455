/** POST /v1/chat/completions: plan the providers, fail over in order, answer JSON or SSE. */
import { GatewayError } from "../errors.js";
import { chatRequestSchema, type ChatCompletionChunk, type ChatRequest } from "../openai/schema.js";
import { deadlineExceeded, planRoute, requestDeadline, requestFor, runWithFailover, type RoutePlan } from "../routing/router.js";
import { deadlineMessage, type Deadline } from "../routing/deadline.js";
import { json, type GatewayHttpRequest, type GatewayHttpResponse } from "../http/types.js";
import type { LogRecorder } from "../logging/recorder.js";
import type { AuthContext } from "../auth/types.js";
import type { Timeouts } from "../config/schema.js";
import type { ProviderRegistry } from "../routing/registry.js";
import { validate } from "./body.js";
import { scopeOf } from "../auth/scope.js";

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
  request: Pick<GatewayHttpRequest, "signal" | "abort">,
  log: LogRecorder,
): Promise<GatewayHttpResponse> {
  log.entry.model = typeof rawBody.model === "string" ? rawBody.model : null;
  log.entry.requestedProviders = typeof rawBody.provider === "string" ? rawBody.provider : null;
  log.entry.stream = rawBody.stream === true;
  const body = validate(chatRequestSchema, rawBody);
  await log.meter?.reserve(JSON.stringify(body.messages).length, body.max_completion_tokens ?? body.max_tokens);
  const plan = planRoute(deps.registry, body, "chat", scopeOf(auth));
  log.setAttempts(plan.attempts);
  const deadline = requestDeadline(request, deps.timeouts);
  if (!body.stream) {
    try {
      return await completeChat(deps, body, plan, deadline.signal, log);
    } finally {
      deadline.clear();
    }
  }
  try {
    return await streamChat(deps, body, plan, deadline, log);
  } catch (err) {
    deadline.clear(); // a stream that started clears it when it ends
    throw err;
  }
}

async function completeChat(deps: ChatDeps, body: ChatRequest, plan: RoutePlan, signal: AbortSignal, log: LogRecorder) {
  const { result, candidate, release } = await runWithFailover(plan, { signal, timeouts: deps.timeouts }, (c, ctx) =>
    c.runtime.adapter.chat!.complete(requestFor(body, c), ctx),
  );
  release();
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
  return chunk.choices.some((c) => (c.delta.content ?? "") !== "" || c.delta.tool_calls?.length || c.delta.refusal || c.finish_reason);
}

/** How many leading empty chunks (role announcements, pings) are held back while failover is still allowed. */
const MAX_HELD_CHUNKS = 16;

/** `deadline` bounds the whole stream; its signal is what providers see, and it tells a timeout from a client leaving. */
async function streamChat(deps: ChatDeps, body: ChatRequest, plan: RoutePlan, deadline: Deadline, log: LogRecorder) {
  // Open the stream and hold the first chunks until one has content: until then, failing over is invisible.
  const { result, candidate, release } = await runWithFailover(plan, { signal: deadline.signal, timeouts: deps.timeouts }, async (c, ctx) => {
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
    for (const c of chunk.choices) {
      log.deliveredChars += c.delta.content?.length ?? 0;
      for (const t of c.delta.tool_calls ?? []) log.deliveredChars += t.function?.arguments?.length ?? 0;
    }
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
      // An adapter may end quietly when its signal aborts (the local model stops generating): still a timeout.
      if (deadline.expired) throw new Error(deadlineMessage(deadline.signal)!);
      yield "data: [DONE]\n\n";
    } catch (err) {
      // Too late to fail over: the client has this provider's text. End in-band, never mixing in another's.
      const aborted = deadline.clientLeft;
      error = (err as Error)?.message ?? String(err);
      if (deadline.expired) {
        // The request's own time ran out, not the provider: its health is left alone.
        status = 504;
        error = deadlineMessage(deadline.signal)!;
        yield `data: ${JSON.stringify(deadlineExceeded(`${error}; the answer above is incomplete`).toBody())}\n\n`;
        yield "data: [DONE]\n\n";
        return;
      }
      status = aborted ? 499 : 502;
      if (!aborted) {
        // The provider broke after it started serving: the log's chain and its health say so.
        const attempt = plan.attempts.findLast((a) => a.provider === id && a.outcome === "served");
        if (attempt) Object.assign(attempt, { outcome: "failed", reason: `stream interrupted after content: ${error}` });
        candidate.runtime.health.recordFailure(`stream interrupted: ${error}`);
        const e =
          err instanceof GatewayError ? err : new GatewayError(502, "upstream_error", "stream_interrupted", `Provider ${id} failed mid-stream: ${error}`);
        yield `data: ${JSON.stringify(e.toBody())}\n\n`;
        yield "data: [DONE]\n\n";
      }
    } finally {
      if (deadline.clientLeft && status === 200) status = 499;
      await result.iterator.return?.().catch(() => undefined);
      release();
      deadline.clear();
      log.finish(status, status === 499 ? "client closed the stream" : error);
    }
  }

  return { status: 200, headers: { ...SSE_HEADERS, "x-interference-provider": id }, body: events() };
}
