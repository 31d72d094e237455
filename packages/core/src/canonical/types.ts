/**
 * The one internal model every public API (Chat Completions, Responses, Messages) is decoded into and encoded from.
 * It holds what the APIs share; what only a provider of the same API understands travels by native passthrough.
 */

export interface TextPart {
  type: "text";
  text: string;
}

/** An image as a URL: http(s) or a `data:` URL with base64 bytes. */
export interface ImagePart {
  type: "image";
  url: string;
  detail?: "auto" | "low" | "high";
}

export interface ToolCallPart {
  type: "tool_call";
  id: string;
  name: string;
  /** JSON text, as the model produced it. */
  arguments: string;
  /** Gemini's thought signature for the call: only that family reads it, and Gemini 3 wants it back. */
  signature?: string;
}

/** The model's visible reasoning (Anthropic thinking, OpenAI reasoning summaries). */
export interface ReasoningPart {
  type: "reasoning";
  text: string;
  /** Anthropic's thinking signature: only that family can check it, so it is kept but never invented. */
  signature?: string;
}

export type UserPart = TextPart | ImagePart;
export type AssistantPart = TextPart | ToolCallPart | ReasoningPart;

export type CanonicalMessage =
  | { role: "user"; content: UserPart[] }
  | { role: "assistant"; content: AssistantPart[] }
  | { role: "tool"; toolCallId: string; content: string; isError?: boolean };

export interface CanonicalTool {
  name: string;
  description?: string;
  /** JSON Schema of the arguments. */
  parameters: Record<string, unknown>;
  strict?: boolean;
}

export type ToolChoice = "auto" | "none" | "required" | { name: string };

export type OutputFormat =
  { type: "text" } | { type: "json_object" } | { type: "json_schema"; name: string; schema: Record<string, unknown>; description?: string; strict?: boolean };

/** Chat Completions' `logprobs`: the chosen token's log probability, and the `top` most likely alternatives. */
export interface LogprobsRequest {
  top: number;
}

export interface CanonicalRequest {
  /** The model the client asked for (routing resolves it per provider). */
  model?: string;
  /** The gateway's own drop_params. */
  dropParams?: boolean;
  /** System / developer instructions, in order. */
  system: string[];
  messages: CanonicalMessage[];
  tools: CanonicalTool[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  output?: OutputFormat;
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stop?: string[];
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  reasoning?: { effort?: string; budgetTokens?: number };
  /** Answers wanted (Chat Completions' and legacy Completions' `n`); one when absent. */
  n?: number;
  logprobs?: LogprobsRequest;
  user?: string;
  metadata?: Record<string, string>;
  stream: boolean;
  /**
   * The last message is the assistant's unfinished answer, which the model extends rather than answering anew
   * (answer continuity, canonical/continuation.ts). Set only for adapters whose `prefill` says they can.
   */
  prefill?: boolean;
}

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter";

export interface CanonicalUsage {
  inputTokens: number;
  outputTokens: number;
  /** Of inputTokens, read from a prompt cache. */
  cachedInputTokens?: number;
  /** Of inputTokens, written to a prompt cache. */
  cacheWriteTokens?: number;
  /** Of outputTokens, spent reasoning. */
  reasoningTokens?: number;
  /** USD: the gateway's own reckoning from its prices (spend/price.ts), added on the way out; never a provider's. */
  cost?: number;
}

/** One generated token: its text, log probability and raw bytes, and the likeliest alternatives at its place. */
export interface TokenLogprob {
  token: string;
  logprob: number;
  bytes?: number[];
  top: Array<{ token: string; logprob: number; bytes?: number[] }>;
}

/** One answer. Most requests get one; `n` asks for several. */
export interface CanonicalChoice {
  content: AssistantPart[];
  finish: FinishReason;
  /** Per output token, when the request asked for logprobs and the provider gave them. */
  logprobs?: TokenLogprob[];
}

export interface CanonicalResult {
  /** The model id the provider reports. */
  model: string;
  /** At least one; index i is answer i. */
  choices: CanonicalChoice[];
  usage: CanonicalUsage;
}

/**
 * A streamed answer as a sequence of parts. Tool calls are numbered by `index` in order of appearance; a call's
 * arguments arrive as deltas after its start. `choice` says which answer a part belongs to when `n` asked for
 * several (absent: the first); APIs with one answer never ask for more.
 */
export type StreamPart =
  | { type: "text"; delta: string; choice?: number }
  /** `signature` (Anthropic's, for the thinking so far) comes once the reasoning is complete. */
  | { type: "reasoning"; delta: string; signature?: string; choice?: number }
  | { type: "tool_call_start"; index: number; id: string; name: string; signature?: string; choice?: number }
  | { type: "tool_call_delta"; index: number; delta: string; choice?: number }
  | { type: "logprobs"; tokens: TokenLogprob[]; choice?: number }
  | { type: "model"; model: string }
  | { type: "usage"; usage: CanonicalUsage }
  | { type: "finish"; reason: FinishReason; choice?: number };
