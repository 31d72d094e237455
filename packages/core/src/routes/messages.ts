/**
 * Anthropic's Messages API: POST /v1/messages (JSON or its event stream) and POST /v1/messages/count_tokens.
 * An `anthropic` provider gets the request as it came (native passthrough); any other family gets it decoded into
 * the canonical model. One request may fail over across both kinds.
 */
import type { EventSourceMessage } from "eventsource-parser";
import type { RoutingPolicy } from "../routing/policy.js";
import { GatewayError, UpstreamError } from "../errors.js";
import type { CallContext, NativeRequestBody } from "../adapters/types.js";
import { decodeMessagesRequest } from "../apis/messages/decode-request.js";
import { encodeMessage, messageId } from "../apis/messages/encode-result.js";
import { MessagesStreamEncoder, type MessagesResume } from "../apis/messages/encode-stream.js";
import { anthropicErrorType } from "../apis/messages/errors.js";
import { estimateInputTokens } from "../apis/messages/count-tokens.js";
import { countTokensRequestSchema, messagesRequestSchema, TRANSLATED_FIELDS, type CountTokensRequest, type MessageObject } from "../apis/messages/schema.js";
import { MESSAGES_HINTS, messagesParamName } from "../apis/messages/params.js";
import { toUsage } from "../adapters/anthropic/from-response.js";
import type { AnthropicUsage } from "../adapters/anthropic/wire.js";
import type { CanonicalRequest } from "../canonical/types.js";
import { planRoute, requestDeadline, runWithFailover, type Candidate, type RoutePlan } from "../routing/router.js";
import { canonicalFor, nativeBody, planMixed, speaks, type ApiTranslation } from "./native.js";
import { encodedIfUnchanged } from "./native-bytes.js";
import { json, type GatewayHttpRequest, type GatewayHttpResponse } from "../http/types.js";
import type { LogRecorder } from "../logging/recorder.js";
import type { AuthContext } from "../auth/types.js";
import { scopeOf } from "../auth/scope.js";
import { validate } from "./body.js";
import {
  eventData,
  addCost,
  isSubstantivePart,
  noteRequest,
  reserveUsage,
  noteServed,
  partsEncoder,
  streamWithFailover,
  translatedParts,
  nativeItems,
  type NativeItem,
  type ServeDeps,
  type StreamSource,
  canonicalOrNull,
  recoveryMode,
} from "./serve-chat.js";

const native = speaks("messages");
const isNative = (c: Candidate) => native(c.runtime);

const MESSAGES: ApiTranslation = { api: "messages", translatedFields: TRANSLATED_FIELDS, paramName: messagesParamName, hints: MESSAGES_HINTS };

/** The headers a native provider gets from the client: Anthropic's version and beta flags, never credentials. */
function forwardedHeaders(req: Pick<GatewayHttpRequest, "headers">): Record<string, string> {
  const out: Record<string, string> = { "anthropic-version": req.headers["anthropic-version"] ?? "2023-06-01" };
  const beta = req.headers["anthropic-beta"];
  if (beta) out["anthropic-beta"] = beta;
  return out;
}

function recordAnthropicUsage(log: LogRecorder, usage: AnthropicUsage | null | undefined): void {
  if (usage) log.setUsage(toUsage(usage));
}

export async function createMessage(
  deps: ServeDeps,
  rawBody: Record<string, unknown>,
  policy: RoutingPolicy,
  auth: AuthContext,
  request: Pick<GatewayHttpRequest, "signal" | "abort" | "headers">,
  log: LogRecorder,
  /** A response cache hit's plan (cache/hit.ts). */
  cached?: RoutePlan | null,
): Promise<GatewayHttpResponse> {
  noteRequest(log, rawBody);
  const body = validate(messagesRequestSchema, rawBody);
  const decode = (lenient: boolean) => decodeMessagesRequest(body, { dropUnsupportedTools: lenient });
  const { plan: routePlan, canonical, promptTokens } = planMixed(deps.registry, rawBody, policy, auth, MESSAGES, decode, undefined, cached);
  if (!cached) await reserveUsage(log, routePlan, promptTokens, body.max_tokens);
  log.setPlan(routePlan);
  const headers = forwardedHeaders(request);
  const id = messageId();
  const deadline = requestDeadline(request, deps.timeouts);

  if (!body.stream) {
    try {
      const { result, candidate, release } = await runWithFailover(routePlan, { signal: deadline.signal, timeouts: deps.timeouts }, async (c, ctx) => {
        if (isNative(c)) {
          const answer = (await c.runtime.adapter.native!.messages!.send(
            "/messages",
            encodedIfUnchanged(rawBody, nativeBody(rawBody, ctx.upstreamModel, false)),
            headers,
            ctx,
          )) as MessageObject;
          if (!answer || typeof answer !== "object" || answer.type !== "message") throw new UpstreamError("response is not an Anthropic message", "protocol");
          return answer;
        }
        const result = await c.runtime.adapter.chat!.complete(canonicalFor(canonical!, c), ctx);
        return encodeMessage(id, { ...result, model: result.model || ctx.upstreamModel });
      });
      release();
      const provider = candidate.runtime.config.id;
      noteServed(log, candidate, result.model);
      recordAnthropicUsage(log, result.usage as AnthropicUsage);
      addCost(result.usage as unknown as Record<string, unknown>, log);
      log.finish(200);
      return json(200, { ...result, provider }, { "x-interference-provider": provider });
    } finally {
      deadline.clear();
    }
  }

  try {
    const recovery = {
      mode: recoveryMode(policy, auth),
      request: () => canonical ?? canonicalOrNull(() => decodeMessagesRequest(body, { dropUnsupportedTools: false })),
    };
    return await streamWithFailover(deps, routePlan, deadline, log, { ...streamSource(rawBody, canonical, headers, id, log), recovery });
  } catch (err) {
    deadline.clear();
    throw err;
  }
}

/** Anthropic events that show the client something: failover is over once one is sent. */
const SUBSTANTIVE_EVENTS = new Set(["content_block_delta", "message_delta", "message_stop"]);

/** A native provider's events, parsed on the side for the log, ending with message_stop or an error. */
function nativeEvents(c: Candidate, ctx: CallContext, body: NativeRequestBody, headers: Record<string, string>): AsyncIterator<NativeItem[]> {
  let substantive = false;
  const item = (event: EventSourceMessage): NativeItem => {
    const data = eventData(event);
    if (data?.type === "error" && !substantive) {
      // Before any content, an error event is a failed attempt like any other: the router may fail over.
      const type = String(data.error?.type ?? "api_error");
      throw new UpstreamError(`error in stream: ${data.error?.message ?? type}`, "http", type === "overloaded_error" ? 529 : 500, undefined, type);
    }
    substantive ||= SUBSTANTIVE_EVENTS.has(data?.type);
    return { type: "native", event, data };
  };
  const batches = c.runtime.adapter.native!.messages!.stream("/messages", body, headers, ctx);
  return nativeItems(batches, item, endsMessage, "stream ended before message_stop");
}

const endsMessage = (item: NativeItem) => item.data?.type === "message_stop" || item.data?.type === "error";

function streamSource(
  raw: Record<string, unknown>,
  canonical: CanonicalRequest | null,
  headers: Record<string, string>,
  id: string,
  log: LogRecorder,
): StreamSource {
  return {
    open: (c, ctx) =>
      isNative(c) ? nativeEvents(c, ctx, encodedIfUnchanged(raw, nativeBody(raw, ctx.upstreamModel, true)), headers) : translatedParts(c, ctx, canonical!),
    substantive: (item) => (item.type === "native" ? SUBSTANTIVE_EVENTS.has(item.data.type) : isSubstantivePart(item)),
    encoder(candidate) {
      const fail = (e: GatewayError) =>
        `event: error\ndata: ${JSON.stringify({ type: "error", error: { type: anthropicErrorType(e), message: e.message } })}\n\n`;
      if (isNative(candidate)) {
        // Relayed as they came; read for the log, and for a continuation: the message, its open block, its text.
        let usage: AnthropicUsage = {};
        const message = { id, model: candidate.model.upstream };
        let block: MessagesResume["block"] = null;
        let nextIndex = 0;
        let text = "";
        let plain = true;
        let finished = false;
        return {
          resume() {
            if (!plain) return null;
            const encoder = new MessagesStreamEncoder(message.id, message.model, { block, nextIndex });
            return { text, complete: finished, encoder: partsEncoder(encoder, log, { fail: (e) => encoder.fail(anthropicErrorType(e), e.message) }, { text }) };
          },
          chunk(item) {
            if (item.type !== "native") return null;
            const d = item.data;
            if (d.type === "content_block_start") {
              const kind = d.content_block?.type;
              if (kind === "text" || kind === "thinking") block = { kind, index: d.index };
              else plain = false; // a tool call, a server tool's result: not carried on by another provider
              nextIndex = Math.max(nextIndex, Number(d.index) + 1);
            } else if (d.type === "content_block_stop") block = null;
            else if (d.type === "message_start") {
              usage = { ...d.message?.usage };
              if (d.message?.model) log.entry.servedModel = d.message.model;
              Object.assign(message, { id: d.message?.id ?? id, model: d.message?.model ?? message.model });
            } else if (d.type === "message_delta") {
              finished ||= d.delta?.stop_reason != null;
              usage = { ...usage, ...Object.fromEntries(Object.entries(d.usage ?? {}).filter(([, v]) => v != null)) };
              recordAnthropicUsage(log, usage);
              // The final usage carries what it cost: the one event re-encoded rather than relayed.
              if (log.cost !== null && d.usage) {
                addCost(d.usage, log);
                return `event: ${item.event.event ?? d.type}\ndata: ${JSON.stringify(d)}\n\n`;
              }
            } else if (d.type === "content_block_delta") {
              log.deliveredChars += (d.delta?.text ?? d.delta?.partial_json ?? d.delta?.thinking ?? "").length;
              if (d.delta?.type === "text_delta") text += d.delta.text ?? "";
            }
            return `event: ${item.event.event ?? d.type}\ndata: ${item.event.data}\n\n`;
          },
          end: () => "",
          fail,
        };
      }
      const encoder = new MessagesStreamEncoder(id, candidate.model.upstream);
      return partsEncoder(encoder, log, { fail: (e) => encoder.fail(anthropicErrorType(e), e.message) });
    },
  };
}

/** POST /v1/messages/count_tokens: Anthropic's own count where an Anthropic provider serves the model, else an estimate. */
export async function countTokens(
  deps: ServeDeps,
  rawBody: Record<string, unknown>,
  policy: RoutingPolicy,
  auth: AuthContext,
  request: Pick<GatewayHttpRequest, "signal" | "abort" | "headers">,
  log: LogRecorder,
): Promise<GatewayHttpResponse> {
  noteRequest(log, rawBody);
  const body = validate(countTokensRequestSchema, rawBody);
  const routePlan = planRoute(deps.registry, { model: body.model, policy }, "chat", scopeOf(auth), native);
  log.setPlan(routePlan);
  /** Anthropic's own count, from the first native provider that answers. */
  const nativeCount = async (): Promise<GatewayHttpResponse> => {
    const deadline = requestDeadline(request, deps.timeouts);
    try {
      const { result, candidate, release } = await runWithFailover(routePlan, { signal: deadline.signal, timeouts: deps.timeouts }, async (c, ctx) => {
        const answer = (await c.runtime.adapter.native!.messages!.send(
          "/messages/count_tokens",
          encodedIfUnchanged(rawBody, nativeBody(rawBody, ctx.upstreamModel)),
          forwardedHeaders(request),
          ctx,
        )) as {
          input_tokens?: unknown;
        };
        if (typeof answer?.input_tokens !== "number") throw new UpstreamError("count_tokens answer has no input_tokens", "protocol");
        return answer;
      });
      release();
      log.entry.provider = candidate.runtime.config.id;
      log.finish(200);
      return json(200, result, { "x-interference-provider": candidate.runtime.config.id, "x-interference-token-count": "exact" });
    } finally {
      deadline.clear();
    }
  };
  if (isNative(routePlan.candidates[0]!)) {
    routePlan.candidates = routePlan.candidates.filter(isNative);
    try {
      return await nativeCount();
    } catch (err) {
      // A provider that cannot count (no count_tokens endpoint, or down) is no reason to fail the request: the
      // estimate answers, marked as such. The client's own mistakes, its leaving and its deadline still answer.
      const e = err instanceof GatewayError ? err : null;
      if (!e || e.code === "upstream_rejected" || e.status === 499 || e.status === 504) throw err;
      log.entry.provider = routePlan.candidates[0]!.runtime.config.id;
      log.finish(200);
      return json(
        200,
        { input_tokens: estimateInputTokens(body) },
        { "x-interference-provider": log.entry.provider, "x-interference-token-count": "estimated" },
      );
    }
  }
  const first = routePlan.candidates[0]!;
  const provider = first.runtime.config.id;
  log.entry.provider = provider;
  const exact = await exactCount(first, body, { signal: request.signal, upstreamModel: first.model.upstream, timeouts: deps.timeouts });
  log.finish(200);
  return json(
    200,
    { input_tokens: exact ?? estimateInputTokens(body) },
    { "x-interference-provider": provider, "x-interference-token-count": exact === null ? "estimated" : "exact" },
  );
}

/**
 * The count from a translating provider's own tokenizer (the embedded model has one), or null where it has none,
 * is not ready, or cannot take the request (an image for a text-only model): the estimate answers then.
 */
async function exactCount(candidate: Candidate, body: CountTokensRequest, ctx: CallContext): Promise<number | null> {
  const chat = candidate.runtime.adapter.chat;
  if (!chat?.countTokens) return null;
  try {
    return await chat.countTokens(decodeMessagesRequest({ ...body, max_tokens: 1 }), ctx);
  } catch (err) {
    if (err instanceof GatewayError || err instanceof UpstreamError) return null;
    throw err;
  }
}
