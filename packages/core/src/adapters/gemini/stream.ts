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
  const keys = arg.jsonPath
    .replace(/^\$\.?/, "")
    .split(".")
    .filter(Boolean);
  if (!keys.length) return;
  let node = target;
  for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
  const last = keys.at(-1)!;
  if (arg.stringValue !== undefined) node[last] = `${typeof node[last] === "string" ? node[last] : ""}${arg.stringValue}`;
  else if (arg.numberValue !== undefined) node[last] = arg.numberValue;
  else if (arg.boolValue !== undefined) node[last] = arg.boolValue;
  else if ("nullValue" in arg) node[last] = null;
}

/** One candidate's progress (a request with n > 1 streams several, told apart by their index). */
interface CandidateState {
  started: boolean;
  toolIndex: number;
  open: OpenCall | null;
  finish: FinishReason | null;
}

export class GeminiStreamTranslator {
  private id = `chatcmpl-${toolCallId().slice(5)}`;
  private readonly candidates = new Map<number, CandidateState>();
  private usage: Usage | undefined;

  constructor(
    private model: string,
    private readonly created: number,
  ) {}

  private chunk(index: number, delta: ChatCompletionChunk["choices"][0]["delta"], finish: FinishReason | null = null): ChatCompletionChunk {
    return { id: this.id, object: "chat.completion.chunk", created: this.created, model: this.model, choices: [{ index, delta, finish_reason: finish }] };
  }

  private state(index: number): CandidateState {
    let c = this.candidates.get(index);
    if (!c) this.candidates.set(index, (c = { started: false, toolIndex: 0, open: null, finish: null }));
    return c;
  }

  private closeCall(index: number, c: CandidateState): ChatCompletionChunk[] {
    if (!c.open) return [];
    const call = c.open;
    c.open = null;
    return [
      this.chunk(index, {
        tool_calls: [{ index: c.toolIndex++, id: toolCallId(), type: "function", function: { name: call.name, arguments: JSON.stringify(call.args) } }],
      }),
    ];
  }

  translate(res: GeminiResponse): ChatCompletionChunk[] {
    const out: ChatCompletionChunk[] = [];
    if (res.modelVersion) this.model = res.modelVersion;
    if (res.responseId) this.id = `chatcmpl-${res.responseId}`;
    // A chunk with no candidate still opens the stream (usage-only chunks, prompt feedback).
    const candidates = res.candidates?.length ? res.candidates : [undefined];
    candidates.forEach((candidate, position) => {
      const index = candidate?.index ?? position;
      const c = this.state(index);
      if (!c.started) {
        c.started = true;
        out.push(this.chunk(index, { role: "assistant", content: "" }));
      }
      for (const p of candidate?.content?.parts ?? []) {
        if (p.thought) {
          if (p.text) out.push(this.chunk(index, { reasoning_content: p.text }));
          continue;
        }
        if (p.text) out.push(this.chunk(index, { content: p.text }));
        const fc = p.functionCall;
        if (!fc) continue;
        if (fc.name && !fc.willContinue) {
          out.push(...this.closeCall(index, c));
          c.open = { name: fc.name, args: fc.args ?? {} };
          out.push(...this.closeCall(index, c));
        } else if (fc.name) {
          out.push(...this.closeCall(index, c));
          c.open = { name: fc.name, args: fc.args ?? {} };
        } else if (fc.partialArgs && c.open) {
          for (const a of fc.partialArgs) applyPartialArg(c.open.args, a);
        } else if (!fc.partialArgs) {
          out.push(...this.closeCall(index, c)); // the empty functionCall that ends a streamed call
        }
      }
      if (candidate?.finishReason) {
        out.push(...this.closeCall(index, c));
        c.finish = toFinishReason(candidate.finishReason, c.toolIndex > 0);
      }
    });
    if (res.usageMetadata) this.usage = toUsage(res.usageMetadata) ?? this.usage;
    return out;
  }

  /** The closing chunks once the upstream stream ends: one finish per candidate, then usage. */
  end(): ChatCompletionChunk[] {
    const out: ChatCompletionChunk[] = [];
    for (const [index, c] of [...this.candidates].sort(([a], [b]) => a - b)) {
      out.push(...this.closeCall(index, c));
      out.push(this.chunk(index, {}, c.finish ?? (c.toolIndex ? "tool_calls" : "stop")));
    }
    if (this.usage) out.push({ id: this.id, object: "chat.completion.chunk", created: this.created, model: this.model, choices: [], usage: this.usage });
    return out;
  }

  /** Whether every candidate seen has finished. */
  get finished(): boolean {
    const all = [...this.candidates.values()];
    return all.length > 0 && all.every((c) => c.finish !== null);
  }
}
