/** An OpenAI `chat.completion` → canonical result. */
import type { AssistantPart, CanonicalChoice, CanonicalResult, CanonicalUsage, FinishReason, TokenLogprob } from "../../canonical/types.js";
import { thoughtSignatureOf, type ChatCompletion, type Usage } from "../../openai/schema.js";

export function usageFromChat(u: Usage | null | undefined): CanonicalUsage {
  const details = u?.prompt_tokens_details as { cached_tokens?: number } | undefined;
  const out = u?.completion_tokens_details as { reasoning_tokens?: number } | undefined;
  return {
    inputTokens: u?.prompt_tokens ?? 0,
    outputTokens: u?.completion_tokens ?? 0,
    ...(details?.cached_tokens ? { cachedInputTokens: details.cached_tokens } : {}),
    ...(out?.reasoning_tokens ? { reasoningTokens: out.reasoning_tokens } : {}),
  };
}

export function finishFromChat(reason: string | null | undefined, hasToolCalls: boolean): FinishReason {
  switch (reason) {
    case "length":
      return "length";
    case "content_filter":
      return "content_filter";
    default:
      return hasToolCalls ? "tool_calls" : "stop";
  }
}

type WireLogprob = { token?: string; logprob?: number; bytes?: unknown; top_logprobs?: unknown };

/** OpenAI's `logprobs.content` → canonical token logprobs; undefined when the choice has none. */
export function logprobsFromChat(logprobs: unknown): TokenLogprob[] | undefined {
  const content = (logprobs as { content?: unknown } | null | undefined)?.content;
  if (!Array.isArray(content)) return undefined;
  const bytes = (b: unknown) => (Array.isArray(b) ? { bytes: b as number[] } : {});
  return (content as WireLogprob[]).map((t) => ({
    token: typeof t.token === "string" ? t.token : "",
    logprob: typeof t.logprob === "number" ? t.logprob : 0,
    ...bytes(t.bytes),
    top: (Array.isArray(t.top_logprobs) ? (t.top_logprobs as WireLogprob[]) : []).map((a) => ({
      token: typeof a.token === "string" ? a.token : "",
      logprob: typeof a.logprob === "number" ? a.logprob : 0,
      ...bytes(a.bytes),
    })),
  }));
}

export function resultFromChat(completion: ChatCompletion): CanonicalResult {
  const choices: CanonicalChoice[] = [];
  for (const choice of [...completion.choices].sort((a, b) => a.index - b.index)) {
    const content: AssistantPart[] = [];
    const message = choice.message;
    const reasoning = message?.reasoning_content ?? message?.reasoning;
    if (typeof reasoning === "string" && reasoning) content.push({ type: "reasoning", text: reasoning });
    if (message?.content) content.push({ type: "text", text: message.content });
    for (const call of message?.tool_calls ?? []) {
      // Google's OpenAI-compatible API carries Gemini's thought signature here.
      const signature = thoughtSignatureOf(call);
      content.push({ type: "tool_call", id: call.id, name: call.function.name, arguments: call.function.arguments, ...(signature ? { signature } : {}) });
    }
    const logprobs = logprobsFromChat(choice.logprobs);
    choices.push({
      content,
      finish: finishFromChat(choice.finish_reason, Boolean(message?.tool_calls?.length)),
      ...(logprobs ? { logprobs } : {}),
    });
  }
  if (!choices.length) choices.push({ content: [], finish: "stop" });
  return { model: completion.model, choices, usage: usageFromChat(completion.usage) };
}
