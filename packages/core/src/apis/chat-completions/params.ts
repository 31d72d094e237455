/** Chat Completions' own names for the canonical settings, and the fields its decoder translates. */
import type { CanonicalParam } from "../../canonical/params.js";

/** The request field that carries each canonical setting (for the 400 that names a refused one). */
export const CHAT_PARAM_NAMES: Record<CanonicalParam, string> = {
  temperature: "temperature",
  topP: "top_p",
  topK: "top_k",
  stop: "stop",
  seed: "seed",
  presencePenalty: "presence_penalty",
  frequencyPenalty: "frequency_penalty",
  maxOutputTokens: "max_tokens",
  tools: "tools",
  toolChoice: "tool_choice",
  parallelToolCalls: "parallel_tool_calls",
  output: "response_format",
  reasoning: "reasoning_effort",
  n: "n",
  logprobs: "logprobs",
  user: "user",
};

/** Chat Completions' name for a canonical setting, as this request spelled it. */
export function chatParamName(param: CanonicalParam, body: Record<string, unknown>): string {
  if (param === "maxOutputTokens" && body.max_completion_tokens != null) return "max_completion_tokens";
  return CHAT_PARAM_NAMES[param];
}

/**
 * What decode-request carries into the canonical model. A request with any other field (logit_bias, audio,
 * prediction, service_tier, next month's additions) is served natively only, unless drop_params.
 */
export const TRANSLATED_FIELDS = new Set([
  "model",
  "messages",
  "provider",
  "drop_params",
  "stream",
  "stream_options",
  "temperature",
  "top_p",
  "top_k",
  "n",
  "stop",
  "max_tokens",
  "max_completion_tokens",
  "presence_penalty",
  "frequency_penalty",
  "logprobs",
  "top_logprobs",
  "seed",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "response_format",
  "reasoning_effort",
  "user",
]);

/** Every parameter OpenAI documents for chat completions: what a provider that speaks the API natively takes. */
export { OPENAI_CHAT_PARAMS } from "../../openai/schema.js";

/** The Chat Completions parameters a translating provider honours, given the canonical settings it supports. */
export function chatParamsFor(params: ReadonlySet<CanonicalParam>): string[] {
  const out = ["stream", "stream_options"];
  for (const p of params) {
    out.push(CHAT_PARAM_NAMES[p]);
    if (p === "maxOutputTokens") out.push("max_completion_tokens");
    if (p === "logprobs") out.push("top_logprobs");
  }
  return out;
}
