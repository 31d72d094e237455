/** Canonical request → Anthropic Messages request. */
import type { AssistantPart, CanonicalRequest, UserPart } from "../../canonical/types.js";
import type { AnthropicContent, AnthropicRequest } from "./wire.js";
import { thinkingBudget } from "../reasoning.js";

/** Anthropic requires max_tokens; this is used when the client sets none. */
export const DEFAULT_MAX_TOKENS = 4096;

/** The tool Anthropic is forced to call when the client asks for JSON output (response_format). */
export const JSON_TOOL_NAME = "json_response";

function userBlocks(parts: UserPart[]): AnthropicContent[] {
  return parts.map((p): AnthropicContent => {
    if (p.type === "text") return { type: "text", text: p.text };
    const data = /^data:([^;,]+);base64,(.*)$/s.exec(p.url);
    return { type: "image", source: data ? { type: "base64", media_type: data[1]!, data: data[2]! } : { type: "url", url: p.url } };
  });
}

/**
 * An assistant turn's blocks. Earlier thinking goes back only when this request thinks too, and only signed
 * (Anthropic checks the signature; another provider's reasoning has none), first, as Anthropic requires.
 */
function assistantBlocks(parts: AssistantPart[], thinking: boolean): AnthropicContent[] {
  const thoughts: AnthropicContent[] = [];
  const rest: AnthropicContent[] = [];
  for (const p of parts) {
    if (p.type === "text") {
      if (p.text) rest.push({ type: "text", text: p.text });
    } else if (p.type === "tool_call") rest.push({ type: "tool_use", id: p.id, name: p.name, input: parseArguments(p.arguments) });
    else if (thinking && p.signature) thoughts.push({ type: "thinking", thinking: p.text, signature: p.signature });
  }
  return [...thoughts, ...rest];
}

/** The thinking budget asked for: Anthropic's own (Messages' `thinking`), else one for OpenAI's effort. */
function budgetOf(reasoning: CanonicalRequest["reasoning"]): number | null | undefined {
  if (!reasoning) return undefined;
  return reasoning.budgetTokens ?? thinkingBudget(reasoning.effort);
}

export function toAnthropicRequest(req: CanonicalRequest, model: string, stream: boolean): AnthropicRequest {
  const budget = budgetOf(req.reasoning);
  const messages: AnthropicRequest["messages"] = [];
  // Anthropic wants alternating user/assistant turns: consecutive same-role messages merge into one turn.
  const push = (role: "user" | "assistant", content: AnthropicContent[]) => {
    const last = messages.at(-1);
    if (last && last.role === role) last.content.push(...content);
    else messages.push({ role, content });
  };
  for (const m of req.messages) {
    if (m.role === "user") push("user", userBlocks(m.content));
    else if (m.role === "assistant") push("assistant", assistantBlocks(m.content, Boolean(budget)));
    else push("user", [{ type: "tool_result", tool_use_id: m.toolCallId, content: m.content, ...(m.isError ? { is_error: true } : {}) }]);
  }

  // Thinking counts against max_tokens at Anthropic: the budget is added, so the answer keeps the room asked for.
  const maxTokens = req.maxOutputTokens ?? DEFAULT_MAX_TOKENS;
  const out: AnthropicRequest = {
    model,
    max_tokens: budget ? maxTokens + budget : maxTokens,
    ...(budget ? { thinking: { type: "enabled" as const, budget_tokens: budget } } : {}),
    messages,
    ...(req.system.length ? { system: req.system.join("\n\n") } : {}),
    ...(req.temperature !== undefined ? { temperature: Math.min(req.temperature, 1) } : {}),
    ...(req.topP !== undefined ? { top_p: req.topP } : {}),
    ...(req.topK !== undefined ? { top_k: req.topK } : {}),
    ...(req.stop?.length ? { stop_sequences: req.stop } : {}),
    ...(req.user ? { metadata: { user_id: req.user } } : {}),
    ...(stream ? { stream: true } : {}),
  };

  if (req.tools.length) {
    out.tools = req.tools.map((t) => ({ name: t.name, ...(t.description ? { description: t.description } : {}), input_schema: t.parameters }));
  }
  const choice = req.toolChoice;
  if (choice === "auto") out.tool_choice = { type: "auto" };
  else if (choice === "required") out.tool_choice = { type: "any" };
  else if (choice === "none") out.tool_choice = { type: "none" };
  else if (choice) out.tool_choice = { type: "tool", name: choice.name };
  if (req.parallelToolCalls === false && req.tools.length) out.tool_choice = { ...(out.tool_choice ?? { type: "auto" }), disable_parallel_tool_use: true };

  // JSON output: Anthropic has no response_format, so the answer is forced through one tool whose input schema is
  // the requested schema; the reply's tool input becomes the message content (see from-response / stream).
  const format = req.output;
  if (format && format.type !== "text") {
    const schema = format.type === "json_schema" ? format.schema : { type: "object" };
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
