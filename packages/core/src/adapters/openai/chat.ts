/**
 * Chat over any OpenAI-compatible API (OpenAI, Groq, Together, OpenRouter, DeepSeek, Mistral, Ollama, vLLM,
 * LM Studio, llama.cpp server), for requests translated from another API. Chat Completions requests themselves go
 * through natively (index.ts).
 */
import { UpstreamError } from "../../errors.js";
import { CANONICAL_PARAMS } from "../../canonical/params.js";
import type { StreamPart } from "../../canonical/types.js";
import type { ChatCompletion } from "../../openai/schema.js";
import type { ProviderConfig } from "../../config/schema.js";
import type { UpstreamClient } from "../../upstream/client.js";
import type { CallContext, ChatCapability } from "../types.js";
import { toOpenAIRequest, type PrefillStyle } from "./to-request.js";
import { resultFromChat } from "./from-response.js";
import { ChatChunkDecoder, parseChunk } from "./from-stream.js";
import { mapEventBatches } from "../../upstream/event-batches.js";

export function authHeaders(config: ProviderConfig): Record<string, string> {
  return {
    "content-type": "application/json",
    ...(config.api_key ? { authorization: `Bearer ${config.api_key}` } : {}),
    ...config.headers,
  };
}

export function openaiChat(config: ProviderConfig, client: UpstreamClient): ChatCapability {
  const url = `${config.base_url}/chat/completions`;
  const headers = authHeaders(config);
  const prefill = config.options.prefill as PrefillStyle | undefined;

  return {
    // Chat Completions has a field for every canonical setting.
    params: new Set(CANONICAL_PARAMS),
    prefill: prefill !== undefined,

    async complete(req, ctx: CallContext) {
      const body = await client.json<ChatCompletion>({
        url,
        headers,
        body: JSON.stringify(toOpenAIRequest(req, ctx.upstreamModel, false, prefill)),
        signal: ctx.signal,
        timeouts: ctx.timeouts,
      });
      if (!body || !Array.isArray(body.choices)) throw new UpstreamError("response has no choices", "protocol");
      return resultFromChat({ ...body, model: body.model || ctx.upstreamModel });
    },

    stream(req, ctx: CallContext): AsyncGenerator<StreamPart[]> {
      const decoder = new ChatChunkDecoder();
      const batches = client.eventBatches({
        url,
        headers: { ...headers, accept: "text/event-stream" },
        body: JSON.stringify(toOpenAIRequest(req, ctx.upstreamModel, true, prefill)),
        signal: ctx.signal,
        timeouts: ctx.timeouts,
      });
      return mapEventBatches<StreamPart>(
        batches,
        (event, out) => {
          if (event.data === "[DONE]") return true;
          out.push(...decoder.decode(parseChunk(event.data)));
          return false;
        },
        () => {
          // An OpenAI stream always ends with [DONE]; without it the connection was cut mid-answer.
          throw new UpstreamError("stream ended before [DONE]", "protocol");
        },
      );
    },
  };
}
