/**
 * Gemini stream responses → OpenAI chunks. Function calls arrive whole (`name` + `args`) or, on newer models,
 * streamed: `{name, willContinue}`, then `partialArgs` fragments, then an empty `functionCall: {}` that ends it.
 * A streamed call is emitted as one tool_calls delta once complete, so clients always get parseable arguments.
 */
import type { ChatCompletionChunk, FinishReason, Usage } from "../../openai/schema.js";
import { toFinishReason, toolCallId, toUsage } from "./from-response.js";
import type { GeminiPart, GeminiResponse } from "./wire.js";

interface OpenCall {
  name: string;
  args: Record<string, unknown>;
}

/** Sets `$.a.b` in `target`, appending strings to what is there (fragments of one string value). */
export function applyPartialArg(target: Record<string, unknown>, arg: NonNullable<NonNullable<GeminiPart["functionCall"]>["partialArgs"]>[number]): void {
  const keys = arg.jsonPath.replace(/^\$\.?/, "").split(".").filter(Boolean);
  if (!keys.length) return;
  let node = target;
  for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
  const last = keys.at(-1)!;
  if (arg.stringValue !== undefined) node[last] = `${typeof node[last] === "string" ? node[last] : ""}${arg.stringValue}`;
  else if (arg.numberValue !== undefined) node[last] = arg.numberValue;
  else if (arg.boolValue !== undefined) node[last] = arg.boolValue;
  else if ("nullValue" in arg) node[last] = null;
}

export class GeminiStreamTranslator {
  private id = `chatcmpl-${toolCallId().slice(5)}`;
  private started = false;
  private toolIndex = 0;
  private open: OpenCall | null = null;
  private usage: Usage | undefined;
  private finish: FinishReason | null = null;

  constructor(private model: string, private readonly created: number) {}

  private chunk(delta: ChatCompletionChunk["choices"][0]["delta"], finish: FinishReason | null = null): ChatCompletionChunk {
    return { id: this.id, object: "chat.completion.chunk", created: this.created, model: this.model, choices: [{ index: 0, delta, finish_reason: finish }] };
  }

  private closeCall(): ChatCompletionChunk[] {
    if (!this.open) return [];
    const call = this.open;
    this.open = null;
    return [this.chunk({ tool_calls: [{ index: this.toolIndex++, id: toolCallId(), type: "function", function: { name: call.name, arguments: JSON.stringify(call.args) } }] })];
  }

  translate(res: GeminiResponse): ChatCompletionChunk[] {
    const out: ChatCompletionChunk[] = [];
    if (res.modelVersion) this.model = res.modelVersion;
    if (res.responseId) this.id = `chatcmpl-${res.responseId}`;
    if (!this.started) {
      this.started = true;
      out.push(this.chunk({ role: "assistant", content: "" }));
    }
    const candidate = res.candidates?.[0];
    for (const p of candidate?.content?.parts ?? []) {
      if (p.thought) continue;
      if (p.text) out.push(this.chunk({ content: p.text }));
      const fc = p.functionCall;
      if (!fc) continue;
      if (fc.name && !fc.willContinue) {
        out.push(...this.closeCall());
        this.open = { name: fc.name, args: fc.args ?? {} };
        out.push(...this.closeCall());
      } else if (fc.name) {
        out.push(...this.closeCall());
        this.open = { name: fc.name, args: fc.args ?? {} };
      } else if (fc.partialArgs && this.open) {
        for (const a of fc.partialArgs) applyPartialArg(this.open.args, a);
      } else if (!fc.partialArgs) {
        out.push(...this.closeCall()); // the empty functionCall that ends a streamed call
      }
    }
    if (res.usageMetadata) this.usage = toUsage(res.usageMetadata) ?? this.usage;
    if (candidate?.finishReason) {
      out.push(...this.closeCall());
      this.finish = toFinishReason(candidate.finishReason, this.toolIndex > 0);
    }
    return out;
  }

  /** The closing chunks once the upstream stream ends. */
  end(): ChatCompletionChunk[] {
    const out = this.closeCall();
    out.push(this.chunk({}, this.finish ?? (this.toolIndex ? "tool_calls" : "stop")));
    if (this.usage) out.push({ id: this.id, object: "chat.completion.chunk", created: this.created, model: this.model, choices: [], usage: this.usage });
    return out;
  }

  get finished(): boolean {
    return this.finish !== null;
  }
}
