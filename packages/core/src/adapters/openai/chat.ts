/**
 * Chat over any OpenAI-compatible API (OpenAI, Groq, Together, OpenRouter, DeepSeek, Mistral, Ollama, vLLM,
 * LM Studio, llama.cpp server): the request passes through with the upstream model id swapped in.
 */
import { UpstreamError } from "../../errors.js";
import { GATEWAY_PARAMS, OPENAI_CHAT_PARAMS, type ChatCompletion, type ChatCompletionChunk, type ChatRequest } from "../../openai/schema.js";
import type { ProviderConfig } from "../../config/schema.js";
import type { UpstreamClient } from "../../upstream/client.js";
import type { CallContext, ChatCapability } from "../types.js";

const gatewayOnly = new Set<string>(GATEWAY_PARAMS);

/** The body sent upstream: the client's request without the gateway's own fields. */
export function toOpenAIBody(req: ChatRequest, upstreamModel: string, stream: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { model: upstreamModel, messages: req.messages };
  for (const [k, v] of Object.entries(req)) {
    if (!gatewayOnly.has(k) && v !== undefined) body[k] = v;
  }
  body.stream = stream;
  // Usage is always asked for so every streamed request is logged with its tokens; the chat route strips it
  // again when the client did not ask.
  if (stream) body.stream_options = { ...req.stream_options, include_usage: true };
  else delete body.stream_options;
  return body;
}

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

  return {
    params: new Set(OPENAI_CHAT_PARAMS),
    forwardsUnknownParams: true,

    async complete(req: ChatRequest, ctx: CallContext): Promise<ChatCompletion> {
      const body = await client.json<ChatCompletion>({
        url,
        headers,
        body: JSON.stringify(toOpenAIBody(req, ctx.upstreamModel, false)),
        signal: ctx.signal,
        timeouts: ctx.timeouts,
      });
      if (!body || !Array.isArray(body.choices)) {
        throw new UpstreamError("response has no choices", "protocol");
      }
      return body;
    },

    async *stream(req: ChatRequest, ctx: CallContext): AsyncGenerator<ChatCompletionChunk> {
      const events = client.events({
        url,
        headers: { ...headers, accept: "text/event-stream" },
        body: JSON.stringify(toOpenAIBody(req, ctx.upstreamModel, true)),
        signal: ctx.signal,
        timeouts: ctx.timeouts,
      });
      for await (const event of events) {
        if (event.data === "[DONE]") return;
        yield parseChunk(event.data);
      }
      // An OpenAI stream always ends with [DONE]; without it the connection was cut mid-answer.
      throw new UpstreamError("stream ended before [DONE]", "protocol");
    },
  };
}

export function parseChunk(data: string): ChatCompletionChunk {
  let chunk: ChatCompletionChunk & { error?: { message?: string } };
  try {
    chunk = JSON.parse(data);
  } catch {
    throw new UpstreamError(`malformed stream event: ${data.slice(0, 80)}`, "protocol");
  }
  if (chunk && typeof chunk === "object" && "error" in chunk && chunk.error) {
    throw new UpstreamError(`error in stream: ${chunk.error.message ?? "unknown"}`, "protocol");
  }
  if (!chunk || !Array.isArray(chunk.choices)) {
    throw new UpstreamError(`malformed stream event: ${data.slice(0, 80)}`, "protocol");
  }
  return chunk;
}
