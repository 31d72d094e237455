/**
 * Keeps replicas in step through the cluster bus (Redis pub/sub): what changes here is announced, what another
 * replica announces is applied here. Provider changes travel as ids: each replica reloads the provider from the
 * shared database, so secrets never cross Redis.
 */
import type { ClusterBus, Gateway } from "@interference/core";
import { configHash, type OpenedStore } from "@interference/db";

export function attachCluster(gateway: Gateway, store: OpenedStore, bus: ClusterBus): void {
  const registry = gateway.registry;
  let applyingRemote = false; // registry events are synchronous: this marks the ones we cause ourselves

  registry.on("change", (e) => {
    if (applyingRemote) return;
    if (e.type === "breaker") bus.publish({ type: "breaker", id: e.id, open: e.open, retryInMs: e.retryInMs });
    else bus.publish({ type: "provider", id: e.id });
  });

  bus.subscribe((e) => {
    if (e.type === "keys") return store.apiKeys.invalidate(e.revoked);
    if (e.type === "breaker") return registry.get(e.id)?.health.breaker.adopt(e.open, e.retryInMs);
    void store.providers.list().then((records) => {
      const record = records.find((r) => r.config.id === e.id);
      const current = registry.get(e.id);
      applyingRemote = true;
      try {
        if (!record) registry.remove(e.id);
        else if (current && configHash({ ...current.config, enabled: true }) === configHash({ ...record.config, enabled: true })) {
          registry.setEnabled(e.id, record.config.enabled); // a toggle: keep the adapter and its connections
        } else registry.upsert(record.config);
      } finally {
        applyingRemote = false;
      }
    });
  });
}
