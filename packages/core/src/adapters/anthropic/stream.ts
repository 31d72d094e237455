/** Anthropic stream events → canonical stream parts, one event at a time. */
import type { FinishReason, StreamPart } from "../../canonical/types.js";
import { UpstreamError } from "../../errors.js";
import { JSON_TOOL_NAME } from "./to-request.js";
import { toFinishReason, toUsage } from "./from-response.js";
import type { AnthropicStreamEvent, AnthropicUsage } from "./wire.js";

export class AnthropicStreamTranslator {
  private usage: AnthropicUsage = {};
  private finish: FinishReason | null = null;
  /** Anthropic block index → canonical tool-call index; JSON-answer blocks become text instead. */
  private readonly toolIndex = new Map<number, number>();
  private readonly jsonBlocks = new Set<number>();
  private nextToolIndex = 0;
  done = false;

  /** The parts one event becomes (often none: pings, block stops). */
  translate(event: AnthropicStreamEvent): StreamPart[] {
    switch (event.type) {
      case "message_start":
        this.usage = { ...event.message.usage };
        return [{ type: "model", model: event.message.model }];
      case "content_block_start": {
        const block = event.content_block;
        if (block.type === "tool_use") {
          if (block.name === JSON_TOOL_NAME) {
            this.jsonBlocks.add(event.index);
            return [];
          }
          const index = this.nextToolIndex++;
          this.toolIndex.set(event.index, index);
          return [{ type: "tool_call_start", index, id: block.id ?? `toolu_${index}`, name: block.name ?? "" }];
        }
        if (block.type === "text" && block.text) return [{ type: "text", delta: block.text }];
        if (block.type === "thinking" && block.thinking) return [{ type: "reasoning", delta: block.thinking }];
        return [];
      }
      case "content_block_delta": {
        const d = event.delta;
        if (d.type === "text_delta" && d.text) return [{ type: "text", delta: d.text }];
        if (d.type === "input_json_delta" && d.partial_json) {
          if (this.jsonBlocks.has(event.index)) return [{ type: "text", delta: d.partial_json }];
          const index = this.toolIndex.get(event.index);
          if (index !== undefined) return [{ type: "tool_call_delta", index, delta: d.partial_json }];
        }
        if (d.type === "thinking_delta" && d.thinking) return [{ type: "reasoning", delta: d.thinking }];
        // The signature closes a thinking block: kept so the thinking can go back to Anthropic on a later turn.
        if (d.type === "signature_delta" && d.signature) return [{ type: "reasoning", delta: "", signature: d.signature }];
        return [];
      }
      case "message_delta":
        this.usage = { ...this.usage, ...Object.fromEntries(Object.entries(event.usage ?? {}).filter(([, v]) => v != null)) };
        this.finish = toFinishReason(event.delta.stop_reason);
        if (this.finish === "tool_calls" && !this.toolIndex.size) this.finish = "stop";
        return [];
      case "message_stop":
        this.done = true;
        return [
          { type: "finish", reason: this.finish ?? "stop" },
          { type: "usage", usage: toUsage(this.usage) },
        ];
      case "error":
        throw new UpstreamError(`error in stream: ${event.error.message ?? event.error.type ?? "unknown"}`, "protocol");
      default:
        return [];
    }
  }
}
