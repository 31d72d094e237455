/**
 * Keeps replicas in step through the cluster bus (Redis pub/sub): what changes here is announced, what another
 * replica announces is applied here. Provider changes travel as ids: each replica reloads the provider from the
 * shared database, so secrets never cross Redis. Events sent while Redis was away are lost, so when the bus comes
 * back every provider is reloaded from the database and cached key lookups are dropped.
 */
import { routingSettings, type ClusterBus, type Gateway, type ProviderConfig } from "@interference/core";
import { configHash, type OpenedStore, type ProviderRecord } from "@interference/db";

export function attachCluster(gateway: Gateway, store: OpenedStore, bus: ClusterBus, trustedUrl: (config: ProviderConfig) => boolean): void {
  const registry = gateway.registry;
  let applyingRemote = false; // registry events are synchronous: this marks the ones we cause ourselves

  registry.on("change", (e) => {
    if (applyingRemote) return;
    if (e.type === "breaker") bus.publish({ type: "breaker", id: e.id, open: e.open, retryInMs: e.retryInMs });
    else if (e.type === "order" || e.type === "routing") bus.publish({ type: e.type });
    else bus.publish({ type: "provider", id: e.id });
  });

  /** This replica's routing settings made what the database holds (another replica's dashboard changed them). */
  const reloadRouting = () =>
    store.routing.get().then(
      (config) => {
        if (!config) return;
        applyingRemote = true;
        try {
          registry.setRouting(routingSettings(config));
        } finally {
          applyingRemote = false;
        }
      },
      (err: unknown) => console.warn(`[cluster] could not reload the routing settings: ${(err as Error).message}`),
    );

  /** This replica's per-model cache switches made what the database holds. */
  const reloadCacheSwitches = () =>
    store.cacheSwitches.get().then(
      (switches) => gateway.cache.setModelSwitches(switches),
      (err: unknown) => console.warn(`[cluster] could not reload the cache switches: ${(err as Error).message}`),
    );

  /** Makes this replica's provider `id` what the database holds (`record` undefined: it was removed). */
  const apply = (id: string, record: ProviderRecord | undefined) => {
    const current = registry.get(id);
    applyingRemote = true;
    try {
      if (!record) registry.remove(id);
      else if (current && configHash({ ...current.config, enabled: true }) === configHash({ ...record.config, enabled: true })) {
        registry.setEnabled(id, record.config.enabled); // a toggle: keep the adapter and its connections
      } else if (!current || configHash(current.config) !== configHash(record.config)) registry.upsert(record.config, { trusted: trustedUrl(record.config) });
    } catch (err) {
      console.error(`[cluster] provider ${id}: ${(err as Error).message}`);
    } finally {
      applyingRemote = false;
    }
  };

  const reload = (only?: string) =>
    store.providers.list().then(
      (records) => {
        const byId = new Map(records.map((r) => [r.config.id, r]));
        const ids = only ? [only] : [...new Set([...registry.list().map((p) => p.config.id), ...byId.keys()])];
        for (const id of ids) apply(id, byId.get(id));
        // The database's order, which the dashboard may have changed (a reload brings it along).
        if (!only) {
          applyingRemote = true;
          try {
            registry.reorder(records.map((r) => r.config.id));
          } finally {
            applyingRemote = false;
          }
        }
      },
      (err: unknown) => console.warn(`[cluster] could not reload providers: ${(err as Error).message}`),
    );

  bus.subscribe((e) => {
    if (e.type === "keys") return store.apiKeys.invalidate(e.revoked);
    if (e.type === "breaker") return registry.get(e.id)?.health.breaker.adopt(e.open, e.retryInMs);
    if (e.type === "routing") return void reloadRouting();
    if (e.type === "cache") return void reloadCacheSwitches();
    void reload(e.type === "order" ? undefined : e.id);
  });

  bus.onReconnect(() => {
    console.log("[cluster] bus reconnected: reloading providers and API keys from the database");
    store.apiKeys.invalidate();
    void reload();
    void reloadRouting();
    void reloadCacheSwitches();
  });
}
