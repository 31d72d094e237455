/** Anthropic Messages response → OpenAI chat.completion. */
import type { ChatCompletion, FinishReason, ToolCall, Usage } from "../../openai/schema.js";
import { JSON_TOOL_NAME } from "./to-request.js";
import type { AnthropicMessage, AnthropicUsage } from "./wire.js";

export function toFinishReason(stop: string | null | undefined): FinishReason | null {
  switch (stop) {
    case "end_turn":
    case "stop_sequence":
    case "pause_turn":
      return "stop";
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "tool_use":
      return "tool_calls";
    case "refusal":
      return "content_filter";
    default:
      return stop ? "stop" : null;
  }
}

export function toUsage(u: AnthropicUsage | null | undefined): Usage {
  const prompt = (u?.input_tokens ?? 0) + (u?.cache_creation_input_tokens ?? 0) + (u?.cache_read_input_tokens ?? 0);
  const completion = u?.output_tokens ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export function fromAnthropicMessage(msg: AnthropicMessage, created: number): ChatCompletion {
  let text = "";
  let reasoning = "";
  const toolCalls: ToolCall[] = [];
  let jsonAnswer: string | null = null;
  for (const block of msg.content) {
    if (block.type === "text") text += (block as { text: string }).text;
    else if (block.type === "thinking") reasoning += (block as { thinking: string }).thinking;
    else if (block.type === "tool_use") {
      const b = block as { id: string; name: string; input: unknown };
      const args = JSON.stringify(b.input ?? {});
      if (b.name === JSON_TOOL_NAME) jsonAnswer = args;
      else toolCalls.push({ id: b.id, type: "function", function: { name: b.name, arguments: args } });
    }
  }
  let finish = toFinishReason(msg.stop_reason);
  if (jsonAnswer !== null && finish === "tool_calls" && !toolCalls.length) finish = "stop";
  return {
    id: msg.id,
    object: "chat.completion",
    created,
    model: msg.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: jsonAnswer ?? (text || (toolCalls.length ? null : "")),
          ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
          ...(reasoning ? { reasoning_content: reasoning } : {}),
          refusal: null,
        },
        finish_reason: finish,
        logprobs: null,
      },
    ],
    usage: toUsage(msg.usage),
  };
}
