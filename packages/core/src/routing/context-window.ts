/**
 * A prompt's size in tokens, estimated before it is sent (four characters a token, as OpenAI's rule of thumb), so
 * a candidate whose model entry has a `context_window` too small for it is skipped instead of failing upstream.
 * Read off the raw body of any API: every string under the fields that carry the prompt.
 */

/** Body fields that carry what the provider reads as input, across Chat Completions, Responses, Messages, legacy. */
const PROMPT_FIELDS = ["messages", "input", "instructions", "system", "prompt", "tools", "functions", "response_format", "text", "tool_choice"];

/** An inline image or audio clip: counted as a typical image's tokens, not as its base64 characters. */
const INLINE_MEDIA_CHARS = 4 * 1000;

function charsIn(value: unknown, key: string, depth: number): number {
  if (typeof value === "string") {
    if (value.startsWith("data:") || (key === "data" && value.length > 256)) return INLINE_MEDIA_CHARS;
    return value.length;
  }
  if (depth > 64 || !value || typeof value !== "object") return 0;
  let total = 0;
  if (Array.isArray(value)) for (const v of value) total += charsIn(v, key, depth + 1);
  else for (const [k, v] of Object.entries(value)) total += k.length + charsIn(v, k, depth + 1);
  return total;
}

/** About how many tokens the request's prompt is. */
export function estimatePromptTokens(body: Record<string, unknown>): number {
  let chars = 0;
  for (const field of PROMPT_FIELDS) if (body[field] !== undefined) chars += charsIn(body[field], field, 0);
  return Math.ceil(chars / 4);
}
