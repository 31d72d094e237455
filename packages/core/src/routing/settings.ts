/**
 * How providers that serve the same model are ordered when the client gives no order: the `routing:` section of
 * interference.yaml (also edited on the dashboard's providers page). One strategy for every model, others per
 * model id, and a provider that ends every chain (`fallback`, usually the embedded model's `local`), for every model
 * or per model id.
 */
import { z } from "zod";

export const STRATEGIES = ["priority", "weighted", "least-busy", "latency", "price"] as const;
export type StrategyName = (typeof STRATEGIES)[number];

export const routingConfigSchema = z.strictObject({
  /** The strategy for every model without its own (default `priority`: the providers' configured order). */
  strategy: z.enum(STRATEGIES).optional(),
  /** Per model id (the id clients ask for): its strategy, its fallback, or both. */
  models: z
    .record(
      z.string().min(1),
      z
        .strictObject({ strategy: z.enum(STRATEGIES).optional(), fallback: z.string().min(1).optional() })
        .refine((m) => m.strategy !== undefined || m.fallback !== undefined, "give a strategy, a fallback or both"),
    )
    .optional(),
  /** A provider id tried last on every chat and embeddings chain, after every other candidate failed. */
  fallback: z.string().min(1).optional(),
});
export type RoutingConfig = z.infer<typeof routingConfigSchema>;

export interface RoutingSettings {
  strategy: StrategyName;
  /** Strategies by model id. */
  models: Record<string, StrategyName>;
  fallback: string | null;
  /** Fallbacks by model id, over `fallback`. */
  modelFallbacks: Record<string, string>;
}

export const DEFAULT_ROUTING: RoutingSettings = { strategy: "priority", models: {}, fallback: null, modelFallbacks: {} };

/** The config file's section as settings (defaults filled in). */
export function routingSettings(config: RoutingConfig | undefined): RoutingSettings {
  const entries = Object.entries(config?.models ?? {});
  return {
    strategy: config?.strategy ?? DEFAULT_ROUTING.strategy,
    models: Object.fromEntries(entries.filter(([, m]) => m.strategy).map(([id, m]) => [id, m.strategy!])),
    fallback: config?.fallback ?? null,
    modelFallbacks: Object.fromEntries(entries.filter(([, m]) => m.fallback).map(([id, m]) => [id, m.fallback!])),
  };
}

/** The settings as the config file writes them (the dashboard stores them in this shape). */
export function routingConfig(settings: RoutingSettings): RoutingConfig {
  const models: NonNullable<RoutingConfig["models"]> = {};
  for (const [id, strategy] of Object.entries(settings.models)) models[id] = { strategy };
  for (const [id, fallback] of Object.entries(settings.modelFallbacks ?? {})) models[id] = { ...models[id], fallback };
  return {
    strategy: settings.strategy,
    ...(Object.keys(models).length ? { models } : {}),
    ...(settings.fallback ? { fallback: settings.fallback } : {}),
  };
}

/** The provider that ends a model's chains: its own fallback, else the global one. */
export const fallbackFor = (settings: RoutingSettings, model: string | undefined): string | null =>
  (model !== undefined ? settings.modelFallbacks?.[model] : undefined) ?? settings.fallback;

/** Every provider id the settings name as a fallback, for checking that each exists. */
export const fallbackIds = (settings: RoutingSettings): string[] => [
  ...(settings.fallback ? [settings.fallback] : []),
  ...Object.values(settings.modelFallbacks ?? {}),
];

/** The strategy for a model: its own, else the global one. */
export const strategyFor = (settings: RoutingSettings, model: string | undefined): StrategyName =>
  (model !== undefined ? settings.models[model] : undefined) ?? settings.strategy;
