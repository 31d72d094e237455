/**
 * Upstream error text reaches clients and the request log, and upstreams are not to be trusted with it: a 401 may
 * repeat the credential it was sent ("Incorrect API key provided: sk-…"). Every such text is bounded and has the
 * credentials of the request that caused it, and anything shaped like a token, replaced.
 */

/** Headers that carry a provider credential (their values are redacted wherever they reappear). */
const SECRET_HEADERS = ["authorization", "x-api-key", "api-key", "x-goog-api-key", "proxy-authorization"];

/**
 * Shapes of credentials, by their documented prefixes and formats: bearer and basic tokens; OpenAI and Anthropic
 * (sk-…), Stripe (sk_live_…), Google API keys (AIza…) and OAuth tokens (ya29.…), Hugging Face (hf_…), Groq (gsk_…),
 * ours (ik_…); AWS access key ids (AKIA…, ASIA…) and a secret key written after its name; GitHub tokens (ghp_,
 * gho_, ghu_, ghs_, ghr_, github_pat_); Slack tokens (xox…); JSON Web Tokens; PEM private keys, whole or cut short.
 * Written out here rather than taken from secretlint's preset, which missed JWTs, AWS keys and PEM blocks inside
 * JSON-escaped bodies, and took milliseconds a body.
 */
const TOKEN_SHAPES = new RegExp(
  [
    String.raw`\b(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}`,
    String.raw`\b(?:sk|rk|pk)-[A-Za-z0-9_-]{8,}`,
    String.raw`\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}`,
    String.raw`\bAIza[0-9A-Za-z_-]{20,}`,
    String.raw`\bya29\.[0-9A-Za-z_-]{20,}`,
    String.raw`\bhf_[A-Za-z0-9]{16,}`,
    String.raw`\bik_[A-Za-z0-9_-]{16,}`,
    String.raw`\bgsk_[A-Za-z0-9]{16,}`,
    String.raw`\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b`,
    // The secret key has no prefix of its own: only after its name (kept, group 1) is it told from other text.
    String.raw`\b((?:aws|AWS|Aws)[\w .-]{0,24}?(?:secret|SECRET|Secret)[\w .-]{0,24}?\\?["']?\s{0,4}[=:]\s{0,4}\\?["']?)[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])`,
    String.raw`\bgh[pousr]_[A-Za-z0-9]{36,255}\b`,
    String.raw`\bgithub_pat_[A-Za-z0-9_]{22,255}`,
    String.raw`\bxox[abposr]-[A-Za-z0-9-]{10,}`,
    String.raw`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`,
    String.raw`-----BEGIN[A-Z ]{0,32} PRIVATE KEY-----[\s\S]*?(?:-----END[A-Z ]{0,32} PRIVATE KEY-----|$)`,
  ].join("|"),
  "g",
);

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
  out = out.replace(TOKEN_SHAPES, (_match, name?: string) => (name ? name + REDACTED : REDACTED));
  return out.length > max ? `${out.slice(0, max)}…` : out;
}
