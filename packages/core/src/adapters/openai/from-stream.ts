/** OpenAI `chat.completion.chunk` events → canonical stream parts. */
import { UpstreamError } from "../../errors.js";
import type { StreamPart } from "../../canonical/types.js";
import { thoughtSignatureOf, type ChatCompletionChunk } from "../../openai/schema.js";
import { finishFromChat, logprobsFromChat, usageFromChat } from "./from-response.js";

/** One SSE event's data as a chunk; an error event or anything not chunk-shaped is the provider's failure. */
export function parseChunk(data: string): ChatCompletionChunk {
  let chunk: ChatCompletionChunk & { error?: { message?: string } };
  try {
    chunk = JSON.parse(data);
  } catch {
    throw new UpstreamError(`malformed stream event: ${data.slice(0, 80)}`, "protocol");
  }
  if (chunk && typeof chunk === "object" && "error" in chunk && chunk.error) {
    throw new UpstreamError(`error in stream: ${chunk.error.message ?? "unknown"}`, "protocol");
  }
  if (!chunk || !Array.isArray(chunk.choices)) {
    throw new UpstreamError(`malformed stream event: ${data.slice(0, 80)}`, "protocol");
  }
  return chunk;
}

/** Turns chunks into parts; keeps which tool calls each answer has opened, and the model reported. */
export class ChatChunkDecoder {
  /** `${choice}:${tool index}` of the tool calls opened. */
  private readonly opened = new Set<string>();
  private readonly withTools = new Set<number>();
  private model = "";

  decode(chunk: ChatCompletionChunk): StreamPart[] {
    const parts: StreamPart[] = [];
    if (chunk.model && chunk.model !== this.model) {
      this.model = chunk.model;
      parts.push({ type: "model", model: chunk.model });
    }
    for (const choice of chunk.choices) {
      const at = choice.index ? { choice: choice.index } : {};
      const d = choice.delta ?? {};
      const reasoning = d.reasoning_content ?? d.reasoning;
      if (typeof reasoning === "string" && reasoning) parts.push({ type: "reasoning", delta: reasoning, ...at });
      if (d.content) parts.push({ type: "text", delta: d.content, ...at });
      for (const t of d.tool_calls ?? []) {
        const key = `${choice.index}:${t.index}`;
        if (!this.opened.has(key)) {
          this.opened.add(key);
          this.withTools.add(choice.index);
          const signature = thoughtSignatureOf(t);
          parts.push({
            type: "tool_call_start",
            index: t.index,
            id: t.id ?? `call_${t.index}`,
            name: t.function?.name ?? "",
            ...(signature ? { signature } : {}),
            ...at,
          });
        }
        if (t.function?.arguments) parts.push({ type: "tool_call_delta", index: t.index, delta: t.function.arguments, ...at });
      }
      const logprobs = logprobsFromChat(choice.logprobs);
      if (logprobs?.length) parts.push({ type: "logprobs", tokens: logprobs, ...at });
      if (choice.finish_reason) parts.push({ type: "finish", reason: finishFromChat(choice.finish_reason, this.withTools.has(choice.index)), ...at });
    }
    if (chunk.usage) parts.push({ type: "usage", usage: usageFromChat(chunk.usage) });
    return parts;
  }
}
