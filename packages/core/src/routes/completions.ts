/**
 * POST /v1/completions, OpenAI's legacy text completions: passed through to providers with a native endpoint
 * (`completions_api: true`), translated into the canonical model for every other provider.
 */
import type { EventSourceMessage } from "eventsource-parser";
import type { RoutingPolicy } from "../routing/policy.js";
import { UpstreamError, badRequest } from "../errors.js";
import type { CallContext, NativeRequestBody } from "../adapters/types.js";
import { completionsRequestSchema, DEFAULT_MAX_TOKENS, TRANSLATED_FIELDS, type TextCompletion } from "../apis/completions/schema.js";
import { decodeCompletionsRequest, promptsOf } from "../apis/completions/decode-request.js";
import { encodeResult } from "../apis/completions/encode-result.js";
import { CompletionsStreamEncoder } from "../apis/completions/encode-stream.js";
import { CHAT_PARAM_NAMES } from "../apis/chat-completions/params.js";
import type { CanonicalResult } from "../canonical/types.js";
import { usageFromChat } from "../adapters/openai/from-response.js";
import { completionId, nowSeconds } from "../openai/ids.js";
import { requestDeadline, runWithFailover, type Candidate } from "../routing/router.js";
import { json, type GatewayHttpRequest, type GatewayHttpResponse } from "../http/types.js";
import type { LogRecorder } from "../logging/recorder.js";
import type { AuthContext } from "../auth/types.js";
import { validate } from "./body.js";
import { canonicalFor, nativeBody, planMixed, speaks, type ApiTranslation } from "./native.js";
import { encodedIfUnchanged } from "./native-bytes.js";
import {
  addCost,
  eventData,
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
} from "./serve-chat.js";

const native = speaks("completions");
const isNative = (c: Candidate) => native(c.runtime);

/** Its settings have Chat Completions' names. */
const COMPLETIONS: ApiTranslation = { api: "completions", translatedFields: TRANSLATED_FIELDS, paramName: (p) => CHAT_PARAM_NAMES[p] };

export async function createCompletion(
  deps: ServeDeps,
  rawBody: Record<string, unknown>,
  policy: RoutingPolicy,
  auth: AuthContext,
  request: Pick<GatewayHttpRequest, "signal" | "abort">,
  log: LogRecorder,
): Promise<GatewayHttpResponse> {
  noteRequest(log, rawBody);
  const body = validate(completionsRequestSchema, rawBody);
  let prompts: string[] = [];
  const { plan, canonical, promptTokens } = planMixed(deps.registry, rawBody, policy, auth, COMPLETIONS, () => {
    prompts = promptsOf(body);
    if (body.stream && prompts.length > 1) {
      throw badRequest("unsupported_value", "streaming several prompts at once is served only by providers with a native completions endpoint", "prompt");
    }
    return decodeCompletionsRequest(body, prompts[0]!);
  });
  await reserveUsage(
    log,
    plan,
    promptTokens,
    body.max_tokens || DEFAULT_MAX_TOKENS,
    Math.max(body.n ?? 1, typeof rawBody.best_of === "number" ? rawBody.best_of : 1),
  );
  log.setPlan(plan);
  const id = completionId("cmpl");
  const created = nowSeconds();
  const deadline = requestDeadline(request, deps.timeouts);
  if (!body.stream) {
    try {
      const { result, candidate, release } = await runWithFailover(plan, { signal: deadline.signal, timeouts: deps.timeouts }, async (c, ctx) => {
        if (isNative(c)) {
          const answer = (await c.runtime.adapter.native!.completions!.send(
            "/completions",
            encodedIfUnchanged(rawBody, nativeBody(rawBody, ctx.upstreamModel)),
            {},
            ctx,
          )) as TextCompletion;
          if (!answer || !Array.isArray(answer.choices)) throw new UpstreamError("response has no choices", "protocol");
          return answer;
        }
        const answers: CanonicalResult[] = [];
        for (const prompt of prompts) {
          const answer = await c.runtime.adapter.chat!.complete(canonicalFor(decodeCompletionsRequest(body, prompt), c), ctx);
          answers.push({ ...answer, model: answer.model || ctx.upstreamModel });
        }
        return encodeResult(id, created, answers, body.n ?? 1);
      });
      release();
      const provider = candidate.runtime.config.id;
      noteServed(log, candidate, result.model);
      log.setUsage(usageFromChat(result.usage));
      addCost(result.usage, log);
      log.finish(200);
      return json(200, { ...result, provider }, { "x-interference-provider": provider });
    } finally {
      deadline.clear();
    }
  }
  const includeUsage = body.stream_options?.include_usage === true;
  const source: StreamSource = {
    open: (c, ctx) =>
      isNative(c) ? nativeEvents(c, ctx, encodedIfUnchanged(rawBody, nativeBody(rawBody, ctx.upstreamModel, true))) : translatedParts(c, ctx, canonical!),
    substantive: (item) =>
      item.type === "native"
        ? !item.data || Boolean(item.data.usage || (item.data as TextCompletion).choices?.some((c) => c.text || c.finish_reason))
        : isSubstantivePart(item),
    encoder(candidate) {
      const provider = candidate.runtime.config.id;
      const fail = (e: { toBody(): unknown }) => `data: ${JSON.stringify(e.toBody())}\n\ndata: [DONE]\n\n`;
      if (!isNative(candidate)) {
        const encoder = new CompletionsStreamEncoder(id, created, candidate.model.upstream, provider, includeUsage);
        return partsEncoder(encoder, log, { fail });
      }
      // Relayed as they came, [DONE] included; read for the log.
      return {
        chunk(item) {
          if (item.type !== "native") return null;
          for (const c of item.data?.choices ?? []) log.deliveredChars += c.text?.length ?? 0;
          if (item.data?.usage) {
            log.setUsage(usageFromChat(item.data.usage));
            // The usage chunk carries what it cost: the one chunk re-encoded rather than relayed.
            if (log.cost !== null) {
              addCost(item.data.usage, log);
              return `data: ${JSON.stringify(item.data)}\n\n`;
            }
          }
          return `data: ${item.event.data}\n\n`;
        },
        end: () => "",
        fail,
      };
    },
  };
  try {
    return await streamWithFailover(deps, plan, deadline, log, source);
  } catch (err) {
    deadline.clear();
    throw err;
  }
}

/** A native provider's chunks, relayed with their closing [DONE]. */
function nativeEvents(c: Candidate, ctx: CallContext, body: NativeRequestBody): AsyncIterator<NativeItem[]> {
  const batches = c.runtime.adapter.native!.completions!.stream("/completions", body, {}, ctx);
  return nativeItems(batches, completionItem, isDone, "stream ended before [DONE]");
}

function completionItem(event: EventSourceMessage): NativeItem {
  if (event.data === "[DONE]") return { type: "native", event, data: null };
  const data = eventData(event) as TextCompletion & { error?: { message?: string } };
  if (data?.error) throw new UpstreamError(`error in stream: ${data.error.message ?? "unknown"}`, "protocol");
  return { type: "native", event, data };
}
const isDone = (item: NativeItem) => item.data === null;
