/**
 * Serving a request with failover, as a stream, for every public API: a native provider's events are relayed, a
 * translating provider's canonical parts are encoded into the API's own events. Failover, the held first items,
 * the deadline, the log and the provider's health are handled here once.
 */
import type { EventSourceMessage } from "eventsource-parser";
import { GatewayError, UpstreamError } from "../errors.js";
import type { CanonicalRequest, StreamPart } from "../canonical/types.js";
import { deadlineExceeded, runWithFailover, type Candidate, type RoutePlan } from "../routing/router.js";
import { deadlineMessage, type Deadline } from "../routing/deadline.js";
import type { GatewayHttpResponse } from "../http/types.js";
import type { LogRecorder } from "../logging/recorder.js";
import type { Timeouts } from "../config/schema.js";
import type { ProviderRegistry } from "../routing/registry.js";
import type { CallContext } from "../adapters/types.js";
import { canonicalFor } from "./native.js";
import { costOf, priceFor, type ModelPrice } from "../spend/price.js";
import { DEFAULT_COMPLETION_RESERVE, estimateTokens } from "../ratelimit/meter.js";

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

/**
 * Reserves what a request may use before any provider is called: its tokens for a TPM-limited key (estimated from
 * `promptChars`, read only when needed), and its worst-case cost for a key with a budget: the prompt estimate and
 * `maxTokens` (or the default reserve) at the dearest candidate's prices.
 */
export async function reserveUsage(log: LogRecorder, plan: RoutePlan, promptChars: () => number, maxTokens: number | null | undefined): Promise<void> {
  // Measured once (it serializes the prompt), and only when a meter or a budget needs it.
  let chars: number | undefined;
  const prompt = () => (chars ??= promptChars());
  if (log.meter) await log.meter.reserve(prompt(), maxTokens);
  if (!log.budget) return;
  const usage = { inputTokens: estimateTokens(prompt()), outputTokens: maxTokens ?? DEFAULT_COMPLETION_RESERVE };
  await reserveBudget(log, plan, (price) => costOf(usage, price));
}

/**
 * Reserves a budgeted request's worst case: the most `costAt` gives over the candidates. A budgeted request is
 * served only by candidates with a known price (an unpriced one could spend without bound); with none left, 403.
 */
export async function reserveBudget(log: LogRecorder, plan: RoutePlan, costAt: (price: ModelPrice) => number): Promise<void> {
  if (!log.budget) return;
  let worst = 0;
  const priced: Candidate[] = [];
  for (const c of plan.candidates) {
    const price = priceFor(c.runtime.config, c.model);
    if (!price) {
      plan.attempts.push({
        provider: c.runtime.config.id,
        outcome: "skipped",
        reason: `model ${c.model.upstream} has no price, and this API key has a budget`,
      });
      continue;
    }
    priced.push(c);
    worst = Math.max(worst, costAt(price));
  }
  if (!priced.length) {
    throw new GatewayError(
      403,
      "permission_error",
      "model_not_priced",
      "This API key has a budget, and no provider for this request has a price for its model: set `prices` for it in the provider's settings.",
    );
  }
  plan.candidates = priced;
  await log.budget.reserve(worst, log.entry.model);
}

/** Who served, on the log row, and the price its cost is reckoned at. `model` is what the provider reported. */
export function noteServed(log: LogRecorder, candidate: Candidate, model?: string): void {
  log.entry.provider = candidate.runtime.config.id;
  log.entry.servedModel = model || candidate.model.upstream;
  log.price = priceFor(candidate.runtime.config, candidate.model, model);
}

/** The request's own fields on its log row, read before validation so that a refused request's row has them too. */
export function noteRequest(log: LogRecorder, raw: Record<string, unknown>): void {
  log.entry.model = typeof raw.model === "string" ? raw.model : null;
  log.entry.stream = raw.stream === true;
}

/** How one API writes a stream: each item's events, the end, and an end after a failure. */
export interface StreamEncoder<T> {
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
  noteServed(log, candidate);
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
 * What a route that serves both kinds of provider streams: canonical parts from a translating provider, or the
 * events of one that speaks the API natively (relayed, `data` parsed on the side).
 */
export interface NativeItem {
  type: "native";
  event: EventSourceMessage;
  data: any;
}
export type RelayItem = StreamPart | NativeItem;

/** A translating provider's stream, given the canonical request as that provider takes it. */
export function translatedParts(c: Candidate, ctx: CallContext, req: CanonicalRequest): AsyncIterator<StreamPart> {
  return c.runtime.adapter.chat!.stream(canonicalFor(req, c), ctx)[Symbol.asyncIterator]();
}

/** A part the client sees something of: all but the model's name. Failover is over once one is sent. */
export const isSubstantivePart = (part: StreamPart): boolean => part.type !== "model";

/** What a part tells the log: usage, the served model, the characters delivered (for the token meter). */
export function recordPart(part: StreamPart, log: LogRecorder): void {
  switch (part.type) {
    case "text":
    case "tool_call_delta":
      log.deliveredChars += part.delta.length;
      break;
    case "usage":
      log.setUsage(part.usage);
      break;
    case "model":
      log.entry.servedModel = part.model;
  }
}

/** A usage part with what it cost, when the served model's price is known. */
function withCost(part: Extract<StreamPart, { type: "usage" }>, log: LogRecorder): StreamPart {
  const cost = log.cost;
  return cost === null ? part : { type: "usage", usage: { ...part.usage, cost } };
}

/** Puts the request's cost into an answer's wire `usage` object (every API's allows more fields), when known. */
export function addCost(usage: Record<string, unknown> | null | undefined, log: LogRecorder): void {
  const cost = log.cost;
  if (usage && cost !== null) usage.cost = cost;
}

/** A native event's JSON; an unparseable one is the provider's protocol failure. */
export function eventData(event: EventSourceMessage): any {
  try {
    return JSON.parse(event.data);
  } catch {
    throw new UpstreamError(`malformed stream event: ${event.data.slice(0, 80)}`, "protocol");
  }
}

/** An API's encoder of canonical stream parts (Chat Completions', Responses', Messages'). */
export interface PartEncoder {
  start(): string;
  part(part: StreamPart): string;
  end(): string;
}

/**
 * A translating provider's parts → `encoder`'s events; the opening events go first whatever comes. `finish.fail`
 * writes the API's own failure events; `finish.saved`, when given, runs (a stored response is saved) before the
 * end is sent.
 */
export function partsEncoder(
  encoder: PartEncoder,
  log: LogRecorder,
  finish: { fail(error: GatewayError): string; saved?(): Promise<void> },
): StreamEncoder<RelayItem> {
  let started = false;
  const start = () => (started ? "" : ((started = true), encoder.start()));
  return {
    chunk(item) {
      if (item.type === "native") return null;
      recordPart(item, log);
      const out = start() + encoder.part(item.type === "usage" ? withCost(item, log) : item);
      return out || null;
    },
    end() {
      const out = start() + encoder.end();
      return finish.saved ? finish.saved().then(() => out) : out;
    },
    fail: (error) => start() + finish.fail(error),
  };
}
