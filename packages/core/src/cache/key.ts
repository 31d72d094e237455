/**
 * The cache key: a hash of what decides the answer. The canonical request (so a Chat Completions answer can serve
 * the same question asked through Responses or Messages), plus any field the API's decoder does not carry (a
 * native provider reads those: they change the answer), less what never does: streaming, the end user's id,
 * metadata, the routing choice (unless the admin wants provider-exact hits) and the gateway's own fields.
 */
import { createHash } from "node:crypto";
import stringify from "safe-stable-stringify";
import type { CanonicalMessage, CanonicalRequest } from "../canonical/types.js";
import { literals } from "./semantic-guard.js";

/** Request fields that do not change the answer, or are the gateway's own. */
const IGNORED_FIELDS = new Set(["stream", "stream_options", "user", "metadata", "provider", "cache", "store", "drop_params", "stream_recovery"]);

export interface KeyInput {
  /** The public API (a part of the key only when the canonical request could not be had). */
  api: string;
  raw: Record<string, unknown>;
  /** The request in the canonical model; null when it could not be decoded (e.g. a built-in tool). */
  canonical: CanonicalRequest | null;
  /** The fields the API's decoder carries into the canonical model. */
  translatedFields: ReadonlySet<string>;
  /** Set when hits must come from the same provider choice. */
  provider?: string | null;
}

/** The hash of a value's JSON with its keys in order. */
const hashOf = (value: unknown) => createHash("sha256").update(stringify(value)!).digest("base64url");

/** What of the canonical request decides the answer. */
function answerFields(req: CanonicalRequest): Omit<CanonicalRequest, "stream" | "user" | "metadata" | "dropParams" | "prefill"> {
  const { stream: _s, user: _u, metadata: _m, dropParams: _d, prefill: _p, ...rest } = req;
  return rest;
}

/** Fields the decoder left out, which a native provider still reads. */
function untranslated(raw: Record<string, unknown>, translated: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (v != null && !translated.has(k) && !IGNORED_FIELDS.has(k)) out[k] = v;
  return out;
}

/** The exact key of a request. */
export function cacheKey(input: KeyInput): string {
  const provider = input.provider ?? null;
  if (!input.canonical) {
    const body: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(input.raw)) if (!IGNORED_FIELDS.has(k)) body[k] = v;
    return hashOf({ v: 1, api: input.api, body, provider });
  }
  return hashOf({ v: 1, request: answerFields(input.canonical), extra: untranslated(input.raw, input.translatedFields), provider });
}

/** What a semantic cache embeds, and the rest of the request (with the text's literals), which must match exactly. */
export interface SemanticKey {
  text: string;
  /** Hash of everything but the embedded text. */
  context: string;
}

/**
 * The semantic form of a request: its last user turn's text (or the whole prompt's) to embed, and the hash of the
 * rest. Null when there is no user text to compare (the last turn is a tool result, or images only).
 */
export function semanticKey(input: KeyInput, embed: "last_user_turn" | "prompt"): SemanticKey | null {
  const req = input.canonical;
  if (!req) return null;
  const last = req.messages.at(-1);
  if (!last || last.role !== "user") return null;
  const textOf = (m: CanonicalMessage) => (m.role === "user" ? m.content.filter((p) => p.type === "text").map((p) => p.text) : []);
  const lastText = textOf(last).join("\n").trim();
  if (!lastText) return null;
  const others = last.content.filter((p) => p.type !== "text");
  const fields = answerFields(req);
  let text: string;
  let rest: Record<string, unknown>;
  if (embed === "prompt") {
    text = [
      ...req.system,
      ...req.messages.flatMap((m) =>
        m.role === "user" ? textOf(m) : m.role === "assistant" ? m.content.flatMap((p) => (p.type === "text" ? [p.text] : [])) : [],
      ),
    ].join("\n");
    // Only what is not text stays exact: images, tool calls and results, the settings.
    rest = {
      ...fields,
      system: [],
      messages: req.messages.map((m) =>
        m.role === "user"
          ? { role: "user", content: m.content.filter((p) => p.type !== "text") }
          : m.role === "assistant"
            ? { role: "assistant", content: m.content.filter((p) => p.type !== "text") }
            : m,
      ),
    };
  } else {
    text = lastText;
    rest = { ...fields, messages: [...req.messages.slice(0, -1), { role: "user", content: others }] };
  }
  const named = [...literals(text)].sort();
  return {
    text,
    context: hashOf({ v: 1, semantic: embed, rest, named, extra: untranslated(input.raw, input.translatedFields), provider: input.provider ?? null }),
  };
}
