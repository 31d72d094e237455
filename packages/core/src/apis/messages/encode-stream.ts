/**
 * Canonical stream parts → Anthropic's event sequence: message_start, per block content_block_start (the first
 * followed by a ping),
 * its deltas (text_delta, input_json_delta, thinking_delta) and content_block_stop, then message_delta with the
 * stop reason and usage, and message_stop; an `error` event when the provider fails mid-way.
 */
import type { CanonicalUsage, FinishReason, StreamPart } from "../../canonical/types.js";
import type { Continuation } from "../../canonical/continuation.js";
import { encodeUsage, stopReasonOf } from "./encode-result.js";

export type BlockKind = "text" | "thinking" | "tool_use";

/** Where a stream another provider began stands, for resuming it (answer continuity). */
export interface MessagesResume {
  /** The block still open, if any. */
  block: { kind: BlockKind; index: number } | null;
  /** The index the next block takes. */
  nextIndex: number;
}

export class MessagesStreamEncoder {
  private block: { kind: BlockKind; index: number; tool?: number } | null = null;
  private nextIndex = 0;
  private pinged = false;
  /** Canonical tool-call index → its content block index. */
  private readonly toolBlocks = new Map<number, number>();
  private usage: CanonicalUsage | null = null;
  private finish: FinishReason = "stop";
  private model: string;
  /** Set once another provider continues the answer: message_delta carries it. */
  private continuation: Continuation | null = null;

  constructor(
    private readonly id: string,
    model: string,
    resume?: MessagesResume,
  ) {
    this.model = model;
    if (resume) {
      this.block = resume.block && { ...resume.block };
      this.nextIndex = resume.nextIndex;
      this.pinged = true;
    }
  }

  /** Another provider continues the answer (the events carry no provider; message_delta names them all). */
  annotate(_provider: string, continuation: Continuation): void {
    this.continuation = continuation;
  }

  private event(type: string, data: Record<string, unknown>): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  }

  start(): string {
    const message = {
      id: this.id,
      type: "message",
      role: "assistant",
      model: this.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      // Input tokens are known once the provider reports them: message_delta carries the final count.
      usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: null, cache_read_input_tokens: null },
    };
    return this.event("message_start", { message });
  }

  private close(): string {
    if (!this.block) return "";
    const out = this.event("content_block_stop", { index: this.block.index });
    this.block = null;
    return out;
  }

  private open(kind: BlockKind, contentBlock: Record<string, unknown>, tool?: number): string {
    const out = this.close();
    const index = this.nextIndex++;
    this.block = { kind, index, ...(tool !== undefined ? { tool } : {}) };
    // Anthropic pings once after the first block opens (keep-alive for proxies): the same order here.
    const ping = this.pinged ? "" : ((this.pinged = true), this.event("ping", {}));
    return out + this.event("content_block_start", { index, content_block: contentBlock }) + ping;
  }

  part(part: StreamPart): string {
    switch (part.type) {
      case "text": {
        if (!part.delta) return "";
        const out = this.block?.kind === "text" ? "" : this.open("text", { type: "text", text: "" });
        return out + this.event("content_block_delta", { index: this.block!.index, delta: { type: "text_delta", text: part.delta } });
      }
      case "reasoning": {
        if (!part.delta && !part.signature) return "";
        let out = this.block?.kind === "thinking" ? "" : this.open("thinking", { type: "thinking", thinking: "", signature: "" });
        const index = this.block!.index;
        if (part.delta) out += this.event("content_block_delta", { index, delta: { type: "thinking_delta", thinking: part.delta } });
        if (part.signature) out += this.event("content_block_delta", { index, delta: { type: "signature_delta", signature: part.signature } });
        return out;
      }
      case "tool_call_start": {
        const out = this.open("tool_use", { type: "tool_use", id: part.id, name: part.name, input: {} }, part.index);
        this.toolBlocks.set(part.index, this.block!.index);
        return out;
      }
      case "tool_call_delta": {
        const index = this.toolBlocks.get(part.index);
        if (index === undefined || !part.delta) return "";
        return this.event("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: part.delta } });
      }
      case "model":
        this.model = part.model;
        return "";
      case "usage":
        this.usage = part.usage;
        return "";
      case "finish":
        this.finish = part.reason;
        return "";
      case "logprobs":
        return ""; // Messages has no logprobs, and never asks for them
    }
  }

  end(): string {
    const usage = this.usage ? encodeUsage(this.usage) : { input_tokens: 0, output_tokens: 0 };
    return (
      this.close() +
      this.event("message_delta", {
        delta: { stop_reason: stopReasonOf(this.finish), stop_sequence: null },
        usage,
        ...(this.continuation ? { interference: this.continuation } : {}),
      }) +
      this.event("message_stop", {})
    );
  }

  /** Too late to fail over: Anthropic's in-band error event ends the stream. */
  fail(type: string, message: string): string {
    return this.close() + this.event("error", { error: { type, message } });
  }
}
