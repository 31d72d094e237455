/**
 * Canonical stream parts → the Responses API's event sequence, with sequence numbers: response.created,
 * response.in_progress, then per output item `output_item.added`, its content or arguments deltas and `.done`
 * events, `output_item.done`, and finally response.completed (or .incomplete / .failed).
 */
import type { CanonicalUsage, FinishReason, StreamPart } from "../../canonical/types.js";
import type { Continuation } from "../../canonical/continuation.js";
import { callName, encodeUsage, itemId, settle, signatureBlob, type ToolNames } from "./encode-result.js";
import type { FunctionCallOutput, MessageOutput, OutputItem, ReasoningOutput, ResponseObject } from "./schema.js";

type Open =
  | { kind: "message"; index: number; item: MessageOutput; text: string }
  | { kind: "reasoning"; index: number; item: ReasoningOutput; text: string }
  | { kind: "function_call"; index: number; item: FunctionCallOutput; toolIndex: number };

/** Where a stream another provider began stands, for resuming it (answer continuity). */
export interface ResponsesResume {
  /** The next event's sequence_number. */
  sequence: number;
  /** The output items so far, as the client has them. */
  output: OutputItem[];
  /** The message item still open, by its output index, and its text so far. */
  open: { index: number; text: string } | null;
}

export class ResponsesStreamEncoder {
  private sequence = 0;
  private open: Open | null = null;
  /** Canonical tool-call index → its open function_call item (calls may interleave their argument deltas). */
  private readonly calls = new Map<number, Extract<Open, { kind: "function_call" }>>();
  private usage: CanonicalUsage | null = null;
  private finish: FinishReason = "stop";
  readonly response: ResponseObject;
  /** Call id → Gemini's thought signature: no field of this API holds it, so the stored conversation keeps it. */
  readonly signatures = new Map<string, string>();

  constructor(
    shell: ResponseObject,
    private readonly names?: ToolNames,
    resume?: ResponsesResume,
  ) {
    this.response = { ...shell, output: resume ? resume.output : [] };
    if (resume) {
      this.sequence = resume.sequence;
      const item = resume.open && this.response.output[resume.open.index];
      if (item?.type === "message") this.open = { kind: "message", index: resume.open!.index, item, text: resume.open!.text };
    }
  }

  /** From here on `provider` writes the answer: the final response names it, and how the answer was continued. */
  annotate(provider: string, continuation: Continuation): void {
    this.response.provider = provider;
    this.response.interference = continuation;
  }

  private event(type: string, data: Record<string, unknown>): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: this.sequence++, ...data })}\n\n`;
  }

  /** A snapshot for lifecycle events: later changes to the response must not show in text already sent. */
  private snapshot(): ResponseObject {
    return structuredClone(this.response);
  }

  start(): string {
    return this.event("response.created", { response: this.snapshot() }) + this.event("response.in_progress", { response: this.snapshot() });
  }

  private add(item: OutputItem): { index: number; text: string } {
    const index = this.response.output.length;
    this.response.output.push(item);
    return { index, text: this.event("response.output_item.added", { output_index: index, item: structuredClone(item) }) };
  }

  private openMessage(): string {
    const item: MessageOutput = { type: "message", id: itemId("msg"), status: "in_progress", role: "assistant", content: [] };
    const { index, text } = this.add(item);
    this.open = { kind: "message", index, item, text: "" };
    const part = { type: "output_text", text: "", annotations: [], logprobs: [] };
    item.content.push({ type: "output_text", text: "", annotations: [], logprobs: [] });
    return text + this.event("response.content_part.added", { item_id: item.id, output_index: index, content_index: 0, part });
  }

  private openReasoning(): string {
    const item: ReasoningOutput = { type: "reasoning", id: itemId("rs"), summary: [], content: [], status: "in_progress" };
    const { index, text } = this.add(item);
    this.open = { kind: "reasoning", index, item, text: "" };
    const part = { type: "reasoning_text", text: "" };
    item.content!.push({ type: "reasoning_text", text: "" });
    return text + this.event("response.content_part.added", { item_id: item.id, output_index: index, content_index: 0, part });
  }

  /** Ends the open message or reasoning item (function calls end together at the finish). */
  private closeOpen(status: "completed" | "incomplete"): string {
    const open = this.open;
    if (!open || open.kind === "function_call") return "";
    this.open = null;
    const { item, index } = open;
    item.status = status;
    const ids = { item_id: item.id, output_index: index, content_index: 0 };
    if (open.kind === "message") {
      const part = { type: "output_text", text: open.text, annotations: [], logprobs: [] };
      open.item.content[0] = part as MessageOutput["content"][0];
      return (
        this.event("response.output_text.done", { ...ids, text: open.text, logprobs: [] }) +
        this.event("response.content_part.done", { ...ids, part }) +
        this.event("response.output_item.done", { output_index: index, item: structuredClone(item) })
      );
    }
    const part = { type: "reasoning_text" as const, text: open.text };
    item.content![0] = part;
    return (
      this.event("response.reasoning_text.done", { ...ids, text: open.text }) +
      this.event("response.content_part.done", { ...ids, part }) +
      this.event("response.output_item.done", { output_index: index, item: structuredClone(item) })
    );
  }

  private closeCalls(): string {
    let out = "";
    for (const call of this.calls.values()) {
      call.item.status = "completed";
      out +=
        this.event("response.function_call_arguments.done", {
          item_id: call.item.id,
          output_index: call.index,
          name: call.item.name,
          arguments: call.item.arguments,
        }) + this.event("response.output_item.done", { output_index: call.index, item: structuredClone(call.item) });
    }
    this.calls.clear();
    return out;
  }

  part(part: StreamPart): string {
    switch (part.type) {
      case "text": {
        if (!part.delta) return "";
        let out = "";
        if (this.open?.kind !== "message") out += this.closeOpen("completed") + this.openMessage();
        const open = this.open as Extract<Open, { kind: "message" }>;
        open.text += part.delta;
        return (
          out + this.event("response.output_text.delta", { item_id: open.item.id, output_index: open.index, content_index: 0, delta: part.delta, logprobs: [] })
        );
      }
      case "reasoning": {
        if (!part.delta && !part.signature) return "";
        let out = "";
        if (this.open?.kind !== "reasoning") out += this.closeOpen("completed") + this.openReasoning();
        const open = this.open as Extract<Open, { kind: "reasoning" }>;
        if (part.signature) open.item.encrypted_content = signatureBlob(part.signature);
        if (!part.delta) return out;
        open.text += part.delta;
        return out + this.event("response.reasoning_text.delta", { item_id: open.item.id, output_index: open.index, content_index: 0, delta: part.delta });
      }
      case "tool_call_start": {
        const out = this.closeOpen("completed");
        const item: FunctionCallOutput = {
          type: "function_call",
          id: itemId("fc"),
          call_id: part.id,
          ...callName(part.name, this.names),
          arguments: "",
          status: "in_progress",
        };
        const { index, text } = this.add(item);
        this.calls.set(part.index, { kind: "function_call", index, item, toolIndex: part.index });
        if (part.signature) this.signatures.set(part.id, part.signature);
        return out + text;
      }
      case "tool_call_delta": {
        const call = this.calls.get(part.index);
        if (!call || !part.delta) return "";
        call.item.arguments += part.delta;
        return this.event("response.function_call_arguments.delta", { item_id: call.item.id, output_index: call.index, delta: part.delta });
      }
      case "model":
        this.response.model = part.model;
        return "";
      case "usage":
        this.usage = part.usage;
        return "";
      case "finish":
        this.finish = part.reason;
        return "";
      case "logprobs":
        return ""; // never asked for through this API
    }
  }

  /** The normal end: every open item is closed, then response.completed (or .incomplete). */
  end(): string {
    const status = this.finish === "length" ? "incomplete" : "completed";
    let out = this.closeOpen(status) + this.closeCalls();
    settle(this.response, this.finish);
    if (this.usage) this.response.usage = encodeUsage(this.usage);
    out += this.event(this.response.status === "incomplete" ? "response.incomplete" : "response.completed", { response: this.snapshot() });
    return out;
  }

  /**
   * The provider broke (or time ran out) after output began: the response fails, keeping what was sent. OpenAI's
   * spec allows a closed set of codes here: the gateway's own code goes into the message.
   */
  fail(status: number, code: string, message: string): string {
    let out = this.closeOpen("incomplete") + this.closeCalls();
    this.response.status = "failed";
    this.response.error = { code: status === 429 ? "rate_limit_exceeded" : "server_error", message: `${message} (${code})` };
    if (this.usage) this.response.usage = encodeUsage(this.usage);
    out += this.event("response.failed", { response: this.snapshot() });
    return out;
  }
}
