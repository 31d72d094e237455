/**
 * Upstream error text reaches clients and the request log, and upstreams are not to be trusted with it: a 401 may
 * repeat the credential it was sent ("Incorrect API key provided: sk-…"). Every such text is bounded and has the
 * credentials of the request that caused it, and anything shaped like a token, replaced.
 */

/** Headers that carry a provider credential (their values are redacted wherever they reappear). */
const SECRET_HEADERS = ["authorization", "x-api-key", "api-key", "x-goog-api-key", "proxy-authorization"];

/** Shapes of credentials: bearer tokens, OpenAI/Anthropic (sk-…), Google (AIza…), Hugging Face (hf_…), ours (ik_…). */
const TOKEN_SHAPES =
  /\b(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}|\b(?:sk|rk|pk)-[A-Za-z0-9_-]{8,}|\bAIza[0-9A-Za-z_-]{20,}|\bhf_[A-Za-z0-9]{16,}|\bik_[A-Za-z0-9_-]{16,}|\bgsk_[A-Za-z0-9]{16,}/g;

export const REDACTED = "[redacted]";

/** The credentials a request carries: header values (without their scheme) and a `key` query parameter. */
export function secretsOf(headers: Record<string, string> | undefined, url?: string): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!SECRET_HEADERS.includes(name.toLowerCase()) || !value) continue;
    out.push(value);
    const bare = value.replace(/^(?:Bearer|Basic)\s+/i, "");
    if (bare !== value) out.push(bare);
  }
  if (url) {
    try {
      const key = new URL(url).searchParams.get("key");
      if (key) out.push(key);
    } catch {
      /* not a URL: nothing to add */
    }
  }
  // Longest first, so "Bearer sk-x" goes before "sk-x"; very short values would redact ordinary words.
  return out.filter((s) => s.length >= 6).sort((a, b) => b.length - a.length);
}

/** `text` without the given secrets or anything token-shaped, at most `max` characters. */
export function redact(text: string, secrets: readonly string[] = [], max = 500): string {
  // Redacted before it is cut, so a secret cut in half cannot slip through; callers bound the text they read.
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  out = out.replace(TOKEN_SHAPES, REDACTED);
  return out.length > max ? `${out.slice(0, max)}…` : out;
}
