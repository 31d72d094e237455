/**
 * The gateway's configuration file (YAML, `INTERFERENCE_CONFIG`): a list of providers an admin names freely.
 */
import { z } from "zod";
import { pricesSchema, type Prices } from "../spend/price.js";
import { routingConfigSchema } from "../routing/settings.js";
import { cacheConfigSchema } from "../cache/config.js";

export const PROVIDER_TYPES = ["openai", "anthropic", "gemini", "local", "huggingface"] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

/** Base URLs of well-known services; `preset: groq` saves typing the URL. Presets are only defaults. */
export const PRESETS: Record<string, { type: ProviderType; base_url: string }> = {
  openai: { type: "openai", base_url: "https://api.openai.com/v1" },
  groq: { type: "openai", base_url: "https://api.groq.com/openai/v1" },
  together: { type: "openai", base_url: "https://api.together.xyz/v1" },
  openrouter: { type: "openai", base_url: "https://openrouter.ai/api/v1" },
  deepseek: { type: "openai", base_url: "https://api.deepseek.com/v1" },
  mistral: { type: "openai", base_url: "https://api.mistral.ai/v1" },
  ollama: { type: "openai", base_url: "http://127.0.0.1:11434/v1" },
  vllm: { type: "openai", base_url: "http://127.0.0.1:8000/v1" },
  lmstudio: { type: "openai", base_url: "http://127.0.0.1:1234/v1" },
  llamacpp: { type: "openai", base_url: "http://127.0.0.1:8080/v1" },
  anthropic: { type: "anthropic", base_url: "https://api.anthropic.com/v1" },
  gemini: { type: "gemini", base_url: "https://generativelanguage.googleapis.com/v1beta" },
  huggingface: { type: "huggingface", base_url: "https://router.huggingface.co/hf-inference/models" },
};

/**
 * A model a provider serves: the id clients ask for, the id sent upstream (an alias when they differ), and the
 * largest prompt it takes in tokens (candidates too small for a prompt are skipped, routing/context-window.ts).
 */
const modelEntry = z.union([
  z
    .string()
    .min(1)
    .transform((id): ModelEntry => ({ id, upstream: id })),
  z
    .strictObject({ id: z.string().min(1), upstream: z.string().min(1).optional(), context_window: z.number().int().positive().optional() })
    .transform((m): ModelEntry => ({
      id: m.id,
      upstream: m.upstream ?? m.id,
      ...(m.context_window !== undefined ? { context_window: m.context_window } : {}),
    })),
]);
export type ModelEntry = { id: string; upstream: string; context_window?: number };

export const timeoutsSchema = z.strictObject({
  /** TCP/TLS connect. */
  connect_ms: z.number().int().positive().optional(),
  /** From request sent to the first response byte (headers). */
  first_byte_ms: z.number().int().positive().optional(),
  /** Longest silence between two body chunks of a response. */
  idle_ms: z.number().int().positive().optional(),
  /** Whole request, across every retry and failover. */
  total_ms: z.number().int().positive().optional(),
});
export type Timeouts = z.infer<typeof timeoutsSchema>;

export const retriesSchema = z.strictObject({
  /** Extra tries on the same provider after a connection error, 429 or 5xx (0 = fail over at once). */
  max: z.number().int().min(0).max(10).optional(),
  /** Backoff before retry n is a random wait up to min(max_ms, base_ms * 2^n) ("full jitter"). */
  base_ms: z.number().int().min(0).optional(),
  max_ms: z.number().int().min(0).optional(),
});
export type Retries = Required<z.infer<typeof retriesSchema>>;
export const DEFAULT_RETRIES: Retries = { max: 1, base_ms: 200, max_ms: 2000 };

export const breakerSchema = z.strictObject({
  failure_threshold: z.number().int().min(1).optional(),
  cooldown_ms: z.number().int().min(0).optional(),
});

/** What a stream that breaks after content does: `continue` (another provider carries on the answer) or `off`. */
export const STREAM_RECOVERY = ["continue", "off"] as const;
export type StreamRecovery = (typeof STREAM_RECOVERY)[number];

export const providerConfigSchema = z.looseObject({
  id: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, "letters, digits and . _ : - only (no spaces)"),
  type: z.enum(PROVIDER_TYPES).optional(),
  preset: z.string().optional(),
  // http(s), or "local://" for the embedded models.
  base_url: z.url({ protocol: /^(https?|local)$/, error: "an http(s) URL, such as https://api.example.com/v1" }).optional(),
  api_key: z.string().optional(),
  models: z.array(modelEntry).default([]),
  image_models: z.array(modelEntry).default([]),
  /** Models served on /v1/embeddings. */
  embedding_models: z.array(modelEntry).default([]),
  /** Models served on /v1/audio/transcriptions, /translations and /speech. */
  audio_models: z.array(modelEntry).default([]),
  enabled: z.boolean().default(true),
  /** Extra headers sent upstream (e.g. OpenRouter's HTTP-Referer). */
  headers: z.record(z.string(), z.string()).default({}),
  timeouts: timeoutsSchema.optional(),
  retries: retriesSchema.optional(),
  circuit_breaker: breakerSchema.optional(),
  /** Drop request parameters this provider does not support instead of answering 400. */
  drop_params: z.boolean().default(false),
  /** Friendly site shown by /v1/providers when it differs from base_url. */
  url: z.string().optional(),
  /** USD per million tokens by model (spend/price.ts), over the built-in prices. */
  prices: pricesSchema.optional(),
  /** The share of traffic this provider gets under the `weighted` strategy, against the others' weights. */
  weight: z.number().min(0).max(1_000_000).optional(),
  /**
   * Whether the provider may keep or train on prompts (`allow`) or is known not to (`deny`): requests whose routing
   * policy says `data_collection: "deny"` go only to `deny` providers. Default: `deny` for the embedded model, else
   * `allow`.
   */
  data_collection: z.enum(["allow", "deny"]).optional(),
  /**
   * `continue`: when this provider's stream breaks after content, another provider continues the answer
   * (routes/serve-chat.ts). A request's `stream_recovery` and its key's default come first. Default: `off`.
   */
  stream_recovery: z.enum(STREAM_RECOVERY).optional(),
});

export type ProviderConfigInput = z.input<typeof providerConfigSchema>;

export interface ProviderConfig {
  id: string;
  type: ProviderType;
  base_url: string;
  api_key?: string;
  models: ModelEntry[];
  image_models: ModelEntry[];
  embedding_models: ModelEntry[];
  audio_models: ModelEntry[];
  enabled: boolean;
  headers: Record<string, string>;
  timeouts?: Timeouts;
  retries: Retries;
  circuit_breaker: { failure_threshold: number; cooldown_ms: number };
  drop_params: boolean;
  url?: string;
  prices?: Prices;
  /** Under the `weighted` strategy (default 1). */
  weight: number;
  data_collection: "allow" | "deny";
  stream_recovery?: StreamRecovery;
  /** Type-specific options (e.g. `model_path` for `local`), validated by the adapter. */
  options: Record<string, unknown>;
}

/** Options each provider type takes besides the common fields (the adapter validates their values). */
export const TYPE_OPTIONS: Record<ProviderType, readonly string[]> = {
  openai: ["responses_api", "completions_api", "embedding_batch_size", "prefill"],
  anthropic: [],
  gemini: [],
  huggingface: [],
  local: [
    "model_path",
    "embedding_model_path",
    "embedding_max_tokens",
    "stt_model_path",
    "stt_python",
    "stt_python_path",
    "context_size",
    "threads",
    "parallel",
    "queue_size",
    "queue_timeout_ms",
  ],
};

export const gatewayConfigSchema = z.strictObject({
  providers: z.array(providerConfigSchema).default([]),
  timeouts: timeoutsSchema.optional(),
  retries: retriesSchema.optional(),
  circuit_breaker: breakerSchema.optional(),
  routing: routingConfigSchema.optional(),
  cache: cacheConfigSchema.optional(),
  /** Dashboard single sign-on: carried as written (after ${ENV} interpolation); the dashboard, which owns sign-in, validates it. */
  sso: z.record(z.string(), z.unknown()).optional(),
});
