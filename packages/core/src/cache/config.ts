/** The response cache's settings: `cache:` in interference.yaml. Off unless turned on. */
import { z } from "zod";

export const semanticCacheSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /** Cosine similarity a stored prompt must reach to answer (picked from the labelled set, cache/semantic-eval.test.ts). */
  threshold: z.number().min(0).max(1).default(0.95),
  /** Per model id, over `threshold` (a model whose answers turn on a word may want 0.98). */
  thresholds: z.record(z.string(), z.number().min(0).max(1)).default({}),
  /** What is embedded: the last user turn (default), or the whole prompt's text. */
  embed: z.enum(["last_user_turn", "prompt"]).default("last_user_turn"),
  /** An embedding provider and model to use instead of the embedded MiniLM (any provider with embeddings). */
  provider: z.string().optional(),
  model: z.string().optional(),
});

export const cacheConfigSchema = z.strictObject({
  /** The exact cache, for every key (a key, team or model may turn it on or off on its own). */
  enabled: z.boolean().default(false),
  ttl_s: z
    .number()
    .int()
    .min(1)
    .max(30 * 86_400)
    .default(3600),
  /** Whose answers a request may reuse: its own key's (default) or its team's. */
  scope: z.enum(["key", "team"]).default("key"),
  /** Cache answers to requests with a temperature above 0 too (by default only `temperature` 0 or absent are). */
  any_temperature: z.boolean().default(false),
  /** The `provider` choice is part of the key: a request for another provider never gets this one's answer. */
  provider_exact: z.boolean().default(false),
  /** Answers larger than this (bytes of the answer's JSON) are not cached. */
  max_entry_bytes: z
    .number()
    .int()
    .min(1024)
    .default(256 * 1024),
  /** Redis only: the most entries kept; the oldest are evicted past it (Redis's TTL expires the rest). */
  max_entries: z.number().int().min(1).default(100_000),
  /** Per model id: on or off whatever the global switch says. */
  models: z.record(z.string(), z.boolean()).default({}),
  semantic: semanticCacheSchema.default(() => semanticCacheSchema.parse({})),
});

export type CacheConfig = z.infer<typeof cacheConfigSchema>;
export type SemanticCacheConfig = z.infer<typeof semanticCacheSchema>;

export const DEFAULT_CACHE_CONFIG: CacheConfig = cacheConfigSchema.parse({});
