/**
 * POST /v1/chat/completions: an `openai` provider gets the request as it came (native passthrough: every
 * parameter, next month's included); any other family gets it decoded into the canonical model. One request may
 * fail over across both kinds. JSON or SSE.
 */
import type { EventSourceMessage } from "eventsource-parser";
import type { RoutingPolicy } from "../routing/policy.js";
import { UpstreamError } from "../errors.js";
import type { CallContext, NativeRequestBody } from "../adapters/types.js";
import { chatRequestSchema, type ChatCompletion, type ChatCompletionChunk } from "../openai/schema.js";
import { completionId, nowSeconds } from "../openai/ids.js";
import { decodeChatRequest } from "../apis/chat-completions/decode-request.js";
import { encodeResult } from "../apis/chat-completions/encode-result.js";
import { ChatStreamEncoder } from "../apis/chat-completions/encode-stream.js";
import { chatParamName, TRANSLATED_FIELDS } from "../apis/chat-completions/params.js";
import { usageFromChat } from "../adapters/openai/from-response.js";
import { parseChunk } from "../adapters/openai/from-stream.js";
import { requestDeadline, runWithFailover, type Candidate, type RoutePlan } from "../routing/router.js";
import { json, type GatewayHttpRequest, type GatewayHttpResponse } from "../http/types.js";
import type { LogRecorder } from "../logging/recorder.js";
import type { AuthContext } from "../auth/types.js";
import { validate } from "./body.js";
import { canonicalFor, nativeBody, planMixed, speaks, type ApiTranslation } from "./native.js";
import { encodedIfUnchanged } from "./native-bytes.js";
import {
  isSubstantivePart,
  noteRequest,
  reserveUsage,
  noteServed,
  addCost,
  partsEncoder,
  streamWithFailover,
  translatedParts,
  nativeItems,
  type NativeItem,
  type RelayItem,
  type ServeDeps,
  type StreamEncoder,
  type StreamSource,
  canonicalOrNull,
  recoveryMode,
} from "./serve-chat.js";

export type ChatDeps = ServeDeps;

const native = speaks("chat");
const isNative = (c: Candidate) => native(c.runtime);

const CHAT: ApiTranslation = { api: "chat", translatedFields: TRANSLATED_FIELDS, paramName: chatParamName };

export async function chatCompletions(
  deps: ChatDeps,
  rawBody: Record<string, unknown>,
  policy: RoutingPolicy,
  auth: AuthContext,
  request: Pick<GatewayHttpRequest, "signal" | "abort">,
  log: LogRecorder,
  /** A response cache hit's plan (cache/hit.ts). */
  cached?: RoutePlan | null,
): Promise<GatewayHttpResponse> {
  noteRequest(log, rawBody);
  const body = validate(chatRequestSchema, rawBody);
  const { plan, canonical, promptTokens } = planMixed(deps.registry, rawBody, policy, auth, CHAT, () => decodeChatRequest(body), undefined, cached);
  // Everything billed as input (messages, tools, schemas, images), and every answer `n` asks for. A hit spends none.
  if (!cached) await reserveUsage(log, plan, promptTokens, body.max_completion_tokens ?? body.max_tokens, body.n ?? 1);
  log.setPlan(plan);
  // The id and time of an answer the gateway encodes itself (a native provider's answer has its own).
  const stamp = () => ({ id: completionId(), created: nowSeconds() });
  const deadline = requestDeadline(request, deps.timeouts);
  if (!body.stream) {
    try {
      const { result, candidate, release } = await runWithFailover(plan, { signal: deadline.signal, timeouts: deps.timeouts }, async (c, ctx) => {
        if (isNative(c)) {
          const answer = (await c.runtime.adapter.native!.chat!.send(
            "/chat/completions",
            encodedIfUnchanged(rawBody, nativeBody(rawBody, ctx.upstreamModel, false)),
            {},
            ctx,
          )) as ChatCompletion;
          if (!answer || !Array.isArray(answer.choices)) throw new UpstreamError("response has no choices", "protocol");
          answer.model ||= ctx.upstreamModel;
          return answer;
        }
        const result = await c.runtime.adapter.chat!.complete(canonicalFor(canonical!, c), ctx);
        const { id, created } = stamp();
        return encodeResult(id, created, { ...result, model: result.model || ctx.upstreamModel });
      });
      release();
      const provider = candidate.runtime.config.id;
      result.provider = provider;
      // Fields OpenAI's spec requires that some compatible servers leave out (Ollama, vLLM, the fakes of tests).
      for (const choice of result.choices) {
        if (choice.logprobs === undefined) choice.logprobs = null;
        if (choice.message && choice.message.refusal === undefined) choice.message.refusal = null;
      }
      noteServed(log, candidate, result.model);
      log.setUsage(usageFromChat(result.usage));
      // What it cost, as OpenRouter reports it: in the usage, in USD.
      addCost(result.usage, log);
      log.finish(200);
      return json(200, result, { "x-interference-provider": provider });
    } finally {
      deadline.clear();
    }
  }
  const includeUsage = body.stream_options?.include_usage === true;
  const source: StreamSource = {
    open: (c, ctx) =>
      isNative(c) ? nativeChunks(c, ctx, encodedIfUnchanged(rawBody, streamBody(rawBody, ctx.upstreamModel))) : translatedParts(c, ctx, canonical!),
    substantive: (item) => (item.type === "native" ? isSubstantiveChunk(item.data) : isSubstantivePart(item)),
    encoder(candidate) {
      const provider = candidate.runtime.config.id;
      if (isNative(candidate)) return chunkEncoder(provider, includeUsage, log);
      const encoder = new ChatStreamEncoder({ ...stamp(), model: candidate.model.upstream, provider, includeUsage });
      return partsEncoder(encoder, log, { fail: errorEnd });
    },
    recovery: { mode: recoveryMode(policy, auth), request: () => canonical ?? canonicalOrNull(() => decodeChatRequest(body)) },
  };
  try {
    return await streamWithFailover(deps, plan, deadline, log, source);
  } catch (err) {
    deadline.clear(); // a stream that started clears it when it ends
    throw err;
  }
}

/** The native body of a stream: usage is always asked for, so every streamed request is logged with its tokens. */
function streamBody(raw: Record<string, unknown>, model: string): Record<string, unknown> {
  const body = nativeBody(raw, model, true);
  body.stream_options = { ...(raw.stream_options as object | null | undefined), include_usage: true };
  return body;
}

/** A native provider's chunks, parsed; the stream must end with [DONE]. */
function nativeChunks(c: Candidate, ctx: CallContext, body: NativeRequestBody): AsyncIterator<NativeItem[]> {
  const batches = c.runtime.adapter.native!.chat!.stream("/chat/completions", body, {}, ctx);
  // An OpenAI stream always ends with [DONE]; without it the connection was cut mid-answer.
  return nativeItems(batches, chunkItem, NEVER_LAST, "stream ended before [DONE]");
}

const chunkItem = (event: EventSourceMessage): NativeItem | null => (event.data === "[DONE]" ? null : { type: "native", event, data: parseChunk(event.data) });
const NEVER_LAST = () => false;

/** A chunk that carries something the client sees (text, a tool call, an end). */
function isSubstantiveChunk(chunk: ChatCompletionChunk): boolean {
  if (chunk.usage) return true;
  return chunk.choices.some(
    (c) => (c.delta?.content ?? "") !== "" || c.delta?.tool_calls?.length || c.delta?.refusal || c.delta?.reasoning_content || c.finish_reason,
  );
}

const errorEnd = (error: { toBody(): unknown }) => `data: ${JSON.stringify(error.toBody())}\n\ndata: [DONE]\n\n`;

/**
 * A native provider's chunks as they came, named with the provider; usage only when asked for. What a
 * continuation needs is read on the side: the stream's id, the first answer's text, and whether it is plain text.
 */
function chunkEncoder(provider: string, includeUsage: boolean, log: LogRecorder): StreamEncoder<RelayItem> {
  const stream = { id: "", created: 0, model: "" };
  const providerMember = `,"provider":${JSON.stringify(provider)}}`;
  let text = "";
  let plain = true;
  let finished = false;
  return {
    resume() {
      if (!plain) return null;
      const encoder = new ChatStreamEncoder({ ...stream, provider, includeUsage, opened: [0] });
      return { text, complete: finished, encoder: partsEncoder(encoder, log, { fail: errorEnd }, { text }) };
    },
    chunk(item) {
      if (item.type !== "native") return null;
      const chunk = item.data as ChatCompletionChunk;
      if (chunk.id) Object.assign(stream, { id: chunk.id, created: chunk.created, model: chunk.model });
      for (const c of chunk.choices) {
        if (c.index || c.delta?.tool_calls?.length) plain = false;
        else text += c.delta?.content ?? "";
        if (c.finish_reason) finished = true;
      }
      if (chunk.usage) {
        log.setUsage(usageFromChat(chunk.usage));
        addCost(chunk.usage, log);
      }
      if (chunk.model) log.entry.servedModel = chunk.model;
      for (const c of chunk.choices) {
        log.deliveredChars += c.delta?.content?.length ?? 0;
        for (const t of c.delta?.tool_calls ?? []) log.deliveredChars += t.function?.arguments?.length ?? 0;
      }
      // Azure opens with a choice-less chunk of prompt-filter results (empty id, model and object): not a chunk
      // OpenAI clients expect, so it is left out.
      if (!chunk.choices.length && !chunk.usage) return null;
      if (!includeUsage && "usage" in chunk) {
        if (!chunk.choices.length) return null;
        delete chunk.usage;
      } else if (!chunk.usage && !("provider" in chunk)) {
        // Unchanged but for the provider's name (a usage chunk has its cost added): its own text with the member
        // spliced in before the closing brace, rather than the parsed chunk serialised again.
        const raw = item.event.data.trimEnd();
        if (raw.endsWith("}")) return `data: ${raw.slice(0, -1)}${providerMember}\n\n`;
      }
      chunk.provider = provider;
      return `data: ${JSON.stringify(chunk)}\n\n`;
    },
    end: () => "data: [DONE]\n\n",
    fail: errorEnd,
  };
}
