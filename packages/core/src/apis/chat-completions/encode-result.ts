/** Canonical result → Chat Completions' `chat.completion` object. */
import type { AssistantPart, CanonicalChoice, CanonicalResult, CanonicalUsage, TokenLogprob } from "../../canonical/types.js";
import { thoughtSignatureExtra, type ChatCompletion, type ToolCall, type Usage } from "../../openai/schema.js";

export function encodeUsage(u: CanonicalUsage): Usage {
  const usage: Usage = { prompt_tokens: u.inputTokens, completion_tokens: u.outputTokens, total_tokens: u.inputTokens + u.outputTokens };
  if (u.cachedInputTokens) usage.prompt_tokens_details = { cached_tokens: u.cachedInputTokens };
  if (u.reasoningTokens) usage.completion_tokens_details = { reasoning_tokens: u.reasoningTokens };
  if (u.cost !== undefined) usage.cost = u.cost;
  return usage;
}

/** A token's UTF-8 bytes, as OpenAI lists them, when the provider gave none. */
const utf8 = (token: string) => [...Buffer.from(token, "utf8")];

/** Logprobs in OpenAI's shape: `{content: [{token, logprob, bytes, top_logprobs}], refusal}`. */
export function encodeLogprobs(tokens: TokenLogprob[]): { content: unknown[]; refusal: null } {
  return {
    content: tokens.map((t) => ({
      token: t.token,
      logprob: t.logprob,
      bytes: t.bytes ?? utf8(t.token),
      top_logprobs: t.top.map((a) => ({ token: a.token, logprob: a.logprob, bytes: a.bytes ?? utf8(a.token) })),
    })),
    refusal: null,
  };
}

/** An assistant turn's parts as a chat message: text joined, reasoning as `reasoning_content`, calls as tool_calls. */
export function encodeMessage(parts: AssistantPart[]): ChatCompletion["choices"][number]["message"] {
  let text = "";
  let reasoning = "";
  const toolCalls: ToolCall[] = [];
  for (const p of parts) {
    if (p.type === "text") text += p.text;
    else if (p.type === "reasoning") reasoning += p.text;
    // Gemini's thought signature rides where Google's own OpenAI-compatible API puts it, so clients that send the
    // message back as they got it keep Gemini 3's tool loop valid.
    else toolCalls.push({ id: p.id, type: "function", function: { name: p.name, arguments: p.arguments }, ...thoughtSignatureExtra(p.signature) });
  }
  return {
    role: "assistant",
    content: text || (toolCalls.length ? null : ""),
    ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
    // The field DeepSeek and vLLM use; OpenAI's own models show no reasoning in this API.
    ...(reasoning ? { reasoning_content: reasoning } : {}),
    refusal: null,
  };
}

function encodeChoice(choice: CanonicalChoice, index: number): ChatCompletion["choices"][number] {
  return {
    index,
    message: encodeMessage(choice.content),
    finish_reason: choice.finish,
    logprobs: choice.logprobs ? encodeLogprobs(choice.logprobs) : null,
  };
}

export function encodeResult(id: string, created: number, result: CanonicalResult): ChatCompletion {
  return {
    id,
    object: "chat.completion",
    created,
    model: result.model,
    choices: result.choices.map(encodeChoice),
    usage: encodeUsage(result.usage),
  };
}
