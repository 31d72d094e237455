/**
 * Answers in and out of the cache. What is stored is the canonical result, so that a hit can be encoded in
 * whichever API asks; an answer the canonical model cannot hold whole (citations, audio, a built-in tool's items)
 * is not cached rather than replayed with parts missing.
 */
import type { AssistantPart, CanonicalChoice, CanonicalResult, FinishReason, StreamPart } from "../canonical/types.js";
import { resultFromChat } from "../adapters/openai/from-response.js";
import { fromAnthropicMessage } from "../adapters/anthropic/from-response.js";
import { decodeInput } from "../apis/responses/decode-request.js";
import type { ChatCompletion } from "../openai/schema.js";
import type { AnthropicMessage } from "../adapters/anthropic/wire.js";
import type { InputItem } from "../apis/responses/schema.js";

export type CachedApi = "chat" | "responses" | "messages";

/** Chat message (and stream delta) fields the canonical model holds; any other must be empty. */
export const CHAT_MESSAGE_FIELDS = new Set(["role", "content", "tool_calls", "reasoning_content", "reasoning"]);
export const empty = (v: unknown) => v == null || (Array.isArray(v) && v.length === 0);

/** A Chat Completions answer as a canonical result; null when it has parts the canonical model lacks. */
export function chatAnswer(answer: ChatCompletion): CanonicalResult | null {
  if (!Array.isArray(answer?.choices)) return null;
  for (const choice of answer.choices) {
    for (const [k, v] of Object.entries(choice.message ?? {})) if (!CHAT_MESSAGE_FIELDS.has(k) && !empty(v)) return null;
  }
  return resultFromChat(answer);
}

/** Messages content blocks the canonical model holds. */
export const MESSAGE_BLOCKS = new Set(["text", "tool_use", "thinking"]);

/** A Messages answer as a canonical result; null when a block is one the canonical model lacks (a server tool's). */
export function messagesAnswer(answer: AnthropicMessage): CanonicalResult | null {
  if (!Array.isArray(answer?.content)) return null;
  for (const block of answer.content as Array<Record<string, unknown>>) {
    if (!MESSAGE_BLOCKS.has(block.type as string) || !empty(block.citations)) return null;
  }
  return fromAnthropicMessage(answer);
}

const RESPONSE_ITEMS = new Set(["message", "function_call", "reasoning"]);

/** A Responses answer as a canonical result; null for an unfinished one or one with other items (web search…). */
export function responsesAnswer(answer: {
  status?: string;
  model?: string;
  output?: unknown[];
  usage?: any;
  incomplete_details?: any;
}): CanonicalResult | null {
  if (!Array.isArray(answer?.output)) return null;
  const cut = answer.status === "incomplete" && answer.incomplete_details?.reason === "max_output_tokens";
  if (answer.status !== "completed" && !cut) return null;
  for (const item of answer.output as Array<Record<string, any>>) {
    if (!RESPONSE_ITEMS.has(item.type)) return null;
    if (item.type === "message") {
      for (const part of item.content ?? []) if (part.type !== "output_text" || !empty(part.annotations) || !empty(part.logprobs)) return null;
    }
  }
  const content: AssistantPart[] = [];
  for (const m of decodeInput(answer.output as InputItem[], "output", true).messages) if (m.role === "assistant") content.push(...m.content);
  const finish: FinishReason = cut ? "length" : content.some((p) => p.type === "tool_call") ? "tool_calls" : "stop";
  const u = answer.usage;
  return {
    model: answer.model ?? "",
    choices: [{ content, finish }],
    usage: {
      inputTokens: u?.input_tokens ?? 0,
      outputTokens: u?.output_tokens ?? 0,
      ...(u?.input_tokens_details?.cached_tokens ? { cachedInputTokens: u.input_tokens_details.cached_tokens } : {}),
      ...(u?.output_tokens_details?.reasoning_tokens ? { reasoningTokens: u.output_tokens_details.reasoning_tokens } : {}),
    },
  };
}

/** A whole answer from its stream parts. */
export function collectParts(parts: Iterable<StreamPart>): CanonicalResult {
  const result: CanonicalResult = { model: "", choices: [], usage: { inputTokens: 0, outputTokens: 0 } };
  const calls = new Map<string, Extract<AssistantPart, { type: "tool_call" }>>();
  const choice = (i = 0): CanonicalChoice => {
    while (result.choices.length <= i) result.choices.push({ content: [], finish: "stop" });
    return result.choices[i]!;
  };
  for (const part of parts) {
    switch (part.type) {
      case "model":
        result.model = part.model;
        break;
      case "usage":
        result.usage = part.usage;
        break;
      case "text": {
        const c = choice(part.choice).content;
        const last = c.at(-1);
        if (last?.type === "text") last.text += part.delta;
        else c.push({ type: "text", text: part.delta });
        break;
      }
      case "reasoning": {
        const c = choice(part.choice).content;
        const last = c.at(-1);
        if (last?.type === "reasoning" && !last.signature) last.text += part.delta;
        else c.push({ type: "reasoning", text: part.delta });
        if (part.signature) (c.at(-1) as Extract<AssistantPart, { type: "reasoning" }>).signature = part.signature;
        break;
      }
      case "tool_call_start": {
        const call = { type: "tool_call" as const, id: part.id, name: part.name, arguments: "", ...(part.signature ? { signature: part.signature } : {}) };
        calls.set(`${part.choice ?? 0}:${part.index}`, call);
        choice(part.choice).content.push(call);
        break;
      }
      case "tool_call_delta": {
        const call = calls.get(`${part.choice ?? 0}:${part.index}`);
        if (call) call.arguments += part.delta;
        break;
      }
      case "logprobs": {
        const c = choice(part.choice);
        c.logprobs = [...(c.logprobs ?? []), ...part.tokens];
        break;
      }
      case "finish":
        choice(part.choice).finish = part.reason;
        break;
    }
  }
  if (!result.choices.length) result.choices.push({ content: [], finish: "stop" });
  return result;
}

/** A stored answer as the stream parts a provider would have sent: how a streamed hit is replayed. */
export function partsOf(result: CanonicalResult): StreamPart[] {
  const parts: StreamPart[] = [{ type: "model", model: result.model }];
  result.choices.forEach((c, i) => {
    const at = i ? { choice: i } : {};
    let tools = 0;
    for (const p of c.content) {
      if (p.type === "text") parts.push({ type: "text", delta: p.text, ...at });
      else if (p.type === "reasoning") parts.push({ type: "reasoning", delta: p.text, ...(p.signature ? { signature: p.signature } : {}), ...at });
      else {
        const index = tools++;
        parts.push({ type: "tool_call_start", index, id: p.id, name: p.name, ...(p.signature ? { signature: p.signature } : {}), ...at });
        if (p.arguments) parts.push({ type: "tool_call_delta", index, delta: p.arguments, ...at });
      }
    }
    if (c.logprobs?.length) parts.push({ type: "logprobs", tokens: c.logprobs, ...at });
    parts.push({ type: "finish", reason: c.finish, ...at });
  });
  parts.push({ type: "usage", usage: result.usage });
  return parts;
}

export type { AnthropicMessage };
