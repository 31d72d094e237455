/**
 * GET /openapi.json: the gateway's HTTP API as OpenAPI 3.1. Request bodies are generated from the zod schemas
 * that validate them; response bodies are the official ones (OpenAI's published spec, Anthropic's SDK models:
 * src/specs), which the conformance test holds every answer to. Streams are `text/event-stream`, with the schema
 * of each event's data under `x-event-schema`.
 */
import { embeddingRequestSchema } from "./embeddings/types.js";
import { speechRequestSchema, TRANSCRIPTION_FORMATS } from "./audio/types.js";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { chatRequestSchema } from "./openai/schema.js";
import { imageRequestSchema } from "./images/types.js";
import { responsesRequestSchema } from "./apis/responses/schema.js";
import { countTokensRequestSchema, messagesRequestSchema } from "./apis/messages/schema.js";
import { completionsRequestSchema } from "./apis/completions/schema.js";

const toSchema = (s: z.ZodType) => z.toJSONSchema(s, { io: "input", unrepresentable: "any", target: "draft-2020-12" });

/** The official schemas, with their `$defs` refs pointed at components (Anthropic's names prefixed). */
function officialSchemas(file: string, prefix: string): Record<string, unknown> {
  const { $defs } = JSON.parse(readFileSync(new URL(`./specs/${file}`, import.meta.url), "utf8")) as { $defs: Record<string, unknown> };
  const text = JSON.stringify($defs).replace(/"#\/\$defs\/([^"]+)"/g, (_, name: string) => `"#/components/schemas/${prefix}${name}"`);
  return Object.fromEntries(Object.entries(JSON.parse(text) as Record<string, unknown>).map(([k, v]) => [`${prefix}${k}`, v]));
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const UNKNOWN_PARAMS =
  "Parameters the gateway does not model go through to providers that speak this API natively; providers that translate refuse them (400 unsupported_parameter) unless drop_params is true.";

type Shape = "openai" | "anthropic";
const STATUS_TEXT: Record<number, string> = {
  400: "Invalid request (the `param` names the field)",
  401: "Missing or invalid API key",
  403: "The API key may not use this provider or model",
  404: "Unknown model, provider, route or stored object",
  405: "Method not allowed (the Allow header lists the right one)",
  413: "Request body too large",
  415: "Content-Type is not JSON",
  429: "Rate limited: the key's RPM/TPM, or every provider busy (Retry-After)",
  502: "Every provider failed (the message lists the chain)",
  503: "No provider ready, every one disabled, or circuits open (Retry-After)",
  504: "The request's deadline (timeouts.total_ms) passed",
};
const INFERENCE_ERRORS = [400, 401, 403, 404, 405, 413, 415, 429, 502, 503, 504];
const READ_ERRORS = [401, 404, 405];

function errors(codes: number[], shape: Shape = "openai") {
  const schema = ref(shape === "openai" ? "ErrorResponse" : "AnthropicErrorResponse");
  return Object.fromEntries(codes.map((c) => [String(c), { description: STATUS_TEXT[c], content: { "application/json": { schema } } }]));
}
const jsonBody = (schema: unknown) => ({ required: true, content: { "application/json": { schema } } });
const json = (description: string, schema: unknown) => ({ "200": { description, content: { "application/json": { schema } } } });
/** JSON, or with `stream: true` an event stream whose events' data are `event`. */
const jsonOrStream = (description: string, schema: unknown, event: unknown, events: string) => ({
  "200": {
    description,
    content: {
      "application/json": { schema },
      "text/event-stream": { schema: { type: "string", description: events }, "x-event-schema": event },
    },
  },
});
const providerParam = {
  name: "provider",
  in: "path",
  required: true,
  schema: { type: "string" },
  description: "One provider id, or several separated by spaces (ordered failover)",
};
const providerHeader = {
  name: "X-Interference-Provider",
  in: "header",
  required: false,
  schema: { type: "string" },
  description: "The provider choice when the body has no `provider` field (same syntax); `?provider=` works too.",
};
/** A transcription or translation: OpenAI's multipart upload, answered in the format asked for. */
function audioUpload(operationId: string, description: string) {
  return {
    operationId,
    description: `${description}, on providers with audio_models. The upload is capped (AUDIO_MAX_UPLOAD_MB, default 25).`,
    parameters: [providerHeader],
    requestBody: {
      required: true,
      content: {
        "multipart/form-data": {
          schema: {
            type: "object",
            required: ["file"],
            properties: {
              file: { type: "string", format: "binary" },
              model: { type: "string" },
              provider: { type: "string" },
              language: { type: "string" },
              prompt: { type: "string" },
              response_format: { enum: [...TRANSCRIPTION_FORMATS] },
              temperature: { type: "number", minimum: 0, maximum: 1 },
              "timestamp_granularities[]": { type: "array", items: { enum: ["word", "segment"] } },
            },
          },
        },
      },
    },
    responses: {
      "200": {
        description: "The transcript: JSON for json and verbose_json, text for text, srt and vtt",
        content: {
          "application/json": { schema: { type: "object", required: ["text"], properties: { text: { type: "string" } } } },
          "text/plain": { schema: { type: "string" } },
        },
      },
      ...errors(INFERENCE_ERRORS),
    },
  };
}
const servedBy = { "x-interference-provider": { description: "The provider that served the request", schema: { type: "string" } } };
const withServedBy = <T extends Record<string, object>>(responses: T): T => {
  (responses["200"] as { headers?: unknown }).headers = servedBy;
  return responses;
};

let cached: object | null = null;

export function openApiDocument(): object {
  if (cached) return cached;
  const chat = {
    operationId: "createChatCompletion",
    description: `OpenAI's Chat Completions. ${UNKNOWN_PARAMS}`,
    parameters: [providerHeader],
    requestBody: jsonBody(ref("ChatCompletionRequest")),
    responses: {
      ...withServedBy(
        jsonOrStream(
          "A chat.completion",
          ref("CreateChatCompletionResponse"),
          ref("CreateChatCompletionStreamResponse"),
          "data: <chat.completion.chunk> events, then data: [DONE]",
        ),
      ),
      ...errors(INFERENCE_ERRORS),
    },
  };
  const responses = {
    operationId: "createResponse",
    description: `OpenAI's Responses API, on any provider family; \`store\` (default true) keeps the response for previous_response_id and GET. ${UNKNOWN_PARAMS}`,
    parameters: [providerHeader],
    requestBody: jsonBody(ref("ResponsesRequest")),
    responses: {
      ...withServedBy(jsonOrStream("A response", ref("Response"), ref("ResponseStreamEvent"), "event: <type> / data: <event> pairs, with sequence numbers")),
      ...errors(INFERENCE_ERRORS),
    },
  };
  const messages = {
    operationId: "createMessage",
    description: `Anthropic's Messages API, on any provider family (an anthropic provider gets it untranslated). Errors are in Anthropic's shape. ${UNKNOWN_PARAMS}`,
    parameters: [
      providerHeader,
      { name: "anthropic-version", in: "header", required: false, schema: { type: "string" } },
      { name: "anthropic-beta", in: "header", required: false, schema: { type: "string" } },
    ],
    requestBody: jsonBody(ref("MessagesRequest")),
    responses: {
      ...withServedBy(
        jsonOrStream(
          "A message",
          ref("AnthropicMessage"),
          { anyOf: [ref("AnthropicRawMessageStreamEvent"), ref("AnthropicErrorResponse"), { type: "object", properties: { type: { const: "ping" } } }] },
          "event: <type> / data: <event> pairs",
        ),
      ),
      ...errors(INFERENCE_ERRORS, "anthropic"),
    },
  };
  const id = (name: string, description?: string) => ({
    name,
    in: "path",
    required: true,
    schema: { type: "string" },
    ...(description ? { description } : {}),
  });
  cached = {
    openapi: "3.1.0",
    info: {
      title: "Interference",
      version: "0.2.0",
      description:
        "Self-hosted AI gateway: OpenAI's Chat Completions, Responses and legacy Completions, and Anthropic's Messages, on any provider, with a `provider` field for ordered failover.",
    },
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "An API key (required once any key exists)." },
        apiKey: { type: "apiKey", in: "header", name: "x-api-key", description: "The same key, as Anthropic's clients send it." },
      },
      schemas: {
        ChatCompletionRequest: toSchema(chatRequestSchema),
        ResponsesRequest: toSchema(responsesRequestSchema),
        MessagesRequest: toSchema(messagesRequestSchema),
        CountTokensRequest: toSchema(countTokensRequestSchema),
        CompletionRequest: toSchema(completionsRequestSchema),
        ImageRequest: toSchema(imageRequestSchema),
        EmbeddingRequest: toSchema(embeddingRequestSchema),
        SpeechRequest: toSchema(speechRequestSchema),
        ...officialSchemas("openai-openapi.subset.json", ""),
        ...officialSchemas("anthropic-messages.schema.json", "Anthropic"),
      },
    },
    security: [{ bearer: [] }, { apiKey: [] }, {}],
    paths: {
      "/v1/chat/completions": { post: chat },
      "/api/{provider}/chat/completions": { post: { ...chat, operationId: "createChatCompletionOnProvider", parameters: [providerParam] } },
      "/v1/responses": { post: responses },
      "/api/{provider}/responses": { post: { ...responses, operationId: "createResponseOnProvider", parameters: [providerParam] } },
      "/v1/responses/{id}": {
        get: {
          operationId: "getResponse",
          parameters: [id("id")],
          responses: { ...json("A stored response (the key's own)", ref("Response")), ...errors(READ_ERRORS) },
        },
        delete: {
          operationId: "deleteResponse",
          parameters: [id("id")],
          responses: {
            ...json("Deleted", {
              type: "object",
              required: ["id", "object", "deleted"],
              properties: { id: { type: "string" }, object: { const: "response.deleted" }, deleted: { const: true } },
            }),
            ...errors(READ_ERRORS),
          },
        },
      },
      "/v1/responses/{id}/input_items": {
        get: {
          operationId: "listInputItems",
          parameters: [
            id("id"),
            { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 100, default: 20 } },
            { name: "order", in: "query", schema: { enum: ["asc", "desc"], default: "desc" } },
            { name: "after", in: "query", schema: { type: "string" } },
          ],
          responses: { ...json("The response's input items", ref("ResponseItemList")), ...errors([400, ...READ_ERRORS]) },
        },
      },
      "/v1/messages": { post: messages },
      "/api/{provider}/messages": { post: { ...messages, operationId: "createMessageOnProvider", parameters: [providerParam] } },
      // Anthropic's clients put /v1 after their base URL: ANTHROPIC_BASE_URL=https://gateway/api/{provider}.
      "/api/{provider}/v1/messages": { post: { ...messages, operationId: "createMessageOnProviderV1", parameters: [providerParam] } },
      "/v1/messages/count_tokens": {
        post: {
          operationId: "countTokens",
          description:
            "Anthropic's own count where an anthropic provider serves the model, the embedded model's tokenizer where it does, an estimate elsewhere (the x-interference-token-count header says which).",
          parameters: [providerHeader],
          requestBody: jsonBody(ref("CountTokensRequest")),
          responses: { ...json("The input tokens", ref("AnthropicMessageTokensCount")), ...errors(INFERENCE_ERRORS, "anthropic") },
        },
      },
      "/api/{provider}/v1/messages/count_tokens": {
        post: {
          operationId: "countTokensOnProvider",
          parameters: [providerParam],
          requestBody: jsonBody(ref("CountTokensRequest")),
          responses: { ...json("The input tokens", ref("AnthropicMessageTokensCount")), ...errors(INFERENCE_ERRORS, "anthropic") },
        },
      },
      "/v1/completions": {
        post: {
          operationId: "createCompletion",
          description: "OpenAI's legacy completions: native on providers with completions_api: true, through chat elsewhere.",
          parameters: [providerHeader],
          requestBody: jsonBody(ref("CompletionRequest")),
          responses: {
            ...withServedBy(
              jsonOrStream(
                "A text_completion",
                ref("CreateCompletionResponse"),
                ref("CreateCompletionResponse"),
                "data: <text_completion> chunks, then data: [DONE]",
              ),
            ),
            ...errors(INFERENCE_ERRORS),
          },
        },
      },
      "/v1/embeddings": {
        post: {
          operationId: "createEmbedding",
          description:
            "OpenAI's embeddings on any provider with embedding_models (OpenAI-compatible, Gemini, the embedded model); inputs beyond a provider's batch limit are split and joined in order.",
          parameters: [providerHeader],
          requestBody: jsonBody(ref("EmbeddingRequest")),
          responses: {
            ...json("The vectors, in input order (base64 strings when encoding_format is base64)", ref("CreateEmbeddingResponse")),
            ...errors(INFERENCE_ERRORS),
          },
        },
      },
      "/v1/audio/transcriptions": { post: audioUpload("createTranscription", "Speech to text in the audio's language") },
      "/v1/audio/translations": { post: audioUpload("createTranslation", "Speech to English text") },
      "/v1/audio/speech": {
        post: {
          operationId: "createSpeech",
          description: "Text to speech on providers with audio_models; the audio is streamed through as the provider sends it.",
          parameters: [providerHeader],
          requestBody: jsonBody(ref("SpeechRequest")),
          responses: {
            "200": {
              description: "The audio, in the requested format",
              content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
            },
            ...errors(INFERENCE_ERRORS),
          },
        },
      },
      "/v1/images/generations": {
        post: {
          operationId: "createImage",
          parameters: [providerHeader],
          requestBody: jsonBody(ref("ImageRequest")),
          responses: { ...json("Generated images", ref("ImagesResponse")), ...errors(INFERENCE_ERRORS) },
        },
      },
      "/v1/images/generate": {
        post: {
          operationId: "generateImage",
          parameters: [providerHeader],
          requestBody: jsonBody(ref("ImageRequest")),
          responses: { ...json("Generated images", ref("ImagesResponse")), ...errors(INFERENCE_ERRORS) },
        },
      },
      "/v1/models": {
        get: { operationId: "listModels", responses: { ...json("Models, OpenAI's list shape", ref("ListModelsResponse")), ...errors([401, 405]) } },
      },
      "/v1/models/{id}": {
        get: {
          operationId: "retrieveModel",
          parameters: [id("id", "May contain '/'")],
          responses: { ...json("OpenAI's model object, plus the providers that serve it", ref("Model")), ...errors(READ_ERRORS) },
        },
      },
      "/v1/cache": {
        delete: {
          operationId: "purgeCache",
          summary: "Deletes the calling key's cached answers (its team's, where the cache is shared per team): all, or one namespace's",
          parameters: [
            { name: "namespace", in: "query", required: false, schema: { type: "string", maxLength: 128 }, description: "The `cache.namespace` requests set" },
          ],
          responses: {
            ...json("How many entries were deleted", {
              type: "object",
              required: ["object", "namespace", "deleted"],
              properties: { object: { const: "cache.purge" }, namespace: { type: ["string", "null"] }, deleted: { type: "integer" } },
            }),
            ...errors([400, 401, 405]),
          },
        },
      },
      "/v1/usage": {
        get: {
          operationId: "getUsage",
          summary: "The calling API key's spend today, this month and in total (USD), and what its and its team's budgets leave",
          responses: {
            ...json("Spend and budgets", {
              type: "object",
              required: ["object", "key_id", "team", "spend", "budgets"],
              properties: {
                object: { const: "usage" },
                key_id: { type: "string" },
                team: {
                  oneOf: [{ type: "null" }, { type: "object", required: ["id", "name"], properties: { id: { type: "string" }, name: { type: "string" } } }],
                },
                spend: {
                  type: "object",
                  required: ["day", "month", "total"],
                  properties: { day: { type: "number" }, month: { type: "number" }, total: { type: "number" } },
                },
                budgets: {
                  type: "array",
                  items: {
                    type: "object",
                    required: ["scope", "model", "period", "limit_usd", "spent_usd", "remaining_usd", "resets_at"],
                    properties: {
                      scope: { enum: ["key", "team"], description: "The key's own budget or its team's" },
                      model: { type: ["string", "null"], description: "The model it counts (null: every model)" },
                      period: { enum: ["day", "month", "total"] },
                      limit_usd: { type: "number" },
                      spent_usd: { type: "number" },
                      remaining_usd: { type: "number" },
                      resets_at: { type: ["string", "null"] },
                    },
                  },
                },
              },
            }),
            ...errors([401, 405]),
          },
        },
      },
      "/v1/providers": {
        get: {
          operationId: "listProviders",
          responses: { ...json("Providers (never a secret)", { type: "object", properties: { data: { type: "array" } } }), ...errors([401, 405]) },
        },
      },
      "/v1/providers/{id}": {
        get: {
          operationId: "getProvider",
          parameters: [id("id")],
          responses: { ...json("One provider with models, params and health", { type: "object", required: ["id", "type"] }), ...errors(READ_ERRORS) },
        },
      },
      "/media/{name}": {
        get: {
          operationId: "getMedia",
          security: [],
          parameters: [id("name")],
          responses: {
            "200": { description: "A stored image", content: { "image/png": { schema: { type: "string", format: "binary" } } } },
            ...errors([404, 405]),
          },
        },
      },
      "/healthz": { get: { operationId: "liveness", security: [], responses: json("Alive", { type: "object", properties: { status: { const: "ok" } } }) } },
      "/readyz": {
        get: {
          operationId: "readiness",
          security: [],
          responses: {
            ...json("Ready, or degraded (a database or Redis outage the gateway rides out)", {
              type: "object",
              properties: { status: { enum: ["ready", "degraded"] }, checks: { type: "object", additionalProperties: { type: "string" } } },
            }),
            "503": { description: "Not ready (a model loading, a check failing)", content: { "application/json": { schema: { type: "object" } } } },
          },
        },
      },
      "/metrics": {
        get: {
          operationId: "metrics",
          security: [],
          // 401: not the METRICS_TOKEN; 403: closed, neither METRICS_TOKEN nor METRICS_PUBLIC=true is set.
          responses: { "200": { description: "Prometheus metrics", content: { "text/plain": { schema: { type: "string" } } } }, ...errors([401, 403]) },
        },
      },
      "/openapi.json": { get: { operationId: "openapi", security: [], responses: json("This document", { type: "object" }) } },
    },
  };
  return cached;
}
