/**
 * Serving a chat-shaped request with failover, as JSON or as a stream, for every public API: Chat Completions
 * encodes the chunks as they are, Responses and Messages turn them into their own events. Failover, the held
 * first chunks, the deadline, the log and the provider's health are handled here once.
 */
import type { EventSourceMessage } from "eventsource-parser";
import { GatewayError, UpstreamError } from "../errors.js";
import type { StreamPart } from "../canonical/types.js";
import { ChatChunkDecoder } from "../apis/chat-completions/decode-result.js";
import type { ChatCompletion, ChatCompletionChunk, ChatRequest } from "../openai/schema.js";
import { deadlineExceeded, requestFor, runWithFailover, type Candidate, type RoutePlan } from "../routing/router.js";
import { deadlineMessage, type Deadline } from "../routing/deadline.js";
import type { GatewayHttpResponse } from "../http/types.js";
import type { LogRecorder } from "../logging/recorder.js";
import type { Timeouts } from "../config/schema.js";
import type { ProviderRegistry } from "../routing/registry.js";
import type { CallContext } from "../adapters/types.js";

export interface ServeDeps {
  registry: ProviderRegistry;
  timeouts: Timeouts;
}

export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  connection: "keep-alive",
  "x-accel-buffering": "no",
};

/** The request's own fields on its log row, read before validation so that a refused request's row has them too. */
export function noteRequest(log: LogRecorder, raw: Record<string, unknown>): void {
  log.entry.model = typeof raw.model === "string" ? raw.model : null;
  log.entry.requestedProviders = typeof raw.provider === "string" ? raw.provider : null;
  log.entry.stream = raw.stream === true;
}

/** Calls providers in order until one answers; logs who served and the usage. */
export async function completeWithFailover(
  deps: ServeDeps,
  body: ChatRequest,
  plan: RoutePlan,
  signal: AbortSignal,
  log: LogRecorder,
): Promise<{ completion: ChatCompletion; provider: string }> {
  const { result, candidate, release } = await runWithFailover(plan, { signal, timeouts: deps.timeouts }, (c, ctx) =>
    c.runtime.adapter.chat!.complete(requestFor(body, c), ctx),
  );
  release();
  const provider = candidate.runtime.config.id;
  result.model ||= candidate.model.upstream;
  log.entry.provider = provider;
  log.entry.servedModel = result.model;
  log.setUsage(result.usage);
  return { completion: result, provider };
}

/** How one API writes a stream: each item's events, the end, and an end after a failure. */
export interface StreamEncoder<T = ChatCompletionChunk> {
  chunk(item: T): string | null;
  /** May wait (a stored response is saved before the client is told it is complete). */
  end(): string | Promise<string>;
  /** Too late to fail over: the client has this provider's content, so the stream ends in-band. */
  fail(error: GatewayError): string;
}

/** Where a stream's items come from, per candidate, and which of them the client would see. */
export interface StreamSource<T> {
  open(candidate: Candidate, ctx: CallContext): AsyncIterator<T>;
  /** Carries something the client sees (text, a tool call, an end): failover is over once one is sent. */
  substantive(item: T): boolean;
  /** Sees each item before it is encoded (for the log). */
  observe?(item: T): void;
  encoder(candidate: Candidate): StreamEncoder<T>;
}

/** A chunk that carries something the client sees (text, a tool call, an end). */
export function isSubstantiveChunk(chunk: ChatCompletionChunk): boolean {
  if (chunk.usage) return true;
  return chunk.choices.some(
    (c) => (c.delta.content ?? "") !== "" || c.delta.tool_calls?.length || c.delta.refusal || c.delta.reasoning_content || c.finish_reason,
  );
}

/** What a chat chunk tells the log: usage, the served model, the characters delivered (for the token meter). */
export function recordChunk(chunk: ChatCompletionChunk, log: LogRecorder): void {
  if (chunk.usage) log.setUsage(chunk.usage);
  if (chunk.model) log.entry.servedModel = chunk.model;
  for (const c of chunk.choices) {
    log.deliveredChars += c.delta.content?.length ?? 0;
    for (const t of c.delta.tool_calls ?? []) log.deliveredChars += t.function?.arguments?.length ?? 0;
  }
}

/** A chat stream from each candidate's chat capability, logged chunk by chunk. */
export function chatSource(body: ChatRequest, log: LogRecorder, encoderFor: (candidate: Candidate) => StreamEncoder): StreamSource<ChatCompletionChunk> {
  return {
    open: (c, ctx) => c.runtime.adapter.chat!.stream(requestFor(body, c), ctx)[Symbol.asyncIterator](),
    substantive: isSubstantiveChunk,
    observe: (chunk) => recordChunk(chunk, log),
    encoder: encoderFor,
  };
}

/** How many leading empty items (role announcements, pings) are held back while failover is still allowed. */
const MAX_HELD_CHUNKS = 16;

/**
 * Opens the stream on the first provider that starts one, holding the first items until one has content: until
 * then, failing over is invisible. `deadline` bounds the whole stream; its signal is what providers see.
 */
export async function streamWithFailover<T>(
  deps: ServeDeps,
  plan: RoutePlan,
  deadline: Deadline,
  log: LogRecorder,
  source: StreamSource<T>,
): Promise<GatewayHttpResponse> {
  const { result, candidate, release } = await runWithFailover(plan, { signal: deadline.signal, timeouts: deps.timeouts }, async (c, ctx) => {
    const iterator = source.open(c, ctx);
    const held: T[] = [];
    let done = false;
    // No try/catch to close the iterator on a failure here: a generator that throws is closed already, and the
    // try around these awaits cost 1.5 µs per stream (bench/handler.mjs).
    while (held.length < MAX_HELD_CHUNKS) {
      const next = await iterator.next();
      if (next.done) {
        done = true;
        break;
      }
      held.push(next.value);
      if (source.substantive(next.value)) break;
    }
    return { iterator, held, done };
  });
  const id = candidate.runtime.config.id;
  log.entry.provider = id;
  log.entry.servedModel = candidate.model.upstream;
  log.markFirstToken();
  const encoder = source.encoder(candidate);
  const observe = source.observe?.bind(source);

  async function* events(): AsyncGenerator<string> {
    let status = 200;
    let error: string | null = null;
    try {
      for (const item of result.held) {
        observe?.(item);
        const text = encoder.chunk(item);
        if (text) yield text;
      }
      if (!result.done) {
        while (true) {
          const next = await result.iterator.next();
          if (next.done) break;
          observe?.(next.value);
          const text = encoder.chunk(next.value);
          if (text) yield text;
        }
      }
      // An adapter may end quietly when its signal aborts (the local model stops generating): still a timeout.
      if (deadline.expired) throw new Error(deadlineMessage(deadline.signal)!);
      // Only a stored response's save waits: a plain string is yielded without a microtask turn.
      const end = encoder.end();
      yield typeof end === "string" ? end : await end;
    } catch (err) {
      // Too late to fail over: the client has this provider's text. End in-band, never mixing in another's.
      const aborted = deadline.clientLeft;
      error = (err as Error)?.message ?? String(err);
      if (deadline.expired) {
        // The request's own time ran out, not the provider: its health is left alone.
        status = 504;
        error = deadlineMessage(deadline.signal)!;
        yield encoder.fail(deadlineExceeded(`${error}; the answer above is incomplete`));
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
        yield encoder.fail(e);
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

/**
 * What a route that serves both kinds of provider streams: chat chunks from a translating provider, or the events
 * of one that speaks the API natively (relayed, `data` parsed on the side).
 */
export type RelayItem = { chunk: ChatCompletionChunk } | { event: EventSourceMessage; data: any };

/** A translating provider's chat stream as relay items. */
export async function* chatItems(c: Candidate, ctx: CallContext, chat: ChatRequest): AsyncGenerator<RelayItem> {
  for await (const chunk of c.runtime.adapter.chat!.stream(requestFor(chat, c), ctx)) yield { chunk };
}

/** A native event's JSON; an unparseable one is the provider's protocol failure. */
export function eventData(event: EventSourceMessage): any {
  try {
    return JSON.parse(event.data);
  } catch {
    throw new UpstreamError(`malformed stream event: ${event.data.slice(0, 80)}`, "protocol");
  }
}

/** An API's encoder of canonical stream parts (Responses', Messages'). */
export interface PartEncoder {
  start(): string;
  part(part: StreamPart): string;
  end(): string;
}

/**
 * Chat chunks from a translating provider → canonical parts → `encoder`'s events; the opening events go first
 * whatever comes. `finish.fail` writes the API's own failure events; `finish.saved`, when given, runs (a stored
 * response is saved) before the end is sent.
 */
export function partsEncoder(
  encoder: PartEncoder,
  log: LogRecorder,
  finish: { fail(error: GatewayError): string; saved?(): Promise<void> },
): StreamEncoder<RelayItem> {
  const decoder = new ChatChunkDecoder();
  let started = false;
  const start = () => (started ? "" : ((started = true), encoder.start()));
  return {
    chunk(item) {
      if (!("chunk" in item)) return null;
      recordChunk(item.chunk, log);
      let out = start();
      for (const part of decoder.decode(item.chunk)) out += encoder.part(part);
      return out || null;
    },
    end() {
      const out = start() + encoder.end();
      return finish.saved ? finish.saved().then(() => out) : out;
    },
    fail: (error) => start() + finish.fail(error),
  };
}
