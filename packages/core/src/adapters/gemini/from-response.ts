/** Gemini responses → OpenAI chat.completion; also the pieces the stream translation shares. */
import { randomBytes } from "node:crypto";
import type { ChatCompletion, FinishReason, ToolCall, Usage } from "../../openai/schema.js";
import type { GeminiResponse, GeminiUsage } from "./wire.js";

export const toolCallId = () => `call_${randomBytes(12).toString("base64url")}`;

export function toFinishReason(reason: string | undefined, hasToolCalls: boolean): FinishReason | null {
  if (!reason) return null;
  if (hasToolCalls && (reason === "STOP" || reason === "FINISH_REASON_UNSPECIFIED")) return "tool_calls";
  switch (reason) {
    case "STOP":
      return "stop";
    case "MAX_TOKENS":
      return "length";
    case "SAFETY":
    case "RECITATION":
    case "BLOCKLIST":
    case "PROHIBITED_CONTENT":
    case "SPII":
    case "IMAGE_SAFETY":
      return "content_filter";
    default:
      return "stop";
  }
}

export function toUsage(u: GeminiUsage | undefined): Usage | undefined {
  if (!u || u.promptTokenCount === undefined) return undefined;
  const prompt = u.promptTokenCount ?? 0;
  // Thinking tokens are billed as output, as OpenAI counts reasoning tokens in completion_tokens.
  const completion = (u.candidatesTokenCount ?? 0) + (u.thoughtsTokenCount ?? 0);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export function fromGeminiResponse(res: GeminiResponse, model: string, created: number): ChatCompletion {
  const choices = (res.candidates ?? []).map((c, i) => {
    let text = "";
    let reasoning = "";
    const toolCalls: ToolCall[] = [];
    for (const p of c.content?.parts ?? []) {
      // Thought summaries (asked for with reasoning_effort) go out as reasoning_content, never as the answer.
      if (p.thought) {
        if (p.text) reasoning += p.text;
        continue;
      }
      if (p.text) text += p.text;
      if (p.functionCall?.name) {
        toolCalls.push({ id: toolCallId(), type: "function", function: { name: p.functionCall.name, arguments: JSON.stringify(p.functionCall.args ?? {}) } });
      }
    }
    return {
      index: c.index ?? i,
      message: {
        role: "assistant" as const,
        content: text || (toolCalls.length ? null : ""),
        ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
        ...(reasoning ? { reasoning_content: reasoning } : {}),
        refusal: null,
      },
      finish_reason: toFinishReason(c.finishReason, toolCalls.length > 0) ?? "stop",
      logprobs: null,
    };
  });
  if (!choices.length && res.promptFeedback?.blockReason) {
    choices.push({ index: 0, message: { role: "assistant", content: "", refusal: null }, finish_reason: "content_filter", logprobs: null });
  }
  return {
    id: `chatcmpl-${res.responseId ?? randomBytes(9).toString("base64url")}`,
    object: "chat.completion",
    created,
    model: res.modelVersion ?? model,
    choices,
    ...(toUsage(res.usageMetadata) ? { usage: toUsage(res.usageMetadata)! } : {}),
  };
}
