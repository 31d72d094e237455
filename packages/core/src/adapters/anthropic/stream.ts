/** Anthropic stream events → OpenAI chat.completion.chunk objects, one event at a time. */
import type { ChatCompletionChunk, ChunkToolCallDelta, FinishReason } from "../../openai/schema.js";
import { UpstreamError } from "../../errors.js";
import { JSON_TOOL_NAME } from "./to-request.js";
import { toFinishReason, toUsage } from "./from-response.js";
import type { AnthropicStreamEvent, AnthropicUsage } from "./wire.js";

export class AnthropicStreamTranslator {
  private id = "";
  private model = "";
  private usage: AnthropicUsage = {};
  private finish: FinishReason | null = null;
  /** Anthropic block index → OpenAI tool_calls index; JSON-answer blocks map to content instead. */
  private toolIndex = new Map<number, number>();
  private jsonBlocks = new Set<number>();
  private nextToolIndex = 0;
  private hadToolCall = false;
  done = false;

  constructor(private readonly created: number) {}

  private chunk(delta: ChatCompletionChunk["choices"][0]["delta"], finish: FinishReason | null = null): ChatCompletionChunk {
    return { id: this.id, object: "chat.completion.chunk", created: this.created, model: this.model, choices: [{ index: 0, delta, finish_reason: finish }] };
  }

  /** The chunks one event becomes (often none: pings, block stops). */
  translate(event: AnthropicStreamEvent): ChatCompletionChunk[] {
    switch (event.type) {
      case "message_start":
        this.id = event.message.id;
        this.model = event.message.model;
        this.usage = { ...event.message.usage };
        return [this.chunk({ role: "assistant", content: "" })];
      case "content_block_start": {
        const block = event.content_block;
        if (block.type === "tool_use") {
          if (block.name === JSON_TOOL_NAME) {
            this.jsonBlocks.add(event.index);
            return [];
          }
          const index = this.nextToolIndex++;
          this.toolIndex.set(event.index, index);
          this.hadToolCall = true;
          const call: ChunkToolCallDelta = { index, id: block.id, type: "function", function: { name: block.name, arguments: "" } };
          return [this.chunk({ tool_calls: [call] })];
        }
        return block.type === "text" && block.text ? [this.chunk({ content: block.text })] : [];
      }
      case "content_block_delta": {
        const d = event.delta;
        if (d.type === "text_delta" && d.text) return [this.chunk({ content: d.text })];
        if (d.type === "input_json_delta" && d.partial_json) {
          if (this.jsonBlocks.has(event.index)) return [this.chunk({ content: d.partial_json })];
          const index = this.toolIndex.get(event.index);
          if (index !== undefined) return [this.chunk({ tool_calls: [{ index, function: { arguments: d.partial_json } }] })];
        }
        // Thinking goes out as `reasoning_content` (the field DeepSeek and vLLM use); signatures stay Anthropic's.
        if (d.type === "thinking_delta" && d.thinking) return [this.chunk({ reasoning_content: d.thinking })];
        return [];
      }
      case "message_delta":
        this.usage = { ...this.usage, ...Object.fromEntries(Object.entries(event.usage ?? {}).filter(([, v]) => v != null)) };
        this.finish = toFinishReason(event.delta.stop_reason);
        if (this.finish === "tool_calls" && !this.hadToolCall) this.finish = "stop";
        return [];
      case "message_stop": {
        this.done = true;
        const usage = toUsage(this.usage);
        return [
          this.chunk({}, this.finish ?? "stop"),
          { id: this.id, object: "chat.completion.chunk", created: this.created, model: this.model, choices: [], usage },
        ];
      }
      case "error":
        throw new UpstreamError(`error in stream: ${event.error.message ?? event.error.type ?? "unknown"}`, "protocol");
      default:
        return [];
    }
  }
}
