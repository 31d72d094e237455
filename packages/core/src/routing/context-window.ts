/**
 * A prompt's size in tokens, estimated before it is sent (four characters a token, as OpenAI's rule of thumb): a
 * candidate whose model entry has a `context_window` too small for it is skipped instead of failing upstream, and
 * a key's TPM and budget reserve it (routes/serve-chat.ts). Read off the raw body of any API: every string under
 * the fields the provider bills as input (tools and output schemas included), each image or audio clip as a
 * large image's tokens whether it is inline or a URL.
 */

/** Body fields that carry what the provider reads as input, across Chat Completions, Responses, Messages, legacy. */
const PROMPT_FIELDS = ["messages", "input", "instructions", "system", "prompt", "tools", "functions", "response_format", "text", "tool_choice"];

/**
 * An image or audio clip, inline or by URL: counted as a large image's tokens (Anthropic's most, about 1,600;
 * OpenAI's high detail at 2048 pixels, 1,105), not as its base64 characters. An estimate: gpt-4o-mini bills an
 * image as some 25,000 tokens (at its low token price), so its images are reserved short (README: "Spend").
 */
export const MEDIA_TOKENS = 1_600;
const MEDIA_CHARS = 4 * MEDIA_TOKENS;

/** Keys whose string is a media reference in any API (image_url.url, input_image's image_url, Anthropic's source.url, file ids). */
const MEDIA_KEYS = new Set(["url", "image_url", "file_id", "file_url", "file_data"]);

const NOT_ASCII = /[^\u0020-\u007e\t\n\r]/g;

/**
 * A value's size in "characters" of four to a token, about its JSON's length: quotes and separators count, and a
 * character outside ASCII counts as a token of its own (Chinese, Japanese and emoji run near one token each).
 */
function charsIn(value: unknown, key: string, depth: number): number {
  if (typeof value === "string") {
    if (value.startsWith("data:") || (key === "data" && value.length > 256) || MEDIA_KEYS.has(key)) return MEDIA_CHARS;
    return value.length + 3 + 3 * (value.match(NOT_ASCII)?.length ?? 0);
  }
  if (depth > 64 || !value || typeof value !== "object") return typeof value === "number" || typeof value === "boolean" ? 6 : 0;
  let total = 2;
  if (Array.isArray(value)) for (const v of value) total += 1 + charsIn(v, key, depth + 1);
  else for (const [k, v] of Object.entries(value)) total += k.length + 4 + charsIn(v, k, depth + 1);
  return total;
}

/** About how many tokens the request's prompt is. */
export function estimatePromptTokens(body: Record<string, unknown>): number {
  let chars = 0;
  for (const field of PROMPT_FIELDS) if (body[field] !== undefined) chars += charsIn(body[field], field, 0);
  return Math.ceil(chars / 4);
}
