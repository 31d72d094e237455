/**
 * Canonical request → Chat Completions request: the shape every adapter takes today, so a Responses or Messages
 * request reaches any provider family through it.
 */
import type { CanonicalMessage, CanonicalRequest, UserPart } from "../../canonical/types.js";
import type { ChatMessage, ChatRequest, ContentPart } from "../../openai/schema.js";

function userContent(parts: UserPart[]): string | ContentPart[] {
  if (parts.every((p) => p.type === "text")) return parts.map((p) => p.text).join("");
  return parts.map((p): ContentPart =>
    p.type === "text" ? { type: "text", text: p.text } : { type: "image_url", image_url: { url: p.url, ...(p.detail ? { detail: p.detail } : {}) } },
  );
}

function toChatMessage(m: CanonicalMessage): ChatMessage {
  if (m.role === "user") return { role: "user", content: userContent(m.content) };
  if (m.role === "tool") return { role: "tool", tool_call_id: m.toolCallId, content: m.content };
  let text = "";
  const toolCalls = [];
  for (const p of m.content) {
    if (p.type === "text") text += p.text;
    else if (p.type === "tool_call") toolCalls.push({ id: p.id, type: "function" as const, function: { name: p.name, arguments: p.arguments } });
    // Reasoning from an earlier turn has no place in Chat Completions: providers re-reason.
  }
  return { role: "assistant", content: text || (toolCalls.length ? null : ""), ...(toolCalls.length ? { tool_calls: toolCalls } : {}) };
}

export function toChatRequest(req: CanonicalRequest): ChatRequest {
  const messages: ChatMessage[] = [];
  if (req.system.length) messages.push({ role: "system", content: req.system.join("\n\n") });
  for (const m of req.messages) messages.push(toChatMessage(m));
  const chat: ChatRequest = { messages };
  const set = <K extends keyof ChatRequest>(key: K, value: ChatRequest[K] | undefined) => {
    if (value !== undefined) chat[key] = value;
  };
  set("model", req.model);
  set("provider", req.provider);
  set("drop_params", req.dropParams);
  if (req.stream) chat.stream = true;
  set("max_tokens", req.maxOutputTokens);
  set("temperature", req.temperature);
  set("top_p", req.topP);
  set("stop", req.stop?.length ? req.stop : undefined);
  set("seed", req.seed);
  set("presence_penalty", req.presencePenalty);
  set("frequency_penalty", req.frequencyPenalty);
  set("user", req.user);
  // Not an OpenAI parameter, but what vLLM, llama.cpp and Together take; families without it refuse it by name.
  if (req.topK !== undefined) chat.top_k = req.topK;
  if (req.tools.length) {
    chat.tools = req.tools.map((t) => ({
      type: "function" as const,
      function: {
        name: t.name,
        ...(t.description !== undefined ? { description: t.description } : {}),
        parameters: t.parameters,
        ...(t.strict !== undefined ? { strict: t.strict } : {}),
      },
    }));
  }
  if (req.toolChoice !== undefined) {
    chat.tool_choice = typeof req.toolChoice === "string" ? req.toolChoice : { type: "function", function: { name: req.toolChoice.name } };
  }
  set("parallel_tool_calls", req.parallelToolCalls);
  const out = req.output;
  if (out && out.type !== "text") {
    chat.response_format =
      out.type === "json_object"
        ? { type: "json_object" }
        : {
            type: "json_schema",
            json_schema: {
              name: out.name,
              schema: out.schema,
              ...(out.description ? { description: out.description } : {}),
              ...(out.strict !== undefined ? { strict: out.strict } : {}),
            },
          };
  }
  if (req.reasoning?.effort) chat.reasoning_effort = req.reasoning.effort;
  return chat;
}
