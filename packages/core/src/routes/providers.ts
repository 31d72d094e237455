/** GET /v1/providers, /v1/providers/{id}, /v1/models: what the gateway can serve. Never any secret. */
import { notFound } from "../errors.js";
import type { ProviderRegistry, ProviderRuntime } from "../routing/registry.js";

export function providerSummary(p: ProviderRuntime) {
  const { config } = p;
  return {
    id: config.id,
    url: config.url ?? config.base_url,
    type: config.type,
    enabled: config.enabled,
    models: config.models.map((m) => m.id),
    image_models: config.image_models.map((m) => m.id),
  };
}

export function providerDetail(p: ProviderRuntime) {
  return {
    ...providerSummary(p),
    params: p.adapter.chat ? [...p.adapter.chat.params].sort() : [],
    image_params: p.adapter.images ? [...p.adapter.images.params].sort() : [],
    ready: p.adapter.ready ? p.adapter.ready() : true,
    ...(p.adapter.ready && !p.adapter.ready() ? { not_ready_reason: p.adapter.notReadyReason?.() ?? null } : {}),
    health: p.health.snapshot(),
  };
}

export function listProviders(registry: ProviderRegistry) {
  return registry.list().map(providerSummary);
}

export function getProvider(registry: ProviderRegistry, id: string) {
  const p = registry.get(id);
  if (!p) throw notFound("provider_not_found", `Unknown provider: ${id}. GET /v1/providers lists the available ids.`);
  return providerDetail(p);
}

/** OpenAI's model list, across enabled providers, saying which providers serve each model. */
export function listModels(registry: ProviderRegistry) {
  const models = new Map<string, { id: string; object: "model"; created: number; owned_by: string; providers: string[]; type: "chat" | "image" }>();
  const add = (id: string, provider: string, type: "chat" | "image") => {
    if (id === "*") return;
    const m = models.get(`${type}:${id}`);
    if (m) m.providers.push(provider);
    else models.set(`${type}:${id}`, { id, object: "model", created: 0, owned_by: provider, providers: [provider], type });
  };
  for (const p of registry.list()) {
    if (!p.config.enabled) continue;
    for (const m of p.config.models) add(m.id, p.config.id, "chat");
    for (const m of p.config.image_models) add(m.id, p.config.id, "image");
  }
  return { object: "list" as const, data: [...models.values()] };
}
