/** GET /v1/providers, /v1/providers/{id}, /v1/models: what the gateway can serve. Never any secret. */
import { GatewayError, notFound } from "../errors.js";
import type { ProviderRegistry, ProviderRuntime } from "../routing/registry.js";
import { UNSCOPED, type KeyScope } from "../auth/scope.js";
import { chatParamsFor, OPENAI_CHAT_PARAMS } from "../apis/chat-completions/params.js";

/** The Chat Completions parameters a provider takes: all of them natively, else those it can translate. */
function chatParams(p: ProviderRuntime): string[] {
  if (p.adapter.native?.chat) return [...OPENAI_CHAT_PARAMS].sort();
  return p.adapter.chat ? chatParamsFor(p.adapter.chat.params).sort() : [];
}

/** A provider as a key sees it: only the models its scope allows ("*" stays: it serves the allowed ones too). */
export function providerSummary(p: ProviderRuntime, scope: KeyScope = UNSCOPED) {
  const { config } = p;
  const visible = (m: { id: string }) => m.id === "*" || scope.model(m.id);
  return {
    id: config.id,
    url: config.url ?? config.base_url,
    type: config.type,
    enabled: config.enabled,
    models: config.models.filter(visible).map((m) => m.id),
    image_models: config.image_models.filter(visible).map((m) => m.id),
    embedding_models: config.embedding_models.filter(visible).map((m) => m.id),
    audio_models: config.audio_models.filter(visible).map((m) => m.id),
  };
}

export function providerDetail(p: ProviderRuntime, scope: KeyScope = UNSCOPED) {
  return {
    ...providerSummary(p, scope),
    params: chatParams(p),
    image_params: p.adapter.images ? [...p.adapter.images.params].sort() : [],
    embedding_params: p.adapter.embeddings ? [...p.adapter.embeddings.params].sort() : [],
    audio_params: p.adapter.audio ? [...p.adapter.audio.params].sort() : [],
    ready: p.adapter.ready ? p.adapter.ready() : true,
    ...(p.adapter.ready && !p.adapter.ready() ? { not_ready_reason: p.adapter.notReadyReason?.() ?? null } : {}),
    health: p.health.snapshot(),
  };
}

/** The providers a key may use; one outside its scope does not exist for it. */
export function listProviders(registry: ProviderRegistry, scope: KeyScope = UNSCOPED) {
  return registry
    .list()
    .filter((p) => scope.provider(p.config.id))
    .map((p) => providerSummary(p, scope));
}

export function getProvider(registry: ProviderRegistry, id: string, scope: KeyScope = UNSCOPED) {
  const p = registry.get(id);
  if (!p || !scope.provider(id)) throw notFound("provider_not_found", `Unknown provider: ${id}. GET /v1/providers lists the available ids.`);
  return providerDetail(p, scope);
}

type ModelType = "chat" | "image" | "embedding" | "audio";

/** OpenAI's model list, across enabled providers, saying which providers serve each model. */
export function listModels(registry: ProviderRegistry, scope: KeyScope = UNSCOPED) {
  const models = new Map<string, { id: string; object: "model"; created: number; owned_by: string; providers: string[]; type: ModelType }>();
  const add = (id: string, provider: string, type: ModelType) => {
    if (id === "*" || !scope.model(id)) return;
    const m = models.get(`${type}:${id}`);
    if (m) m.providers.push(provider);
    else models.set(`${type}:${id}`, { id, object: "model", created: 0, owned_by: provider, providers: [provider], type });
  };
  for (const p of registry.list()) {
    if (!p.config.enabled || !scope.provider(p.config.id)) continue;
    for (const m of p.config.models) add(m.id, p.config.id, "chat");
    for (const m of p.config.image_models) add(m.id, p.config.id, "image");
    for (const m of p.config.embedding_models) add(m.id, p.config.id, "embedding");
    for (const m of p.config.audio_models) add(m.id, p.config.id, "audio");
  }
  return { object: "list" as const, data: [...models.values()] };
}

/** OpenAI's model object for GET /v1/models/{id}: a chat model first, else an image or embedding model; 404 when the key sees none. */
export function getModel(registry: ProviderRegistry, id: string, scope: KeyScope = UNSCOPED) {
  const { data } = listModels(registry, scope);
  const model = data.find((m) => m.id === id && m.type === "chat") ?? data.find((m) => m.id === id);
  if (!model) {
    throw new GatewayError(404, "invalid_request_error", "model_not_found", `The model '${id}' does not exist or you do not have access to it.`, {
      param: "model",
    });
  }
  return model;
}
