export * from "./errors.js";
export * from "./config/schema.js";
export * from "./config/load.js";
export * from "./openai/schema.js";
export * from "./images/types.js";
export * from "./adapters/types.js";
export { builtinAdapters } from "./adapters/builtin.js";
export * from "./routing/registry.js";
export * from "./routing/router.js";
export * from "./routing/health.js";
export * from "./routing/settings.js";
export * from "./routing/policy.js";
export type { StatsSnapshot } from "./routing/stats.js";
export * from "./routing/probe.js";
export * from "./logging/bodies.js";
export * from "./http/types.js";
export { nodeListener, readNodeBody, type GatewayHandler } from "./http/node.js";
export { webHandler } from "./http/web.js";
export * from "./logging/types.js";
export * from "./auth/types.js";
export * from "./upstream/client.js";
export { providerSummary, providerDetail, listModels } from "./routes/providers.js";
export * from "./gateway.js";
export { clusterMetricsText, shareMetricsWithPrimary } from "./metrics.js";
export {
  checkModelPath,
  defaultLocalProvider,
  DEFAULT_EMBEDDING_MODEL_FILE,
  DEFAULT_EMBEDDING_MODEL_ID,
  DEFAULT_MODEL_FILE,
  DEFAULT_MODEL_ID,
  DEFAULT_STT_MODEL_DIR,
  DEFAULT_STT_MODEL_ID,
} from "./adapters/local/options.js";
export * from "./ratelimit/limiter.js";
export { RedisBudgetLedger, RedisBus, RedisRateLimiter, type ClusterBus, type ClusterEvent, type RedisOptions } from "./cluster/redis.js";
export {
  budgetRulesSchema,
  budgetsFor,
  MemoryBudgetLedger,
  periodOf,
  type Budget,
  type BudgetLedger,
  type BudgetPeriod,
  type BudgetRule,
  type SpendScope,
  type SpendSource,
} from "./spend/budget.js";
export { costOf, priceFor, type ModelPrice, type Prices } from "./spend/price.js";
export { checkProviderUrl, isAllowListed, isSpecialAddress, parseAllowList } from "./security/url-guard.js";
export { guardedLookup } from "./security/guarded-lookup.js";
export { clientAddress, parseTrustedProxies, type TrustedProxies } from "./http/client-address.js";
export * from "./config/form.js";
export { MemoryResponseStore, DEFAULT_RESPONSE_RETENTION_MS, type ResponseStore, type StoredResponse } from "./apis/responses/store.js";
export type { CanonicalMessage, CanonicalRequest, CanonicalResult, StreamPart } from "./canonical/types.js";
export { CANONICAL_PARAMS, type CanonicalParam } from "./canonical/params.js";
export { MemoryCacheStore, unit, dot, type CacheEntry, type CacheStore, type PurgeFilter, type SemanticIndex, type SemanticMatch } from "./cache/store.js";
export { RedisCacheStore } from "./cache/redis-store.js";
export { CACHE_HEADER, cacheScope, ResponseCache } from "./cache/cache.js";
export { cacheConfigSchema, DEFAULT_CACHE_CONFIG, type CacheConfig } from "./cache/config.js";
export { assembleStreamBody, type AssembledStream } from "./logging/stream-body.js";
export { uuidv7 } from "./logging/ids.js";
