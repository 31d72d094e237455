/**
 * Answer continuity: the request that asks another provider to carry on an answer its first provider left
 * unfinished, and the seam where the two texts meet. Pure functions over the canonical model; the stream side is
 * routes/serve-chat.ts.
 */
import type { CanonicalRequest, StreamPart } from "./types.js";
import { requestedParams, withoutParams, type CanonicalParam } from "./params.js";

/**
 * What a provider without assistant prefill is told, after the answer so far: the model is asked to write only what
 * comes next. Best effort: a model may still restate or reword, which prefill rules out.
 */
export const CONTINUE_INSTRUCTION =
  "Your reply above was cut off. Continue it from exactly where it stops, mid-word or mid-sentence if need be. " +
  "Do not repeat any of it, and write nothing before the continuation: no greeting, note or quotation marks.";

/** Settings a continuation never carries: it is one answer's text, and earlier reasoning cannot be signed again. */
const NOT_CONTINUED: readonly CanonicalParam[] = ["n", "logprobs", "reasoning"];

/**
 * The request that continues `sofar` (the text the client already has). With `prefill`, the answer so far is the
 * last, unfinished assistant turn, which the model extends; without it, that turn is followed by
 * CONTINUE_INSTRUCTION. Trailing whitespace is held back from the prefill (Anthropic refuses a prefill that ends
 * with it, and a tokenizer reads " word" better than " " + "word"): `Seam` drops it again from the continuation.
 * `supported` are the settings the new provider honours; the others are dropped rather than refused.
 */
export function continuationRequest(req: CanonicalRequest, sofar: string, prefill: boolean, supported: ReadonlySet<CanonicalParam>): CanonicalRequest {
  const unsupported = requestedParams(req).filter((p) => NOT_CONTINUED.includes(p) || !supported.has(p));
  const base = { ...withoutParams({ ...req, stream: true }, unsupported) };
  const text = sofar.trimEnd();
  if (!text) return base;
  // max_tokens bounds the whole answer: what was delivered (estimated at four characters a token) is spent.
  if (base.maxOutputTokens !== undefined) base.maxOutputTokens = Math.max(1, base.maxOutputTokens - Math.ceil(sofar.length / 4));
  const messages = [...base.messages];
  const last = messages.at(-1);
  // The client's own prefill (Messages lets the last turn be the assistant's) comes before what was generated.
  if (last?.role === "assistant") messages[messages.length - 1] = { role: "assistant", content: [...last.content, { type: "text", text }] };
  else messages.push({ role: "assistant", content: [{ type: "text", text }] });
  if (prefill) return { ...base, messages, prefill: true };
  messages.push({ role: "user", content: [{ type: "text", text: CONTINUE_INSTRUCTION }] });
  return { ...base, messages };
}

/**
 * What a continued answer's last chunk says (its `interference` field): the providers that wrote it, in order, and
 * where each took over, as character offsets into the answer's text (`seams[i]` is where `providers[i + 1]` began).
 */
export interface Continuation {
  providers: string[];
  seams: number[];
}

/** Characters as people count them (code points, what Python's len() gives), not UTF-16 units. */
export function characterCount(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * Where the continuation joins the answer. It drops what must not reach the client twice or at all: the
 * whitespace the client already has but the prefill held back, the new provider's reasoning (the client is past
 * it), and its model name (the answer keeps the one it began with).
 */
export class Seam {
  /** Whitespace the client has that the continuation may start with again. */
  private pending: string;

  constructor(sofar: string) {
    this.pending = sofar.slice(sofar.trimEnd().length);
  }

  admit(part: StreamPart): StreamPart | null {
    switch (part.type) {
      case "reasoning":
      case "model":
      case "logprobs":
        return null;
      case "text": {
        if (!this.pending) return part;
        let i = 0;
        while (i < part.delta.length && i < this.pending.length && /\s/.test(part.delta[i]!)) i++;
        // Past the first character that is not whitespace, nothing more is dropped.
        this.pending = i === part.delta.length ? this.pending.slice(i) : "";
        const delta = part.delta.slice(i);
        return delta ? { ...part, delta } : null;
      }
      default:
        return part;
    }
  }
}
