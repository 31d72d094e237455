/**
 * What a request cost: a price per model (USD per million tokens, by kind of token) applied to the usage the
 * provider reported. Prices come from the provider's config (`prices:` in interference.yaml or the dashboard's
 * settings), else the built-in table for the vendors' own APIs (default-prices.ts); the embedded model costs 0.
 */
import { z } from "zod";
import type { CanonicalUsage } from "../canonical/types.js";
import type { ModelEntry, ProviderConfig } from "../config/schema.js";
import { DEFAULT_PRICES, vendorOf } from "./default-prices.js";

const perMillion = z.number().min(0);

/** Prices of one band of prompt sizes. Token prices default to 0 (an image model may have none). */
const bandSchema = z.object({
  /** Input tokens not read from or written to a cache. */
  input: perMillion.default(0),
  output: perMillion.default(0),
  /** Input read from a prompt cache (OpenAI's cached_tokens, Anthropic's cache reads, Gemini's cached content). */
  cached_input: perMillion.optional(),
  /** Input written to a prompt cache, where it is billed apart (Anthropic). */
  cache_write: perMillion.optional(),
  /** Reasoning output, where billed apart from the answer (else at the output price, as every vendor does today). */
  reasoning: perMillion.optional(),
});

export const modelPriceSchema = bandSchema.extend({
  /** USD per generated image (image models: `image_models` on the provider). */
  per_image: perMillion.optional(),
  /** USD per second of audio transcribed or translated (whisper-1: $0.0001). */
  per_audio_second: perMillion.optional(),
  /** USD per million characters of text turned into speech (tts-1: $15). */
  per_million_characters: perMillion.optional(),
  /** Prices for prompts above `above` input tokens (Anthropic's and Google's long-context rates). */
  long_context: bandSchema.extend({ above: z.number().int().positive() }).optional(),
});
export type ModelPrice = z.infer<typeof modelPriceSchema>;

/** Per model id (the id clients use, or the upstream id); `"*"` prices every other model of the provider. */
export const pricesSchema = z.record(z.string(), modelPriceSchema);
export type Prices = z.infer<typeof pricesSchema>;

const FREE: ModelPrice = { input: 0, output: 0 };

/** USD without exponent notation: "0.000012", not "1.2e-5" (the x-interference-cost header). */
export function formatUsd(usd: number): string {
  return usd.toFixed(9).replace(/\.?0+$/, "");
}

/** USD for `usage` at `price`; rounded to a nano-dollar so sums stay exact enough to compare. */
export function costOf(usage: CanonicalUsage, price: ModelPrice): number {
  const band = price.long_context && usage.inputTokens > price.long_context.above ? price.long_context : price;
  const cached = usage.cachedInputTokens ?? 0;
  const written = usage.cacheWriteTokens ?? 0;
  const plainInput = Math.max(0, usage.inputTokens - cached - written);
  const reasoning = Math.min(usage.reasoningTokens ?? 0, usage.outputTokens);
  const micro =
    plainInput * band.input +
    cached * (band.cached_input ?? band.input) +
    written * (band.cache_write ?? band.input) +
    (usage.outputTokens - reasoning) * band.output +
    reasoning * (band.reasoning ?? band.output);
  return Math.round(micro * 1000) / 1e9;
}

/**
 * The price of `model` on this provider: its own `prices` (by the client's id, the upstream id, then `"*"`), the
 * embedded model's nothing, or the built-in table when the provider is the vendor's own API. Null: unknown.
 */
export function priceFor(config: ProviderConfig, model: ModelEntry, servedModel?: string | null): ModelPrice | null {
  const own = config.prices;
  const configured = own?.[model.id] ?? own?.[model.upstream] ?? (servedModel ? own?.[servedModel] : undefined) ?? own?.["*"];
  if (configured) return configured;
  if (config.type === "local") return FREE;
  const table = DEFAULT_PRICES[vendorOf(config.base_url) ?? ""];
  if (!table) return null;
  return table[model.upstream] ?? (servedModel ? (table[servedModel] ?? table[withoutDate(servedModel)]) : undefined) ?? null;
}

/** "gpt-4o-mini-2024-07-18" → "gpt-4o-mini", "claude-sonnet-4-5-20250929" → "claude-sonnet-4-5": dated snapshots. */
function withoutDate(model: string): string {
  return model.replace(/-(\d{4}-\d{2}-\d{2}|\d{8})$/, "");
}
