/** Canonical result → Anthropic's `message` object. */
import { randomToken } from "../../ids.js";
import type { AssistantPart, CanonicalResult, CanonicalUsage, FinishReason } from "../../canonical/types.js";
import type { MessageObject, MessagesUsage, ResponseBlock, StopReason } from "./schema.js";

export function messageId(): string {
  return `msg_${randomToken(12, "base64url")}`;
}

export function stopReasonOf(finish: FinishReason): StopReason {
  switch (finish) {
    case "length":
      return "max_tokens";
    case "tool_calls":
      return "tool_use";
    case "content_filter":
      return "refusal";
    default:
      return "end_turn";
  }
}

export function encodeUsage(u: CanonicalUsage): MessagesUsage {
  // Anthropic counts cached input apart from input_tokens.
  return {
    input_tokens: u.inputTokens - (u.cachedInputTokens ?? 0) - (u.cacheWriteTokens ?? 0),
    output_tokens: u.outputTokens,
    cache_creation_input_tokens: u.cacheWriteTokens ?? 0,
    cache_read_input_tokens: u.cachedInputTokens ?? 0,
    ...(u.cost !== undefined ? { cost: u.cost } : {}),
  };
}

/** A tool call's arguments as the object Anthropic's `input` is; text that is not a JSON object is kept under `_raw`. */
export function toolInput(args: string): unknown {
  if (!args.trim()) return {};
  try {
    const value = JSON.parse(args);
    return value && typeof value === "object" && !Array.isArray(value) ? value : { _raw: args };
  } catch {
    return { _raw: args };
  }
}

export function encodeBlocks(parts: AssistantPart[]): ResponseBlock[] {
  return parts.map((p): ResponseBlock => {
    if (p.type === "text") return { type: "text", text: p.text };
    if (p.type === "tool_call") return { type: "tool_use", id: p.id, name: p.name, input: toolInput(p.arguments) };
    return { type: "thinking", thinking: p.text, signature: p.signature ?? "" };
  });
}

/** Messages has one answer: the first. */
export function encodeMessage(id: string, result: CanonicalResult): MessageObject {
  const [answer] = result.choices;
  return {
    id,
    type: "message",
    role: "assistant",
    model: result.model,
    content: encodeBlocks(answer!.content),
    stop_reason: stopReasonOf(answer!.finish),
    stop_sequence: null,
    usage: encodeUsage(result.usage),
  };
}
