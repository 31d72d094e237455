/**
 * Gemini stream responses → canonical stream parts. Function calls arrive whole (`name` + `args`) or, on newer
 * models, streamed: `{name, willContinue}`, then `partialArgs` fragments, then an empty `functionCall: {}` that
 * ends it. A streamed call is emitted once complete, so clients always get parseable arguments.
 */
import type { CanonicalUsage, FinishReason, StreamPart } from "../../canonical/types.js";
import { toFinishReason, toLogprobs, toolCallId, toUsage } from "./from-response.js";
import type { GeminiPart, GeminiResponse } from "./wire.js";

interface OpenCall {
  name: string;
  args: Record<string, unknown>;
  signature?: string;
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
  toolIndex: number;
  open: OpenCall | null;
  finish: FinishReason | null;
}

export class GeminiStreamTranslator {
  private readonly candidates = new Map<number, CandidateState>();
  private usage: CanonicalUsage | undefined;
  private model = "";

  private state(index: number): CandidateState {
    let c = this.candidates.get(index);
    if (!c) this.candidates.set(index, (c = { toolIndex: 0, open: null, finish: null }));
    return c;
  }

  /** A finished call as its start and its whole arguments. */
  private closeCall(index: number, c: CandidateState, out: StreamPart[]): void {
    if (!c.open) return;
    const { name, args, signature } = c.open;
    c.open = null;
    const at = index ? { choice: index } : {};
    const tool = c.toolIndex++;
    out.push(
      { type: "tool_call_start", index: tool, id: toolCallId(), name, ...(signature ? { signature } : {}), ...at },
      { type: "tool_call_delta", index: tool, delta: JSON.stringify(args), ...at },
    );
  }

  translate(res: GeminiResponse): StreamPart[] {
    const out: StreamPart[] = [];
    if (res.modelVersion && res.modelVersion !== this.model) {
      this.model = res.modelVersion;
      out.push({ type: "model", model: res.modelVersion });
    }
    (res.candidates ?? []).forEach((candidate, position) => {
      const index = candidate.index ?? position;
      const at = index ? { choice: index } : {};
      const c = this.state(index);
      for (const p of candidate.content?.parts ?? []) {
        if (p.thought) {
          if (p.text) out.push({ type: "reasoning", delta: p.text, ...at });
          continue;
        }
        if (p.text) out.push({ type: "text", delta: p.text, ...at });
        const fc = p.functionCall;
        if (!fc) continue;
        if (fc.name) {
          this.closeCall(index, c, out);
          c.open = { name: fc.name, args: fc.args ?? {}, ...(p.thoughtSignature ? { signature: p.thoughtSignature } : {}) };
          if (!fc.willContinue) this.closeCall(index, c, out);
        } else if (fc.partialArgs && c.open) {
          for (const a of fc.partialArgs) applyPartialArg(c.open.args, a);
        } else if (!fc.partialArgs) {
          this.closeCall(index, c, out); // the empty functionCall that ends a streamed call
        }
      }
      const logprobs = toLogprobs(candidate.logprobsResult);
      if (logprobs?.length) out.push({ type: "logprobs", tokens: logprobs, ...at });
      if (candidate.finishReason) {
        this.closeCall(index, c, out);
        c.finish = toFinishReason(candidate.finishReason, c.toolIndex > 0);
      }
    });
    if (res.usageMetadata) this.usage = toUsage(res.usageMetadata) ?? this.usage;
    return out;
  }

  /** The closing parts once the upstream stream ends: one finish per candidate, then usage. */
  end(): StreamPart[] {
    const out: StreamPart[] = [];
    for (const [index, c] of [...this.candidates].sort(([a], [b]) => a - b)) {
      this.closeCall(index, c, out);
      out.push({ type: "finish", reason: c.finish ?? (c.toolIndex ? "tool_calls" : "stop"), ...(index ? { choice: index } : {}) });
    }
    if (this.usage) out.push({ type: "usage", usage: this.usage });
    return out;
  }

  /** Whether every candidate seen has finished. */
  get finished(): boolean {
    const all = [...this.candidates.values()];
    return all.length > 0 && all.every((c) => c.finish !== null);
  }
}
