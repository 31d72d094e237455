/**
 * A hit is served as if by a provider named `cache` whose one answer is the stored one: the route encodes it like
 * any translated answer (JSON or its API's event stream, a Responses hit stored for previous_response_id), the
 * log's attempts say `cache: served`, and its price is nothing, so the usage shows a cost of 0.
 */
import type { CanonicalResult, StreamPart } from "../canonical/types.js";
import type { ProviderConfig } from "../config/schema.js";
import type { ProviderAdapter } from "../adapters/types.js";
import { ProviderHealth } from "../routing/health.js";
import type { RoutePlan } from "../routing/router.js";
import { CANONICAL_PARAMS, type CanonicalParam } from "../canonical/params.js";
import { partsOf } from "./answers.js";

export const CACHE_PROVIDER = "cache";

const ALL_PARAMS: ReadonlySet<CanonicalParam> = new Set(CANONICAL_PARAMS);

function replayAdapter(result: CanonicalResult): ProviderAdapter {
  return {
    chat: {
      params: ALL_PARAMS,
      complete: async () => structuredClone(result),
      async *stream(): AsyncGenerator<StreamPart> {
        yield* partsOf(structuredClone(result));
      },
    },
  } as ProviderAdapter;
}

/** The cache as a provider: no retries, a breaker that never opens, every model free. One for all hits. */
const CACHE_CONFIG: ProviderConfig = {
  id: CACHE_PROVIDER,
  type: "openai",
  base_url: "http://cache.invalid",
  models: [],
  image_models: [],
  embedding_models: [],
  audio_models: [],
  enabled: true,
  headers: {},
  retries: { max: 0, base_ms: 0, max_ms: 0 },
  circuit_breaker: { failure_threshold: 1_000_000, cooldown_ms: 1 },
  drop_params: true,
  prices: { "*": { input: 0, output: 0 } },
  weight: 1,
  data_collection: "deny",
  options: {},
};

/** The route plan of a hit: the cache the one candidate, `why` saying which entry answers and how it matched. */
export function hitPlan(result: CanonicalResult, why: string): RoutePlan {
  const runtime = { config: CACHE_CONFIG, adapter: replayAdapter(result), health: new ProviderHealth(), trusted: true };
  return { candidates: [{ runtime, model: { id: result.model, upstream: result.model }, dropped: [], why }], attempts: [] };
}
