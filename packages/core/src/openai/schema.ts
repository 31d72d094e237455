/**
 * OpenAI's Chat Completions wire format, as zod schemas and types: what the chat route validates, and what the
 * openai adapter sends and reads. Optional fields take `null` as well as absence, as OpenAI's own spec allows
 * (clients such as the `llm` CLI send `"description": null`).
 */
import { z } from "zod";

const textPart = z.object({ type: z.literal("text"), text: z.string() });
const imagePart = z.object({
  type: z.literal("image_url"),
  image_url: z.object({ url: z.string(), detail: z.enum(["auto", "low", "high"]).nullish() }),
});
// Other part types (input_audio, file) pass through to providers that understand them.
const otherPart = z.looseObject({ type: z.string() });
export const contentPartSchema = z.union([textPart, imagePart, otherPart]);

// Loose: Google's OpenAI-compatible API puts Gemini's thought signature in `extra_content` (kept, see below).
export const toolCallSchema = z.looseObject({
  id: z.string(),
  type: z.literal("function"),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

/** Gemini's thought signature on a tool call, where Google's OpenAI-compatible API puts it. */
export type ThoughtSignatureExtra = { extra_content?: { google?: { thought_signature?: unknown } } };
export function thoughtSignatureOf(call: unknown): string | undefined {
  const signature = (call as ThoughtSignatureExtra | null | undefined)?.extra_content?.google?.thought_signature;
  return typeof signature === "string" ? signature : undefined;
}
export const thoughtSignatureExtra = (signature: string | undefined) => (signature ? { extra_content: { google: { thought_signature: signature } } } : {});

const content = z.union([z.string(), z.array(contentPartSchema)]);

export const messageSchema = z.discriminatedUnion(
  "role",
  [
    z.looseObject({ role: z.enum(["system", "developer"]), content, name: z.string().nullish() }),
    z.looseObject({ role: z.literal("user"), content, name: z.string().nullish() }),
    z.looseObject({
      role: z.literal("assistant"),
      content: content.nullish(),
      name: z.string().nullish(),
      tool_calls: z.array(toolCallSchema).nullish(),
      refusal: z.string().nullish(),
    }),
    z.looseObject({ role: z.literal("tool"), content, tool_call_id: z.string() }),
  ],
  {
    error: (issue) =>
      (issue.input as { role?: unknown } | undefined)?.role === "function"
        ? "role 'function' is OpenAI's deprecated form of tool results: send role 'tool' with the tool_call_id of the call it answers"
        : "role must be one of 'system', 'developer', 'user', 'assistant' or 'tool'",
  },
);

export const toolSchema = z.object({
  type: z.literal("function", { error: "only function tools are supported (type 'function'); custom and built-in tools are not" }),
  function: z.object({
    name: z.string().min(1),
    description: z.string().nullish(),
    parameters: z.record(z.string(), z.unknown()).nullish(),
    strict: z.boolean().nullish(),
  }),
});

export const toolChoiceSchema = z.union(
  [z.enum(["none", "auto", "required"]), z.object({ type: z.literal("function"), function: z.object({ name: z.string() }) })],
  { error: "tool_choice must be 'none', 'auto', 'required' or {type: 'function', function: {name}} ('allowed_tools' and custom tools are not supported)" },
);

export const responseFormatSchema = z.union([
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    json_schema: z.object({
      name: z.string(),
      description: z.string().nullish(),
      schema: z.record(z.string(), z.unknown()).nullish(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

/** The request body of POST /v1/chat/completions, plus the gateway's own `drop_params` (`provider` is taken off at the edge). */
export const chatRequestSchema = z.looseObject({
  model: z.string().min(1).optional(),
  messages: z.array(messageSchema).min(1, "messages must contain at least one message"),
  drop_params: z.boolean().optional(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  n: z.number().int().min(1).max(128).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  logit_bias: z.record(z.string(), z.number()).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  seed: z.number().int().nullish(),
  tools: z.array(toolSchema).nullish(),
  tool_choice: toolChoiceSchema.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  response_format: responseFormatSchema.nullish(),
  user: z.string().nullish(),
});

export type ChatRequest = z.infer<typeof chatRequestSchema>;
export type ChatMessage = z.infer<typeof messageSchema>;
export type ContentPart = z.infer<typeof contentPartSchema>;
export type Tool = z.infer<typeof toolSchema>;
export type ToolCall = z.infer<typeof toolCallSchema>;

/** Fields the gateway reads itself; never forwarded upstream. */
export const GATEWAY_PARAMS = ["model", "messages", "provider", "drop_params"] as const;

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "function_call";

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  [extra: string]: unknown;
}

export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: {
      role: "assistant";
      content: string | null;
      tool_calls?: ToolCall[];
      refusal?: string | null;
      [extra: string]: unknown;
    };
    finish_reason: FinishReason | null;
    logprobs?: unknown;
  }>;
  usage?: Usage;
  system_fingerprint?: string | null;
  /** The gateway's addition: the provider id that served the request. */
  provider?: string;
  [extra: string]: unknown;
}

export interface ChunkToolCallDelta {
  index: number;
  id?: string;
  type?: "function";
  function?: { name?: string; arguments?: string };
}

export interface ChatCompletionChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: {
      role?: "assistant";
      content?: string | null;
      tool_calls?: ChunkToolCallDelta[];
      refusal?: string | null;
      [extra: string]: unknown;
    };
    finish_reason: FinishReason | null;
    logprobs?: unknown;
  }>;
  usage?: Usage | null;
  provider?: string;
  [extra: string]: unknown;
}

/** Every parameter OpenAI documents for chat completions: what a provider that speaks the API itself takes. */
export const OPENAI_CHAT_PARAMS = [
  "stream",
  "stream_options",
  "temperature",
  "top_p",
  "n",
  "stop",
  "max_tokens",
  "max_completion_tokens",
  "presence_penalty",
  "frequency_penalty",
  "logit_bias",
  "logprobs",
  "top_logprobs",
  "seed",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "response_format",
  "user",
  "reasoning_effort",
  "metadata",
  "store",
  "service_tier",
  "modalities",
  "audio",
  "prediction",
  "web_search_options",
  "verbosity",
  "functions",
  "function_call",
] as const;
