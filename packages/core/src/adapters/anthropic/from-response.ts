/** Anthropic Messages response → canonical result. */
import type { AssistantPart, CanonicalResult, CanonicalUsage, FinishReason } from "../../canonical/types.js";
import { JSON_TOOL_NAME } from "./to-request.js";
import type { AnthropicMessage, AnthropicUsage } from "./wire.js";

export function toFinishReason(stop: string | null | undefined): FinishReason {
  switch (stop) {
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "tool_use":
      return "tool_calls";
    case "refusal":
      return "content_filter";
    default:
      return "stop";
  }
}

/** Anthropic counts cached input apart from input_tokens; the canonical input is all of it. */
export function toUsage(u: AnthropicUsage | null | undefined): CanonicalUsage {
  const read = u?.cache_read_input_tokens ?? 0;
  const write = u?.cache_creation_input_tokens ?? 0;
  return {
    inputTokens: (u?.input_tokens ?? 0) + read + write,
    outputTokens: u?.output_tokens ?? 0,
    ...(read ? { cachedInputTokens: read } : {}),
    ...(write ? { cacheWriteTokens: write } : {}),
  };
}

export function fromAnthropicMessage(msg: AnthropicMessage): CanonicalResult {
  const content: AssistantPart[] = [];
  let calls = 0;
  let json = false;
  for (const block of msg.content) {
    if (block.type === "text") content.push({ type: "text", text: (block as { text: string }).text });
    else if (block.type === "thinking") {
      const b = block as { thinking: string; signature?: string };
      content.push({ type: "reasoning", text: b.thinking, ...(b.signature ? { signature: b.signature } : {}) });
    } else if (block.type === "tool_use") {
      const b = block as { id: string; name: string; input: unknown };
      const args = JSON.stringify(b.input ?? {});
      // The forced JSON tool's input is the answer itself (to-request's response_format).
      if (b.name === JSON_TOOL_NAME) {
        json = true;
        content.push({ type: "text", text: args });
      } else {
        calls++;
        content.push({ type: "tool_call", id: b.id, name: b.name, arguments: args });
      }
    }
  }
  let finish = toFinishReason(msg.stop_reason);
  if (json && finish === "tool_calls" && !calls) finish = "stop";
  return { model: msg.model, choices: [{ content, finish }], usage: toUsage(msg.usage) };
}
