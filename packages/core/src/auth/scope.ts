/**
 * What an API key may use: the providers and the models (the ids clients ask for, aliases included) its scope
 * lists. Routing asks it for every candidate before any attempt, and the listing routes ask it what to show.
 */
import type { AuthContext } from "./types.js";
import type { ModelEntry } from "../config/schema.js";

export interface KeyScope {
  provider(id: string): boolean;
  model(id: string): boolean;
  /** Whether the key is limited to some models (then a request without `model` takes an allowed one). */
  readonly modelsLimited: boolean;
}

export function scopeOf(auth: AuthContext): KeyScope {
  const providers = auth.allowedProviders?.length ? new Set(auth.allowedProviders) : null;
  const models = auth.allowedModels?.length ? new Set(auth.allowedModels) : null;
  return {
    provider: (id) => !providers || providers.has(id),
    model: (id) => !models || models.has(id),
    modelsLimited: models !== null,
  };
}

export const UNSCOPED: KeyScope = { provider: () => true, model: () => true, modelsLimited: false };

/** The model a provider uses when the request names none, for this key: its first concrete model the key may use. */
export function defaultModelFor(list: readonly ModelEntry[], scope: KeyScope): ModelEntry | undefined {
  return list.find((m) => m.id !== "*" && scope.model(m.id));
}
