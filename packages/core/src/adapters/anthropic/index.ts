/** Anthropic (Messages API) behind the ProviderAdapter interface. */
import type { AdapterFactory, CallContext, ChatCapability, NativeApi } from "../types.js";
import { UpstreamClient } from "../../upstream/client.js";
import { UpstreamError } from "../../errors.js";
import type { CanonicalParam } from "../../canonical/params.js";
import type { CanonicalRequest, StreamPart } from "../../canonical/types.js";
import type { ProviderConfig } from "../../config/schema.js";
import { ANTHROPIC_VERSION, messageResponseSchema, streamEventSchema } from "./wire.js";
import { toAnthropicRequest } from "./to-request.js";
import { fromAnthropicMessage } from "./from-response.js";
import { AnthropicStreamTranslator } from "./stream.js";
import { nativeApi } from "../native.js";
import type { EventSourceMessage } from "eventsource-parser";
import { mapEventBatches } from "../../upstream/event-batches.js";

/** No seed, penalties, several answers or logprobs at Anthropic. */
export const ANTHROPIC_PARAMS: readonly CanonicalParam[] = [
  "temperature",
  "topP",
  "topK",
  "stop",
  "maxOutputTokens",
  "tools",
  "toolChoice",
  "parallelToolCalls",
  "output",
  "reasoning",
  "user",
];

function headers(config: ProviderConfig): Record<string, string> {
  return {
    "content-type": "application/json",
    "anthropic-version": ANTHROPIC_VERSION,
    ...(config.api_key ? { "x-api-key": config.api_key } : {}),
    ...config.headers,
  };
}

export function anthropicChat(config: ProviderConfig, client: UpstreamClient): ChatCapability {
  const url = `${config.base_url}/messages`;
  const h = headers(config);
  return {
    params: new Set(ANTHROPIC_PARAMS),
    // A last assistant turn is Anthropic's prefill: the answer carries on from it.
    prefill: true,

    async complete(req: CanonicalRequest, ctx: CallContext) {
      const raw = await client.json({
        url,
        headers: h,
        body: JSON.stringify(toAnthropicRequest(req, ctx.upstreamModel, false)),
        signal: ctx.signal,
        timeouts: ctx.timeouts,
      });
      const parsed = messageResponseSchema.safeParse(raw);
      if (!parsed.success) throw new UpstreamError("response is not an Anthropic message", "protocol");
      return fromAnthropicMessage(parsed.data);
    },

    stream(req: CanonicalRequest, ctx: CallContext): AsyncGenerator<StreamPart[]> {
      const translator = new AnthropicStreamTranslator();
      const batches = client.eventBatches({
        url,
        headers: { ...h, accept: "text/event-stream" },
        body: JSON.stringify(toAnthropicRequest(req, ctx.upstreamModel, true)),
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
        const parsed = streamEventSchema.safeParse(json);
        if (!parsed.success) return false; // event types added by Anthropic later are skipped, as their docs ask
        out.push(...translator.translate(parsed.data));
        return translator.done;
      };
      return mapEventBatches(batches, read, () => {
        throw new UpstreamError("stream ended before message_stop", "protocol");
      });
    },
  };
}

/**
 * Messages requests pass through as they came (prompt caching, thinking signatures, server tools, new fields):
 * only the model id (set by the caller) and the credentials are the provider's. The client's anthropic-version
 * and anthropic-beta headers go on; the provider's configured headers win.
 */
export function anthropicNative(config: ProviderConfig, client: UpstreamClient): NativeApi {
  const base = headers(config);
  return nativeApi(client, config.base_url, (forwarded) => ({
    ...base,
    ...forwarded,
    ...config.headers,
    ...(config.api_key ? { "x-api-key": config.api_key } : {}),
  }));
}

export const createAnthropicAdapter: AdapterFactory = (config, deps = {}) => {
  const client = new UpstreamClient({ connectTimeoutMs: config.timeouts?.connect_ms, guard: deps.guard });
  return { chat: anthropicChat(config, client), native: { messages: anthropicNative(config, client) }, close: () => client.close() };
};
