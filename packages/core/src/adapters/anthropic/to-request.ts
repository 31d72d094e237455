/** OpenAI chat request → Anthropic Messages request. */
import type { ChatMessage, ChatRequest, ContentPart } from "../../openai/schema.js";
import type { AnthropicContent, AnthropicRequest } from "./wire.js";
import { thinkingBudget } from "../reasoning.js";

/** Anthropic requires max_tokens; this is used when the client sets none. */
export const DEFAULT_MAX_TOKENS = 4096;

/** The tool Anthropic is forced to call when the client asks for JSON output (response_format). */
export const JSON_TOOL_NAME = "json_response";

const textOf = (content: ChatMessage["content"]): string =>
  typeof content === "string" ? content : (content ?? []).map((p) => (p.type === "text" ? (p as { text: string }).text : "")).join("");

export function toAnthropicContent(content: string | ContentPart[] | null | undefined): AnthropicContent[] {
  if (content == null) return [];
  if (typeof content === "string") return content ? [{ type: "text", text: content }] : [];
  const out: AnthropicContent[] = [];
  for (const part of content) {
    if (part.type === "text") out.push({ type: "text", text: (part as { text: string }).text });
    else if (part.type === "image_url") {
      const url = (part as { image_url: { url: string } }).image_url.url;
      const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
      out.push({
        type: "image",
        source: data ? { type: "base64", media_type: data[1]!, data: data[2]! } : { type: "url", url },
      });
    }
  }
  return out;
}

export function toAnthropicRequest(req: ChatRequest, model: string, stream: boolean): AnthropicRequest {
  const system: string[] = [];
  const messages: AnthropicRequest["messages"] = [];
  // Anthropic wants alternating user/assistant turns: consecutive same-role messages merge into one turn.
  const push = (role: "user" | "assistant", content: AnthropicContent[]) => {
    const last = messages.at(-1);
    if (last && last.role === role) last.content.push(...content);
    else messages.push({ role, content });
  };
  for (const m of req.messages) {
    switch (m.role) {
      case "system":
      case "developer":
        system.push(textOf(m.content));
        break;
      case "user":
        push("user", toAnthropicContent(m.content));
        break;
      case "assistant": {
        const blocks = toAnthropicContent(m.content);
        for (const call of m.tool_calls ?? []) {
          blocks.push({ type: "tool_use", id: call.id, name: call.function.name, input: parseArguments(call.function.arguments) });
        }
        push("assistant", blocks);
        break;
      }
      case "tool":
        push("user", [{ type: "tool_result", tool_use_id: m.tool_call_id, content: textOf(m.content) }]);
        break;
    }
  }

  // Thinking counts against max_tokens at Anthropic: the budget is added, so the answer keeps the room asked for.
  const budget = thinkingBudget(req.reasoning_effort);
  const maxTokens = req.max_completion_tokens ?? req.max_tokens ?? DEFAULT_MAX_TOKENS;
  const out: AnthropicRequest = {
    model,
    max_tokens: budget ? maxTokens + budget : maxTokens,
    ...(budget ? { thinking: { type: "enabled" as const, budget_tokens: budget } } : {}),
    messages,
    ...(system.length ? { system: system.join("\n\n") } : {}),
    ...(req.temperature != null ? { temperature: Math.min(req.temperature, 1) } : {}),
    ...(req.top_p != null ? { top_p: req.top_p } : {}),
    ...(typeof req.top_k === "number" ? { top_k: req.top_k } : {}),
    ...(req.stop != null ? { stop_sequences: Array.isArray(req.stop) ? req.stop : [req.stop] } : {}),
    ...(req.user ? { metadata: { user_id: req.user } } : {}),
    ...(stream ? { stream: true } : {}),
  };

  if (req.tools?.length) {
    out.tools = req.tools.map((t) => ({
      name: t.function.name,
      ...(t.function.description ? { description: t.function.description } : {}),
      input_schema: t.function.parameters ?? { type: "object", properties: {} },
    }));
  }
  const choice = req.tool_choice;
  if (choice === "auto") out.tool_choice = { type: "auto" };
  else if (choice === "required") out.tool_choice = { type: "any" };
  else if (choice === "none") out.tool_choice = { type: "none" };
  else if (choice && typeof choice === "object") out.tool_choice = { type: "tool", name: choice.function.name };

  // JSON output: Anthropic has no response_format, so the answer is forced through one tool whose input schema is
  // the requested schema; the reply's tool input becomes the message content (see from-response / stream).
  const format = req.response_format;
  if (format && format.type !== "text") {
    const schema = format.type === "json_schema" ? (format.json_schema.schema ?? { type: "object" }) : { type: "object" };
    out.tools = [...(out.tools ?? []), { name: JSON_TOOL_NAME, description: "Respond with the JSON answer.", input_schema: schema }];
    out.tool_choice = { type: "tool", name: JSON_TOOL_NAME };
  }
  return out;
}

function parseArguments(args: string): unknown {
  try {
    return args ? JSON.parse(args) : {};
  } catch {
    return {};
  }
}
