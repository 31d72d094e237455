/**
 * Anthropic Messages API wire format, as clients send it to POST /v1/messages (zod) and as the gateway answers
 * (types). Unknown fields are kept (loose objects): a native Anthropic provider gets them as they came.
 */
import { z } from "zod";

const cacheControl = z.looseObject({ type: z.string() }).nullish();
const textBlock = z.looseObject({ type: z.literal("text"), text: z.string(), cache_control: cacheControl });
const imageBlock = z.looseObject({
  type: z.literal("image"),
  source: z.union([
    z.looseObject({ type: z.literal("base64"), media_type: z.string(), data: z.string() }),
    z.looseObject({ type: z.literal("url"), url: z.string() }),
    z.looseObject({ type: z.string() }),
  ]),
  cache_control: cacheControl,
});
const toolUseBlock = z.looseObject({ type: z.literal("tool_use"), id: z.string(), name: z.string(), input: z.unknown(), cache_control: cacheControl });
const toolResultBlock = z.looseObject({
  type: z.literal("tool_result"),
  tool_use_id: z.string(),
  content: z.union([z.string(), z.array(z.union([textBlock, imageBlock, z.looseObject({ type: z.string() })]))]).nullish(),
  is_error: z.boolean().nullish(),
  cache_control: cacheControl,
});
const thinkingBlock = z.looseObject({ type: z.literal("thinking"), thinking: z.string(), signature: z.string().nullish() });
const otherBlock = z.looseObject({ type: z.string() });
export const blockSchema = z.union([textBlock, imageBlock, toolUseBlock, toolResultBlock, thinkingBlock, otherBlock]);

export const messageSchema = z.looseObject({
  role: z.enum(["user", "assistant"], { error: "role must be 'user' or 'assistant' (system text goes in the top-level 'system')" }),
  content: z.union([z.string(), z.array(blockSchema)]),
});

export const toolSchema = z.looseObject({
  type: z.string().nullish(),
  name: z.string().min(1),
  description: z.string().nullish(),
  input_schema: z.record(z.string(), z.unknown()).nullish(),
  cache_control: cacheControl,
});

export const toolChoiceSchema = z.looseObject({
  type: z.enum(["auto", "any", "none", "tool"]),
  name: z.string().nullish(),
  disable_parallel_tool_use: z.boolean().nullish(),
});

export const messagesRequestSchema = z.looseObject({
  model: z.string().min(1).optional(),
  max_tokens: z.number().int().positive(),
  messages: z.array(messageSchema).min(1, "messages must contain at least one message"),
  system: z.union([z.string(), z.array(textBlock)]).nullish(),
  drop_params: z.boolean().optional(),
  tools: z.array(toolSchema).nullish(),
  tool_choice: toolChoiceSchema.nullish(),
  stop_sequences: z.array(z.string()).nullish(),
  temperature: z.number().min(0).max(1).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.number().int().min(0).nullish(),
  metadata: z.looseObject({ user_id: z.string().nullish() }).nullish(),
  thinking: z.looseObject({ type: z.string(), budget_tokens: z.number().int().nullish() }).nullish(),
  stream: z.boolean().nullish(),
  service_tier: z.string().nullish(),
});
export type MessagesRequest = z.infer<typeof messagesRequestSchema>;
export type Block = z.infer<typeof blockSchema>;

/** POST /v1/messages/count_tokens: the request without max_tokens. */
export const countTokensRequestSchema = messagesRequestSchema.omit({ max_tokens: true, stream: true });
export type CountTokensRequest = z.infer<typeof countTokensRequestSchema>;

/**
 * Fields a translating provider honours, or hints that change nothing it could do: service_tier, and
 * context_management (Anthropic clearing old thinking or tool results server-side, which Claude Code sends on every
 * request: without it the provider just sees the whole conversation; earlier thinking is never sent to it anyway).
 */
export const TRANSLATED_FIELDS = new Set([
  "context_management",
  "model",
  "max_tokens",
  "messages",
  "system",
  "provider",
  "drop_params",
  "tools",
  "tool_choice",
  "stop_sequences",
  "temperature",
  "top_p",
  "top_k",
  "metadata",
  "thinking",
  "stream",
  "service_tier",
]);

export type StopReason = "end_turn" | "max_tokens" | "stop_sequence" | "tool_use" | "pause_turn" | "refusal";

export type ResponseBlock =
  { type: "text"; text: string } | { type: "tool_use"; id: string; name: string; input: unknown } | { type: "thinking"; thinking: string; signature: string };

export interface MessagesUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number | null;
  cache_read_input_tokens: number | null;
}

export interface MessageObject {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: ResponseBlock[];
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  usage: MessagesUsage;
  [extra: string]: unknown;
}
