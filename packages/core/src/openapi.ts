/**
 * GET /openapi.json: the gateway's HTTP API as OpenAPI 3.1, with request bodies generated from the same zod
 * schemas that validate them (one source of truth), for client generators and schema-driven fuzzers.
 */
import { z } from "zod";
import { chatRequestSchema } from "./openai/schema.js";
import { imageRequestSchema } from "./images/types.js";

const toSchema = (s: z.ZodType) => z.toJSONSchema(s, { io: "input", unrepresentable: "any", target: "draft-2020-12" });

const error = { $ref: "#/components/schemas/Error" };
const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [String(c), { description: "OpenAI-style error", content: { "application/json": { schema: error } } }]));
const jsonBody = (schema: unknown) => ({ required: true, content: { "application/json": { schema } } });
const ok = (description: string, type = "application/json") => ({ "200": { description, content: { [type]: { schema: {} } } } });

let cached: object | null = null;

export function openApiDocument(): object {
  return (cached ??= {
    openapi: "3.1.0",
    info: { title: "Interference", version: "0.1.0", description: "Self-hosted AI gateway: OpenAI's API plus a `provider` field for ordered failover." },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "An API key (required once any key exists)." } },
      schemas: {
        Error: {
          type: "object",
          required: ["error"],
          properties: {
            error: {
              type: "object",
              required: ["message", "type", "code"],
              properties: { message: { type: "string" }, type: { type: "string" }, code: { type: ["string", "null"] }, param: { type: ["string", "null"] } },
            },
          },
        },
        ChatCompletionRequest: toSchema(chatRequestSchema),
        ImageRequest: toSchema(imageRequestSchema),
      },
    },
    security: [{ bearer: [] }, {}],
    paths: {
      "/v1/chat/completions": {
        post: {
          operationId: "createChatCompletion",
          description: "The provider choice may also come as the X-Interference-Provider header or ?provider= (same syntax as the body's provider).",
          requestBody: jsonBody({ $ref: "#/components/schemas/ChatCompletionRequest" }),
          responses: {
            ...ok("chat.completion, or an SSE stream of chat.completion.chunk when stream is true"),
            ...errors(400, 401, 403, 404, 413, 415, 429, 502, 503),
          },
        },
      },
      "/v1/images/generations": {
        post: {
          operationId: "createImage",
          requestBody: jsonBody({ $ref: "#/components/schemas/ImageRequest" }),
          responses: { ...ok("Generated images"), ...errors(400, 401, 403, 404, 413, 415, 429, 502, 503) },
        },
      },
      "/v1/images/generate": {
        post: {
          operationId: "generateImage",
          requestBody: jsonBody({ $ref: "#/components/schemas/ImageRequest" }),
          responses: { ...ok("Generated images"), ...errors(400, 401, 403, 404, 413, 415, 429, 502, 503) },
        },
      },
      "/v1/models": { get: { operationId: "listModels", responses: { ...ok("Models, OpenAI's list shape"), ...errors(401) } } },
      "/v1/providers": { get: { operationId: "listProviders", responses: { ...ok("Providers (never a secret)"), ...errors(401) } } },
      "/v1/providers/{id}": {
        get: {
          operationId: "getProvider",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
          responses: { ...ok("One provider with models, params and health"), ...errors(401, 404) },
        },
      },
      "/v1/models/{id}": {
        get: {
          operationId: "retrieveModel",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" }, description: "May contain '/'" }],
          responses: { ...ok("OpenAI's model object, plus the providers that serve it"), ...errors(401, 404) },
        },
      },
      "/api/{provider}/chat/completions": {
        post: {
          operationId: "createChatCompletionOnProvider",
          description: "POST /v1/chat/completions with the provider in the path (gpt4free's form).",
          parameters: [{ name: "provider", in: "path", required: true, schema: { type: "string" } }],
          requestBody: jsonBody({ $ref: "#/components/schemas/ChatCompletionRequest" }),
          responses: { ...ok("A chat.completion, or an SSE stream of chat.completion.chunk"), ...errors(400, 401, 403, 404, 413, 415, 429, 502, 503) },
        },
      },
      "/media/{name}": {
        get: {
          operationId: "getMedia",
          security: [],
          parameters: [{ name: "name", in: "path", required: true, schema: { type: "string" } }],
          responses: { ...ok("A stored image", "image/png"), ...errors(404) },
        },
      },
      "/healthz": { get: { operationId: "liveness", security: [], responses: ok("Alive") } },
      "/readyz": {
        get: {
          operationId: "readiness",
          security: [],
          responses: {
            ...ok("Ready"),
            "503": {
              description: "Not ready (a model loading, a check failing); a database or Redis outage the gateway rides out is 200 with status degraded",
            },
          },
        },
      },
      "/metrics": {
        get: {
          operationId: "metrics",
          security: [],
          // 401: not the METRICS_TOKEN; 403: closed, neither METRICS_TOKEN nor METRICS_PUBLIC=true is set.
          responses: { ...ok("Prometheus metrics", "text/plain"), ...errors(401, 403) },
        },
      },
    },
  });
}
