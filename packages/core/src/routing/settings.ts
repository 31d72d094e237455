/**
 * How providers that serve the same model are ordered when the client gives no order: the `routing:` section of
 * interference.yaml (also edited on the dashboard's providers page). One strategy for every model, others per
 * model id, and a provider that ends every chain (`fallback`, usually the embedded model's `local`).
 */
import { z } from "zod";

export const STRATEGIES = ["priority", "weighted", "least-busy", "latency", "price"] as const;
export type StrategyName = (typeof STRATEGIES)[number];

export const routingConfigSchema = z.strictObject({
  /** The strategy for every model without its own (default `priority`: the providers' configured order). */
  strategy: z.enum(STRATEGIES).optional(),
  /** Per model id (the id clients ask for). */
  models: z.record(z.string().min(1), z.strictObject({ strategy: z.enum(STRATEGIES) })).optional(),
  /** A provider id tried last on every chat and embeddings chain, after every other candidate failed. */
  fallback: z.string().min(1).optional(),
});
export type RoutingConfig = z.infer<typeof routingConfigSchema>;

export interface RoutingSettings {
  strategy: StrategyName;
  models: Record<string, StrategyName>;
  fallback: string | null;
}

export const DEFAULT_ROUTING: RoutingSettings = { strategy: "priority", models: {}, fallback: null };

/** The config file's section as settings (defaults filled in). */
export function routingSettings(config: RoutingConfig | undefined): RoutingSettings {
  return {
    strategy: config?.strategy ?? DEFAULT_ROUTING.strategy,
    models: Object.fromEntries(Object.entries(config?.models ?? {}).map(([id, m]) => [id, m.strategy])),
    fallback: config?.fallback ?? null,
  };
}

/** The settings as the config file writes them (the dashboard stores them in this shape). */
export function routingConfig(settings: RoutingSettings): RoutingConfig {
  return {
    strategy: settings.strategy,
    ...(Object.keys(settings.models).length ? { models: Object.fromEntries(Object.entries(settings.models).map(([id, strategy]) => [id, { strategy }])) } : {}),
    ...(settings.fallback ? { fallback: settings.fallback } : {}),
  };
}

/** The strategy for a model: its own, else the global one. */
export const strategyFor = (settings: RoutingSettings, model: string | undefined): StrategyName =>
  (model !== undefined ? settings.models[model] : undefined) ?? settings.strategy;
