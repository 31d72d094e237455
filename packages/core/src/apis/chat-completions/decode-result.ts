/** Chat Completions answers (what adapters return today) → canonical results and stream parts. */
import type { AssistantPart, CanonicalResult, CanonicalUsage, FinishReason, StreamPart } from "../../canonical/types.js";
import type { ChatCompletion, ChatCompletionChunk, Usage } from "../../openai/schema.js";

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
    case "tool_calls":
    case "function_call":
      return hasToolCalls ? "tool_calls" : "stop";
    case "content_filter":
      return "content_filter";
    default:
      return hasToolCalls ? "tool_calls" : "stop";
  }
}

/** The first choice of a chat completion as a canonical result (Responses and Messages have one answer). */
export function resultFromChat(completion: ChatCompletion): CanonicalResult {
  const choice = completion.choices[0];
  const content: AssistantPart[] = [];
  const message = choice?.message;
  const reasoning = message?.reasoning_content ?? message?.reasoning;
  if (typeof reasoning === "string" && reasoning) content.push({ type: "reasoning", text: reasoning });
  if (message?.content) content.push({ type: "text", text: message.content });
  for (const call of message?.tool_calls ?? []) content.push({ type: "tool_call", id: call.id, name: call.function.name, arguments: call.function.arguments });
  return {
    model: completion.model,
    content,
    finish: finishFromChat(choice?.finish_reason, Boolean(message?.tool_calls?.length)),
    usage: usageFromChat(completion.usage),
  };
}

/** Turns chat chunks into stream parts; keeps which tool-call indices it has opened. */
export class ChatChunkDecoder {
  private readonly opened = new Set<number>();
  private model = "";

  decode(chunk: ChatCompletionChunk): StreamPart[] {
    const parts: StreamPart[] = [];
    if (chunk.model && chunk.model !== this.model) {
      this.model = chunk.model;
      parts.push({ type: "model", model: chunk.model });
    }
    // One answer: later choices (n > 1) have no place in Responses or Messages.
    const choice = chunk.choices.find((c) => c.index === 0);
    if (choice) {
      const d = choice.delta;
      const reasoning = d.reasoning_content ?? d.reasoning;
      if (typeof reasoning === "string" && reasoning) parts.push({ type: "reasoning", delta: reasoning });
      if (d.content) parts.push({ type: "text", delta: d.content });
      for (const t of d.tool_calls ?? []) {
        if (!this.opened.has(t.index)) {
          this.opened.add(t.index);
          parts.push({ type: "tool_call_start", index: t.index, id: t.id ?? `call_${t.index}`, name: t.function?.name ?? "" });
        }
        if (t.function?.arguments) parts.push({ type: "tool_call_delta", index: t.index, delta: t.function.arguments });
      }
      if (choice.finish_reason) parts.push({ type: "finish", reason: finishFromChat(choice.finish_reason, this.opened.size > 0) });
    }
    if (chunk.usage) parts.push({ type: "usage", usage: usageFromChat(chunk.usage) });
    return parts;
  }
}
