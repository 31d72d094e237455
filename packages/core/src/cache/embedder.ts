/**
 * The semantic cache's embedder: the configured embedding provider and model, else the first provider with
 * embedding models (the embedded MiniLM in the default install). Called directly, not routed: the cache's own
 * lookups are not client requests, and are neither logged nor billed to the key.
 */
import type { ProviderRegistry } from "../routing/registry.js";
import type { Timeouts } from "../config/schema.js";
import { GatewayError } from "../errors.js";
import type { Embedder } from "./cache.js";
import type { SemanticCacheConfig } from "./config.js";

export function embedderFor(registry: ProviderRegistry, config: SemanticCacheConfig, timeouts: Timeouts | undefined): Embedder {
  return async (text, signal) => {
    const runtime = registry
      .list()
      .find(
        (r) =>
          r.config.enabled &&
          r.adapter.embeddings &&
          r.config.embedding_models.length &&
          (config.provider ? r.config.id === config.provider : !config.model || r.config.embedding_models.some((m) => m.id === config.model)),
      );
    if (!runtime) {
      throw new GatewayError(
        500,
        "server_error",
        "no_embedding_provider",
        "the semantic cache has no embedding provider: configure one, or set cache.semantic.enabled: false",
      );
    }
    const model = (config.model && runtime.config.embedding_models.find((m) => m.id === config.model)) || runtime.config.embedding_models[0]!;
    const result = await runtime.adapter.embeddings!.embed(
      { inputs: { kind: "text", values: [text] } },
      { signal, upstreamModel: model.upstream, timeouts: { ...timeouts, ...runtime.config.timeouts } },
    );
    return result.vectors[0]!;
  };
}
