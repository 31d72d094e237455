/** Google Gemini (generateContent / streamGenerateContent) behind the ProviderAdapter interface. */
import { geminiEmbeddings } from "./embeddings.js";
import type { AdapterFactory, CallContext, ChatCapability } from "../types.js";
import { UpstreamClient } from "../../upstream/client.js";
import { UpstreamError } from "../../errors.js";
import type { CanonicalParam } from "../../canonical/params.js";
import type { CanonicalRequest, StreamPart } from "../../canonical/types.js";
import type { ProviderConfig } from "../../config/schema.js";
import { responseSchema } from "./wire.js";
import { toGeminiRequest } from "./to-request.js";
import { fromGeminiResponse } from "./from-response.js";
import { GeminiStreamTranslator } from "./stream.js";
import type { EventSourceMessage } from "eventsource-parser";
import { mapEventBatches } from "../../upstream/event-batches.js";

/** Everything but parallel_tool_calls: false (Gemini cannot hold a turn to one call). */
export const GEMINI_PARAMS: readonly CanonicalParam[] = [
  "temperature",
  "topP",
  "topK",
  "stop",
  "seed",
  "presencePenalty",
  "frequencyPenalty",
  "maxOutputTokens",
  "tools",
  "toolChoice",
  "output",
  "reasoning",
  "n",
  "logprobs",
  "user",
];

export function geminiChat(config: ProviderConfig, client: UpstreamClient): ChatCapability {
  const headers = {
    "content-type": "application/json",
    ...(config.api_key ? { "x-goog-api-key": config.api_key } : {}),
    ...config.headers,
  };
  const modelUrl = (model: string) => `${config.base_url}/models/${encodeURIComponent(model)}`;

  return {
    params: new Set(GEMINI_PARAMS),

    async complete(req: CanonicalRequest, ctx: CallContext) {
      const raw = await client.json({
        url: `${modelUrl(ctx.upstreamModel)}:generateContent`,
        headers,
        body: JSON.stringify(toGeminiRequest(req, ctx.upstreamModel)),
        signal: ctx.signal,
        timeouts: ctx.timeouts,
      });
      const parsed = responseSchema.safeParse(raw);
      if (!parsed.success) throw new UpstreamError("response is not a Gemini GenerateContentResponse", "protocol");
      return fromGeminiResponse(parsed.data, ctx.upstreamModel);
    },

    stream(req: CanonicalRequest, ctx: CallContext): AsyncGenerator<StreamPart[]> {
      const translator = new GeminiStreamTranslator();
      const batches = client.eventBatches({
        url: `${modelUrl(ctx.upstreamModel)}:streamGenerateContent?alt=sse`,
        headers: { ...headers, accept: "text/event-stream" },
        body: JSON.stringify(toGeminiRequest(req, ctx.upstreamModel)),
        signal: ctx.signal,
        timeouts: ctx.timeouts,
      });
      const read = (e: EventSourceMessage, out: StreamPart[]): boolean => {
        let json: unknown;
        try {
          json = JSON.parse(e.data);
        } catch {
          throw new UpstreamError(`malformed stream event: ${e.data.slice(0, 80)}`, "protocol");
        }
        const parsed = responseSchema.safeParse(json);
        if (!parsed.success) throw new UpstreamError("malformed stream event", "protocol");
        out.push(...translator.translate(parsed.data));
        return false;
      };
      return mapEventBatches(batches, read, (out) => {
        // Gemini has no end-of-stream marker: a stream that stops before a finishReason was cut.
        if (!translator.finished) throw new UpstreamError("stream ended before a finishReason", "protocol");
        out.push(...translator.end());
      });
    },
  };
}

export const createGeminiAdapter: AdapterFactory = (config, deps = {}) => {
  const client = new UpstreamClient({ connectTimeoutMs: config.timeouts?.connect_ms, guard: deps.guard });
  return { chat: geminiChat(config, client), embeddings: geminiEmbeddings(config, client), close: () => client.close() };
};
