/** Canonical request → an OpenAI Chat Completions request body, for any OpenAI-compatible server. */
import type { CanonicalMessage, CanonicalRequest, UserPart } from "../../canonical/types.js";
import { thoughtSignatureExtra, type ChatMessage, type ContentPart } from "../../openai/schema.js";

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
    else if (p.type === "tool_call")
      toolCalls.push({ id: p.id, type: "function" as const, function: { name: p.name, arguments: p.arguments }, ...thoughtSignatureExtra(p.signature) });
    // Reasoning from an earlier turn has no place in Chat Completions: providers re-reason.
  }
  return { role: "assistant", content: text || (toolCalls.length ? null : ""), ...(toolCalls.length ? { tool_calls: toolCalls } : {}) };
}

/**
 * How an OpenAI-compatible server is told to continue the last assistant message rather than answer it (none of
 * this is in OpenAI's own API): `assistant`, a trailing assistant message is continued as it is (llama.cpp's
 * server); `prefix`, DeepSeek's `prefix: true` on that message; `continue_final_message`, vLLM's flags.
 */
export const PREFILL_STYLES = ["assistant", "prefix", "continue_final_message"] as const;
export type PrefillStyle = (typeof PREFILL_STYLES)[number];

export function toOpenAIRequest(req: CanonicalRequest, model: string, stream: boolean, prefill?: PrefillStyle): Record<string, unknown> {
  const messages: ChatMessage[] = [];
  if (req.system.length) messages.push({ role: "system", content: req.system.join("\n\n") });
  for (const m of req.messages) messages.push(toChatMessage(m));
  const body: Record<string, unknown> = { model, messages, stream };
  if (req.prefill && prefill === "prefix") (messages.at(-1) as Record<string, unknown>).prefix = true;
  if (req.prefill && prefill === "continue_final_message") Object.assign(body, { continue_final_message: true, add_generation_prompt: false });
  // Usage is always asked for, so every streamed request is logged with its tokens.
  if (stream) body.stream_options = { include_usage: true };
  const set = (key: string, value: unknown) => {
    if (value !== undefined) body[key] = value;
  };
  set("max_tokens", req.maxOutputTokens);
  set("temperature", req.temperature);
  set("top_p", req.topP);
  // Not an OpenAI parameter, but what vLLM, llama.cpp and Together take.
  set("top_k", req.topK);
  set("stop", req.stop?.length ? req.stop : undefined);
  set("seed", req.seed);
  set("presence_penalty", req.presencePenalty);
  set("frequency_penalty", req.frequencyPenalty);
  set("n", req.n);
  if (req.logprobs) {
    body.logprobs = true;
    if (req.logprobs.top) body.top_logprobs = req.logprobs.top;
  }
  set("user", req.user);
  if (req.tools.length) {
    body.tools = req.tools.map((t) => ({
      type: "function",
      function: {
        name: t.name,
        ...(t.description !== undefined ? { description: t.description } : {}),
        parameters: t.parameters,
        ...(t.strict !== undefined ? { strict: t.strict } : {}),
      },
    }));
  }
  if (req.toolChoice !== undefined) {
    body.tool_choice = typeof req.toolChoice === "string" ? req.toolChoice : { type: "function", function: { name: req.toolChoice.name } };
  }
  set("parallel_tool_calls", req.parallelToolCalls);
  const out = req.output;
  if (out && out.type !== "text") {
    body.response_format =
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
  // Only an effort the client named in OpenAI's terms: a thinking budget alone (Anthropic's `thinking`) is not
  // sent, since OpenAI's non-reasoning models refuse reasoning_effort and the gateway cannot tell which is which.
  set("reasoning_effort", req.reasoning?.effort);
  return body;
}
