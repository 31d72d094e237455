/**
 * An estimate of a Messages request's input tokens, for providers that cannot count them (Anthropic's own
 * count_tokens and the embedded model's tokenizer are exact, and are asked where they serve the model). About four characters
 * a token for text, code and JSON, which is what Claude Code uses the number for: deciding when to compact.
 */
import type { CountTokensRequest } from "./schema.js";

const CHARS_PER_TOKEN = 4;
/** Anthropic's figure for a large image ((width × height) / 750, capped by its resizing). */
const IMAGE_TOKENS = 1600;
/** Role and turn markers per message. */
const MESSAGE_OVERHEAD = 4;

/** A string field's length (0 when absent or not a string: the schema lets other block shapes through). */
const len = (value: unknown) => (typeof value === "string" ? value.length : 0);

function blockChars(block: Record<string, unknown>): { chars: number; images: number } {
  switch (block.type) {
    case "text":
      return { chars: len(block.text), images: 0 };
    case "image":
      return { chars: 0, images: 1 };
    case "tool_use":
      return { chars: len(block.name) + JSON.stringify(block.input ?? {}).length, images: 0 };
    case "tool_result": {
      if (typeof block.content === "string") return { chars: block.content.length, images: 0 };
      let chars = 0;
      let images = 0;
      for (const b of (block.content as Array<Record<string, unknown>> | null | undefined) ?? []) {
        const c = blockChars(b);
        chars += c.chars;
        images += c.images;
      }
      return { chars, images };
    }
    case "thinking":
      return { chars: len(block.thinking), images: 0 };
    default:
      return { chars: JSON.stringify(block).length, images: 0 };
  }
}

export function estimateInputTokens(body: CountTokensRequest): number {
  let chars = 0;
  let images = 0;
  if (typeof body.system === "string") chars += body.system.length;
  else for (const b of body.system ?? []) chars += b.text.length;
  for (const m of body.messages) {
    if (typeof m.content === "string") chars += m.content.length;
    else
      for (const b of m.content) {
        const c = blockChars(b as Record<string, unknown>);
        chars += c.chars;
        images += c.images;
      }
  }
  for (const t of body.tools ?? []) chars += t.name.length + (t.description?.length ?? 0) + JSON.stringify(t.input_schema ?? {}).length;
  return Math.ceil(chars / CHARS_PER_TOKEN) + images * IMAGE_TOKENS + body.messages.length * MESSAGE_OVERHEAD;
}
