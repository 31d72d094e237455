/**
 * Built-in prices for the models of the vendors' own APIs (the `openai`, `anthropic` and `gemini` presets), in
 * USD per million tokens, standard tier. Providers elsewhere (OpenRouter, Groq, a self-hosted server) have no
 * built-in price: set `prices:` in their config.
 *
 * Source: the vendors' pricing pages, as collected in LiteLLM's model_prices_and_context_window.json (mirror
 * Wei-Shaw/model-price-repo, commit f9ff147, 2026-07-24); checked 2026-12-03. To update: change a line here, or
 * override it per provider without a release.
 */
import type { ModelPrice } from "./price.js";

type Table = Record<string, ModelPrice>;

const openai: Table = {
  "gpt-4o": { input: 2.5, cached_input: 1.25, output: 10 },
  "gpt-4o-mini": { input: 0.15, cached_input: 0.075, output: 0.6 },
  "gpt-4.1": { input: 2, cached_input: 0.5, output: 8 },
  "gpt-4.1-mini": { input: 0.4, cached_input: 0.1, output: 1.6 },
  "gpt-4.1-nano": { input: 0.1, cached_input: 0.025, output: 0.4 },
  "gpt-5": { input: 1.25, cached_input: 0.125, output: 10 },
  "gpt-5-mini": { input: 0.25, cached_input: 0.025, output: 2 },
  "gpt-5-nano": { input: 0.05, cached_input: 0.005, output: 0.4 },
  "gpt-5.1": { input: 1.25, cached_input: 0.125, output: 10 },
  "gpt-5.2": { input: 1.75, cached_input: 0.175, output: 14 },
  "gpt-5.4": { input: 2.5, cached_input: 0.25, output: 15 },
  "gpt-5.4-mini": { input: 0.75, cached_input: 0.075, output: 4.5 },
  "gpt-5.4-nano": { input: 0.2, cached_input: 0.02, output: 1.25 },
  "gpt-5.5": { input: 5, cached_input: 0.5, output: 30 },
  o3: { input: 2, cached_input: 0.5, output: 8 },
  "o3-mini": { input: 1.1, cached_input: 0.55, output: 4.4 },
  "o4-mini": { input: 1.1, cached_input: 0.275, output: 4.4 },
  // Embedding models: input tokens only.
  "text-embedding-3-small": { input: 0.02, output: 0 },
  "text-embedding-3-large": { input: 0.13, output: 0 },
  "text-embedding-ada-002": { input: 0.1, output: 0 },
  // Audio: whisper-1 by the second ($0.006 a minute), tts-1 and tts-1-hd by the character.
  "whisper-1": { input: 0, output: 0, per_audio_second: 0.0001 },
  "tts-1": { input: 0, output: 0, per_million_characters: 15 },
  "tts-1-hd": { input: 0, output: 0, per_million_characters: 30 },
};

/** Claude Sonnet 4 and 4.5: doubled input and 1.5 × output above 200K prompt tokens. */
const sonnet4: ModelPrice = {
  input: 3,
  cache_write: 3.75,
  cached_input: 0.3,
  output: 15,
  long_context: { above: 200_000, input: 6, cache_write: 7.5, cached_input: 0.6, output: 22.5 },
};

/** Cache writes are the 5-minute ones (1.25 × input); reads are 0.1 × input. */
const anthropic: Table = {
  "claude-opus-4-1": { input: 15, cache_write: 18.75, cached_input: 1.5, output: 75 },
  "claude-opus-4-5": { input: 5, cache_write: 6.25, cached_input: 0.5, output: 25 },
  "claude-opus-4-6": { input: 5, cache_write: 6.25, cached_input: 0.5, output: 25 },
  "claude-opus-4-7": { input: 5, cache_write: 6.25, cached_input: 0.5, output: 25 },
  "claude-sonnet-4-0": sonnet4,
  "claude-sonnet-4-20250514": sonnet4,
  "claude-sonnet-4-5": sonnet4,
  "claude-sonnet-4-6": { input: 3, cache_write: 3.75, cached_input: 0.3, output: 15 },
  "claude-haiku-4-5": { input: 1, cache_write: 1.25, cached_input: 0.1, output: 5 },
  "claude-3-7-sonnet-20250219": { input: 3, cache_write: 3.75, cached_input: 0.3, output: 15 },
};

/** Thinking tokens are billed as output; the pro models double their prices above 200K prompt tokens. */
const gemini: Table = {
  "gemini-2.5-pro": {
    input: 1.25,
    cached_input: 0.125,
    output: 10,
    long_context: { above: 200_000, input: 2.5, cached_input: 0.25, output: 15 },
  },
  "gemini-2.5-flash": { input: 0.3, cached_input: 0.03, output: 2.5 },
  "gemini-2.5-flash-lite": { input: 0.1, cached_input: 0.01, output: 0.4 },
  "gemini-3-pro-preview": {
    input: 2,
    cached_input: 0.2,
    output: 12,
    long_context: { above: 200_000, input: 4, cached_input: 0.4, output: 18 },
  },
  "gemini-3.1-pro-preview": {
    input: 2,
    cached_input: 0.2,
    output: 12,
    long_context: { above: 200_000, input: 4, cached_input: 0.4, output: 18 },
  },
  "gemini-3-flash-preview": { input: 0.5, cached_input: 0.05, output: 3 },
  "gemini-3.1-flash-lite-preview": { input: 0.25, cached_input: 0.025, output: 1.5 },
  // Embeddings (standard tier; the batch API costs half).
  "gemini-embedding-001": { input: 0.15, output: 0 },
};

export const DEFAULT_PRICES: Record<string, Table> = { openai, anthropic, gemini };

const VENDOR_HOSTS: Record<string, string> = {
  "api.openai.com": "openai",
  "api.anthropic.com": "anthropic",
  "generativelanguage.googleapis.com": "gemini",
};

/** Base URL → vendor, remembered: there are as many base URLs as providers, and a URL parse per request adds up. */
const vendors = new Map<string, string | undefined>();

/** Which vendor's own API a base URL is, if any: only those get the built-in prices. */
export function vendorOf(baseUrl: string): string | undefined {
  if (vendors.has(baseUrl)) return vendors.get(baseUrl);
  let vendor: string | undefined;
  try {
    vendor = VENDOR_HOSTS[new URL(baseUrl).hostname];
  } catch {
    vendor = undefined;
  }
  if (vendors.size < 1000) vendors.set(baseUrl, vendor);
  return vendor;
}
