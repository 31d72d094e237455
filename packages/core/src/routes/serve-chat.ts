/**
 * Serving a request with failover, as a stream, for every public API: a native provider's events are relayed, a
 * translating provider's canonical parts are encoded into the API's own events. Failover, the held first items,
 * the deadline, the log and the provider's health are handled here once.
 */
import type { EventSourceMessage } from "eventsource-parser";
import { GatewayError, UpstreamError } from "../errors.js";
import type { CanonicalRequest, StreamPart } from "../canonical/types.js";
import { deadlineExceeded, runWithFailover, type Attempt, type Candidate, type RoutePlan } from "../routing/router.js";
import { characterCount, continuationRequest, Seam, type Continuation } from "../canonical/continuation.js";
import type { RoutingPolicy } from "../routing/policy.js";
import type { AuthContext } from "../auth/types.js";
import { deadlineMessage, type Deadline } from "../routing/deadline.js";
import type { GatewayHttpResponse } from "../http/types.js";
import type { LogRecorder } from "../logging/recorder.js";
import type { StreamRecovery, Timeouts } from "../config/schema.js";
import type { ProviderRegistry } from "../routing/registry.js";
import type { CallContext } from "../adapters/types.js";
import { canonicalFor } from "./native.js";
import { costOf, priceFor, type ModelPrice } from "../spend/price.js";
import { DEFAULT_COMPLETION_RESERVE } from "../ratelimit/meter.js";
import { mapEventBatches } from "../upstream/event-batches.js";

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
 * Reserves what a request may use before any provider is called: its tokens for a TPM-limited key, and its
 * worst-case cost for a key with a budget. `promptTokens` is everything the provider bills as input (read only when
 * needed: the whole body's prompt fields, tools and schemas included, images at a typical image's tokens, see
 * routing/context-window.ts); the output is `maxTokens` (or the default reserve) for each of `choices` answers.
 * The cost is reckoned at the dearest candidate's prices.
 */
export async function reserveUsage(
  log: LogRecorder,
  plan: RoutePlan,
  promptTokens: () => number,
  maxTokens: number | null | undefined,
  choices = 1,
): Promise<void> {
  if (!log.meter && !log.budget) return;
  const usage = { inputTokens: promptTokens(), outputTokens: (maxTokens ?? DEFAULT_COMPLETION_RESERVE) * Math.max(1, choices) };
  if (log.meter) await log.meter.reserve(usage.inputTokens, usage.outputTokens);
  if (log.budget) await reserveBudget(log, plan, (price) => costOf(usage, price));
}

/**
 * Reserves a budgeted request's worst case: the most `costAt` gives over the candidates, in the budgets of every
 * model a candidate would serve (the one asked for, a provider's default when none was, a fallback's): the request
 * is counted in the served model's once it is known. A budgeted request is served only by candidates with a known
 * price (an unpriced one could spend without bound); with none left, 403.
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
        planned: true,
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
  await log.budget.reserve(worst, [...new Set(priced.map((c) => c.model.id))]);
}

/** Who served, on the log row, and the price its cost is reckoned at. `model` is what the provider reported. */
export function noteServed(log: LogRecorder, candidate: Candidate, model?: string): void {
  log.entry.provider = candidate.runtime.config.id;
  log.servedModelId = candidate.model.id;
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
  /** Where the answer stands, for another provider to carry it on; null when it cannot be (a tool call begun). */
  resume?(): Resumption | null;
}

/** An encoder that goes on writing a stream another provider began, in its ids and numbering. */
export interface ContinuingEncoder extends StreamEncoder<RelayItem> {
  /** From here on `provider` writes; the last events say how the answer was continued. */
  annotate(provider: string, continuation: Continuation): void;
}

/** Where an answer stands when its provider broke (answer continuity). */
export interface Resumption {
  /** The answer's text the client has. */
  text: string;
  /** Only the end was lost (the provider had finished): the stream just ends. */
  complete: boolean;
  encoder: ContinuingEncoder;
}

/** Where a stream's items come from, per candidate, and which of them the client would see. */
export interface StreamSource {
  /** One item at a time, or several together (a native provider's events of one read: written to the client at once). */
  open(candidate: Candidate, ctx: CallContext): AsyncIterator<RelayItem | RelayItem[]>;
  /** Carries something the client sees (text, a tool call, an end): failover is over once one is sent. */
  substantive: (item: RelayItem) => boolean;
  encoder(candidate: Candidate): StreamEncoder<RelayItem>;
  /** Answer continuity, on the APIs that offer it. */
  recovery?: StreamRecoveryOption;
}

/** What answer continuity needs of a request: whether it was asked for, and the request in the canonical model. */
export interface StreamRecoveryOption {
  /** The request's `stream_recovery`, else its key's default (null: the broken provider's config decides). */
  mode: StreamRecovery | null;
  /** The request another provider continues (null: it cannot be translated, e.g. a built-in tool). */
  request(): CanonicalRequest | null;
}

/** The request in the canonical model, for a continuation; null where it cannot be translated. */
export function canonicalOrNull(decode: () => CanonicalRequest): CanonicalRequest | null {
  try {
    return decode();
  } catch (err) {
    if (err instanceof GatewayError) return null;
    throw err;
  }
}

/** The request's own choice of stream recovery, else its key's. */
export const recoveryMode = (policy: RoutingPolicy, auth: AuthContext): StreamRecovery | null => policy.streamRecovery ?? auth.streamRecovery ?? null;

/** How many leading empty items (role announcements, pings) are held back while failover is still allowed. */
const MAX_HELD_CHUNKS = 16;

/** One provider's part of a streamed answer: usually the only one; more when a broken stream was continued. */
interface Segment {
  candidate: Candidate;
  /** Its place in the plan: a continuation is asked of the candidates after it. */
  index: number;
  iterator: AsyncIterator<RelayItem | RelayItem[]>;
  held: RelayItem[];
  done: boolean;
  release: () => void;
  encoder: StreamEncoder<RelayItem>;
  /** A continuation's seam: what of its parts may reach the client. */
  seam?: Seam;
}

/** Opens `iterator` and holds its first items until one the client would see: until then failing over is invisible. */
async function holdFirst(iterator: AsyncIterator<RelayItem | RelayItem[]>, substantive: (item: RelayItem) => boolean) {
  const held: RelayItem[] = [];
  let done = false;
  let seen = false;
  // No try/catch to close the iterator on a failure here: a generator that throws is closed already, and the
  // try around these awaits cost 1.5 µs per stream (bench/handler.mjs).
  while (!seen && held.length < MAX_HELD_CHUNKS) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    // A batch is held whole: what came with the first substantive item goes out with it.
    for (const item of Array.isArray(next.value) ? next.value : [next.value]) {
      held.push(item);
      seen ||= substantive(item);
    }
  }
  return { iterator, held, done };
}

const EMPTY: AsyncIterator<RelayItem | RelayItem[]> = { next: async () => ({ done: true, value: undefined }) };

/**
 * Opens the stream on the first provider that starts one, holding the first items until one has content: until
 * then, failing over is invisible. After that a provider that breaks ends the stream in-band, or, with
 * `stream_recovery: "continue"`, the next candidate continues the answer from the text already sent, in the same
 * stream (the seam, below). `deadline` bounds the whole stream; its signal is what providers see.
 */
export async function streamWithFailover(
  deps: ServeDeps,
  plan: RoutePlan,
  deadline: Deadline,
  log: LogRecorder,
  source: StreamSource,
): Promise<GatewayHttpResponse> {
  const options = { signal: deadline.signal, timeouts: deps.timeouts };
  const first = await runWithFailover(plan, options, (c, ctx) => holdFirst(source.open(c, ctx), source.substantive));
  const id = first.candidate.runtime.config.id;
  noteServed(log, first.candidate);
  log.markFirstToken();
  const segment: Segment = {
    ...first.result,
    candidate: first.candidate,
    index: plan.candidates.indexOf(first.candidate),
    release: first.release,
    encoder: source.encoder(first.candidate),
  };
  const answer = new AnswerStream(plan, options, deadline, log, source, segment);
  return { status: 200, headers: { ...SSE_HEADERS, "x-interference-provider": id }, body: answer.events() };
}

/**
 * One streamed answer as the client gets it: its segments (one per provider that wrote part of it) in one stream.
 * A class rather than closures in streamWithFailover: its methods are made once, not per request (bench/handler.mjs).
 */
class AnswerStream {
  /** The providers that wrote the answer, in order, and where each after the first took over. */
  private readonly writers: string[];
  private readonly seams: number[] = [];

  constructor(
    private readonly plan: RoutePlan,
    private readonly options: { signal: AbortSignal; timeouts: Timeouts },
    private readonly deadline: Deadline,
    private readonly log: LogRecorder,
    private readonly source: StreamSource,
    private segment: Segment,
  ) {
    this.writers = [segment.candidate.runtime.config.id];
  }

  /** The provider broke after it started serving: the log's chain and its health say so. */
  private broken(s: Segment, error: string): Attempt | undefined {
    const provider = s.candidate.runtime.config.id;
    const attempt = this.plan.attempts.findLast((a) => a.provider === provider && a.outcome === "served");
    if (attempt) Object.assign(attempt, { outcome: "failed", reason: `stream interrupted after content: ${error}` });
    s.candidate.runtime.health.recordFailure(`stream interrupted: ${error}`);
    return attempt;
  }

  /**
   * The seam: the next candidates (after the broken one, in the plan's order) are asked to continue the answer
   * from the text the client has, by prefill where the adapter takes it, else by instruction
   * (canonical/continuation.ts). Null when it is not asked for or cannot be done; the reason goes on the log.
   */
  private async continued(s: Segment, attempt: Attempt | undefined): Promise<Segment | null> {
    const recovery = this.source.recovery;
    if (!recovery || (recovery.mode ?? s.candidate.runtime.config.stream_recovery) !== "continue") return null;
    const note = (why: string) => {
      if (attempt) attempt.reason += `; not continued: ${why}`;
      return null;
    };
    const at = s.encoder.resume?.();
    if (!at) return note("a tool call or more than one answer was under way");
    if (at.complete) return { ...s, iterator: EMPTY, held: [], done: true, release: () => undefined, encoder: at.encoder };
    const request = recovery.request();
    if (!request) return note("the request cannot be translated for another provider");
    const offset = characterCount(at.text);
    const from = s.candidate.runtime.config.id;
    const how = (c: Candidate) => (c.runtime.adapter.chat!.prefill ? "prefill" : "instruction");
    const rest = this.plan.candidates
      .slice(s.index + 1)
      .filter((c) => c.runtime.adapter.chat && c.runtime.config.id !== from)
      .map((c) => ({ planned: c, copy: { ...c, why: `continues ${from}'s answer at character ${offset} (${how(c)})` } }));
    if (!rest.length) return note("no other provider to continue it");
    this.log.seal();
    let next;
    try {
      next = await runWithFailover({ candidates: rest.map((r) => r.copy), attempts: this.plan.attempts }, this.options, (c, ctx) => {
        const chat = c.runtime.adapter.chat!;
        const req = continuationRequest(request, at.text, chat.prefill === true, chat.params);
        return holdFirst(chat.stream(req, ctx)[Symbol.asyncIterator](), this.source.substantive);
      });
    } catch (err) {
      if (this.deadline.expired || this.deadline.clientLeft) throw err;
      return note(`no provider could continue it (${(err as Error).message})`);
    }
    const planned = rest.find((r) => r.copy === next.candidate)!.planned;
    const provider = planned.runtime.config.id;
    this.writers.push(provider);
    this.seams.push(offset);
    const continuation = { providers: [...this.writers], seams: [...this.seams] };
    at.encoder.annotate(provider, continuation);
    this.log.price = priceFor(planned.runtime.config, planned.model);
    this.log.continued(continuation);
    if (attempt) attempt.reason += `; continued by ${provider} at character ${offset}`;
    return {
      ...next.result,
      candidate: planned,
      index: this.plan.candidates.indexOf(planned),
      release: next.release,
      encoder: at.encoder,
      seam: new Seam(at.text),
    };
  }

  private write(s: Segment, item: RelayItem): string | null {
    if (!s.seam) return s.encoder.chunk(item);
    const admitted = s.seam.admit(item as StreamPart);
    return admitted && s.encoder.chunk(admitted);
  }

  /** Several items' events as one text: one write to the client. */
  private writeAll(s: Segment, items: readonly RelayItem[]): string {
    let out = "";
    for (const item of items) out += this.write(s, item) ?? "";
    return out;
  }

  async *events(): AsyncGenerator<string> {
    const { deadline, log } = this;
    let status = 200;
    let error: string | null = null;
    try {
      for (;;) {
        const s = this.segment;
        try {
          const held = this.writeAll(s, s.held);
          if (held) yield held;
          if (!s.done) {
            while (true) {
              const next = await s.iterator.next();
              if (next.done) break;
              const text = Array.isArray(next.value) ? this.writeAll(s, next.value) : this.write(s, next.value);
              if (text) yield text;
            }
          }
          break;
        } catch (err) {
          if (deadline.expired || deadline.clientLeft) throw err;
          const next = await this.continued(s, this.broken(s, (err as Error)?.message ?? String(err)));
          if (!next) throw err;
          await s.iterator.return?.().catch(() => undefined);
          s.release();
          this.segment = next;
        }
      }
      // An adapter may end quietly when its signal aborts (the local model stops generating): still a timeout.
      if (deadline.expired) throw new Error(deadlineMessage(deadline.signal)!);
      // Only a stored response's save waits: a plain string is yielded without a microtask turn.
      const end = this.segment.encoder.end();
      yield typeof end === "string" ? end : await end;
    } catch (err) {
      // Too late to fail over: the client has the text so far. End in-band, never mixing in another's.
      const aborted = deadline.clientLeft;
      error = (err as Error)?.message ?? String(err);
      if (deadline.expired) {
        // The request's own time ran out, not the provider: its health is left alone.
        status = 504;
        error = deadlineMessage(deadline.signal)!;
        yield this.segment.encoder.fail(deadlineExceeded(`${error}; the answer above is incomplete`));
        return;
      }
      status = aborted ? 499 : 502;
      if (!aborted) {
        const provider = this.segment.candidate.runtime.config.id;
        const e =
          err instanceof GatewayError ? err : new GatewayError(502, "upstream_error", "stream_interrupted", `Provider ${provider} failed mid-stream: ${error}`);
        yield this.segment.encoder.fail(e);
      }
    } finally {
      if (deadline.clientLeft && status === 200) status = 499;
      await this.segment.iterator.return?.().catch(() => undefined);
      this.segment.release();
      deadline.clear();
      log.finish(status, status === 499 ? "client closed the stream" : error);
    }
  }
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

/**
 * A native provider's event batches as batches of relay items. `item` reads one event (null: the stream's end,
 * nothing to relay; throwing: the provider failed); `last` says an item ends the stream. A stream that stops
 * without its end fails with `unfinished`.
 */
export function nativeItems(
  batches: AsyncIterable<EventSourceMessage[]>,
  item: (event: EventSourceMessage) => NativeItem | null,
  last: (item: NativeItem) => boolean,
  unfinished: string,
): AsyncGenerator<NativeItem[]> {
  return mapEventBatches<NativeItem>(
    batches,
    (event, out) => {
      const next = item(event);
      if (next === null) return true;
      out.push(next);
      return last(next);
    },
    () => {
      throw new UpstreamError(unfinished, "protocol");
    },
  );
}

/** A translating provider's stream, given the canonical request as that provider takes it. */
export function translatedParts(c: Candidate, ctx: CallContext, req: CanonicalRequest): AsyncIterator<StreamPart | StreamPart[]> {
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

/**
 * A usage part as the client gets it: the whole answer's (every provider's part, when it was continued), with what
 * it cost when the served model's price is known.
 */
function withTotals(part: Extract<StreamPart, { type: "usage" }>, log: LogRecorder): StreamPart {
  const total = log.usageTotal() ?? part.usage;
  const cost = log.cost;
  if (total === part.usage && cost === null) return part;
  return { type: "usage", usage: cost === null ? total : { ...total, cost } };
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
  /** Another provider continues the answer from here (answer continuity); an API without it is not continued. */
  annotate?(provider: string, continuation: Continuation): void;
}

/**
 * A translating provider's parts → `encoder`'s events; the opening events go first whatever comes. `finish.fail`
 * writes the API's own failure events; `finish.saved`, when given, runs (a stored response is saved) before the
 * end is sent. `resumed` is the text of an answer another provider began, whose stream `encoder` continues.
 */
export function partsEncoder(
  encoder: PartEncoder,
  log: LogRecorder,
  finish: { fail(error: GatewayError): string; saved?(): Promise<void> },
  resumed?: { text: string },
): ContinuingEncoder {
  let started = resumed !== undefined;
  const start = () => (started ? "" : ((started = true), encoder.start()));
  // What a continuation needs: the first answer's text, and whether anything else (a tool call, a second answer)
  // makes the answer one that cannot be carried on.
  let text = resumed?.text ?? "";
  let plain = true;
  let finished = false;
  const self: ContinuingEncoder = {
    chunk(item) {
      if (item.type === "native") return null;
      recordPart(item, log);
      if (item.type === "text" && !item.choice) text += item.delta;
      else if (item.type === "tool_call_start" || (item.type !== "usage" && item.type !== "model" && item.choice)) plain = false;
      else if (item.type === "finish") finished = true;
      const out = start() + encoder.part(item.type === "usage" ? withTotals(item, log) : item);
      return out || null;
    },
    end() {
      const out = start() + encoder.end();
      return finish.saved ? finish.saved().then(() => out) : out;
    },
    fail: (error) => start() + finish.fail(error),
    annotate: (provider, continuation) => encoder.annotate?.(provider, continuation),
    resume: () => (plain && encoder.annotate ? { text, complete: finished, encoder: self } : null),
  };
  return self;
}
