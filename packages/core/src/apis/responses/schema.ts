/**
 * OpenAI Responses API wire format: the request body of POST /v1/responses (as zod) and the objects it answers
 * with (as types). Optional fields take `null` as well as absence, as OpenAI's spec allows.
 */
import { z } from "zod";

const text = z.string();
const inputText = z.looseObject({ type: z.literal("input_text"), text });
const outputText = z.looseObject({ type: z.literal("output_text"), text });
const refusal = z.looseObject({ type: z.literal("refusal"), refusal: text });
const inputImage = z.looseObject({
  type: z.literal("input_image"),
  image_url: z.string().nullish(),
  file_id: z.string().nullish(),
  detail: z.enum(["auto", "low", "high"]).nullish(),
});
// input_file, input_audio and other part types are refused by the decoder with a clear message.
const otherPart = z.looseObject({ type: z.string() });
export const contentPartSchema = z.union([inputText, outputText, refusal, inputImage, otherPart]);

const messageItem = z.looseObject({
  type: z.literal("message").optional(),
  id: z.string().nullish(),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content: z.union([text, z.array(contentPartSchema)]),
  status: z.string().nullish(),
});
const functionCallItem = z.looseObject({
  type: z.literal("function_call"),
  id: z.string().nullish(),
  call_id: z.string(),
  name: z.string(),
  arguments: z.string(),
  status: z.string().nullish(),
});
const functionCallOutputItem = z.looseObject({
  type: z.literal("function_call_output"),
  id: z.string().nullish(),
  call_id: z.string(),
  output: z.union([text, z.array(contentPartSchema)]),
  status: z.string().nullish(),
});
const reasoningItem = z.looseObject({
  type: z.literal("reasoning"),
  id: z.string().nullish(),
  summary: z.array(z.looseObject({ type: z.string(), text })).nullish(),
  content: z.array(z.looseObject({ type: z.string(), text })).nullish(),
  encrypted_content: z.string().nullish(),
});
const otherItem = z.looseObject({ type: z.string() });

export const inputItemSchema = z.union([messageItem, functionCallItem, functionCallOutputItem, reasoningItem, otherItem], {
  error: "each input item must be a message ({role, content}), a function_call or a function_call_output",
});
export type InputItem = z.infer<typeof inputItemSchema>;

const functionTool = z.looseObject({
  type: z.literal("function"),
  name: z.string().min(1),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});
export const toolSchema = z.union([functionTool, z.looseObject({ type: z.string() })]);

export const toolChoiceSchema = z.union([z.enum(["none", "auto", "required"]), z.looseObject({ type: z.string(), name: z.string().nullish() })]);

export const textFormatSchema = z.union([
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    name: z.string().min(1),
    schema: z.record(z.string(), z.unknown()),
    description: z.string().nullish(),
    strict: z.boolean().nullish(),
  }),
]);

export const responsesRequestSchema = z.looseObject({
  model: z.string().min(1).optional(),
  input: z.union([z.string(), z.array(inputItemSchema)]),
  instructions: z.string().nullish(),
  drop_params: z.boolean().optional(),
  previous_response_id: z.string().nullish(),
  store: z.boolean().nullish(),
  stream: z.boolean().nullish(),
  tools: z.array(toolSchema).nullish(),
  tool_choice: toolChoiceSchema.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  max_output_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  text: z.looseObject({ format: textFormatSchema.nullish(), verbosity: z.string().nullish() }).nullish(),
  reasoning: z.looseObject({ effort: z.string().nullish(), summary: z.string().nullish() }).nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  user: z.string().nullish(),
  truncation: z.enum(["auto", "disabled"]).nullish(),
  include: z.array(z.string()).nullish(),
  service_tier: z.string().nullish(),
  prompt_cache_key: z.string().nullish(),
  safety_identifier: z.string().nullish(),
  stream_options: z.looseObject({}).nullish(),
  background: z.boolean().nullish(),
});
export type ResponsesRequest = z.infer<typeof responsesRequestSchema>;

/**
 * Fields a translating provider honours, or that change nothing it could do differently (hints to OpenAI's own
 * service). Any other field is refused with a 400 (or dropped with drop_params) rather than silently ignored.
 */
export const TRANSLATED_FIELDS = new Set([
  "model",
  "input",
  "instructions",
  "provider",
  "drop_params",
  "previous_response_id",
  "store",
  "stream",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "max_output_tokens",
  "temperature",
  "top_p",
  "text",
  "reasoning",
  "metadata",
  "user",
  "truncation",
  "include",
  "service_tier",
  "prompt_cache_key",
  "safety_identifier",
  "stream_options",
  "background",
  // Client-side bookkeeping (Codex sends its session and turn ids): nothing a provider acts on.
  "client_metadata",
]);

export interface OutputText {
  type: "output_text";
  text: string;
  annotations: unknown[];
  logprobs: unknown[];
}
export interface MessageOutput {
  type: "message";
  id: string;
  status: "in_progress" | "completed" | "incomplete";
  role: "assistant";
  content: OutputText[];
}
export interface FunctionCallOutput {
  type: "function_call";
  id: string;
  call_id: string;
  name: string;
  namespace?: string;
  arguments: string;
  status: "in_progress" | "completed" | "incomplete";
}
export interface ReasoningOutput {
  type: "reasoning";
  id: string;
  summary: Array<{ type: "summary_text"; text: string }>;
  content?: Array<{ type: "reasoning_text"; text: string }>;
  encrypted_content?: string | null;
  status?: "in_progress" | "completed" | "incomplete";
}
export type OutputItem = MessageOutput | FunctionCallOutput | ReasoningOutput;

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type ResponseStatus = "completed" | "failed" | "in_progress" | "incomplete" | "cancelled" | "queued";

/** The `response` object, with the gateway's `provider` added. */
export interface ResponseObject {
  id: string;
  object: "response";
  created_at: number;
  status: ResponseStatus;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: "max_output_tokens" | "content_filter" } | null;
  instructions: string | null;
  max_output_tokens: number | null;
  model: string;
  output: OutputItem[];
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  reasoning: { effort: string | null; summary: string | null };
  store: boolean;
  temperature: number | null;
  text: { format: Record<string, unknown> };
  tool_choice: unknown;
  tools: unknown[];
  top_p: number | null;
  truncation: "auto" | "disabled";
  usage?: ResponseUsage;
  user?: string;
  metadata: Record<string, string>;
  provider?: string;
  [extra: string]: unknown;
}
