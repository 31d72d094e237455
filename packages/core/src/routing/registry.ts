/**
 * The live set of providers: config, adapter and health for each. The dashboard and the config file change it
 * at run time; the router reads it on every request, so a toggle applies to the next request.
 */
import { EventEmitter } from "node:events";
import type { ModelEntry, ProviderConfig } from "../config/schema.js";
import type { AdapterFactories, ProviderAdapter } from "../adapters/types.js";
import { ProviderHealth } from "./health.js";
import { DEFAULT_ROUTING, type RoutingSettings } from "./settings.js";

export interface ProviderRuntime {
  readonly config: ProviderConfig;
  readonly adapter: ProviderAdapter;
  readonly health: ProviderHealth;
  /** False for a provider saved from the dashboard: its requests go through the URL guard. */
  readonly trusted: boolean;
}

export type RegistryEvent =
  | { type: "upsert"; id: string }
  | { type: "remove"; id: string }
  | { type: "enabled"; id: string; enabled: boolean }
  /** The providers' order (the default routing order) changed. */
  | { type: "order" }
  /** The routing strategies or the fallback changed. */
  | { type: "routing" }
  /** The provider's circuit breaker opened or closed here (not when adopted from another replica). */
  | { type: "breaker"; id: string; open: boolean; retryInMs: number };

/** The entry of `list` that serves `model`; "*" serves any model under its own name. */
export function findModel(list: readonly ModelEntry[], model: string): ModelEntry | undefined {
  return list.find((m) => m.id === model) ?? (list.some((m) => m.id === "*") ? { id: model, upstream: model } : undefined);
}

/** The model a provider uses when the request names none: its first concrete model. */
export function defaultModel(list: readonly ModelEntry[]): ModelEntry | undefined {
  return list.find((m) => m.id !== "*");
}

export class ProviderRegistry extends EventEmitter<{ change: [RegistryEvent] }> {
  private providers = new Map<string, ProviderRuntime>();
  private routingSettings: RoutingSettings = DEFAULT_ROUTING;

  /** How providers of one model are ordered (routing/strategy.ts), and the chain's last resort. */
  get routing(): RoutingSettings {
    return this.routingSettings;
  }

  setRouting(settings: RoutingSettings): void {
    this.routingSettings = settings;
    this.emit("change", { type: "routing" });
  }

  constructor(
    private readonly factories: AdapterFactories,
    /** Hosts the URL guard lets untrusted providers reach although internal (PROVIDER_URL_ALLOWLIST). */
    private readonly urlAllowList: string[] = [],
  ) {
    super();
  }

  /** Provider runtimes in configuration order. */
  list(): ProviderRuntime[] {
    return [...this.providers.values()];
  }

  get(id: string): ProviderRuntime | undefined {
    return this.providers.get(id);
  }

  /** Throws, saying why, when `config` could not be built into an adapter (nothing is built or changed). */
  validate(config: ProviderConfig): void {
    const factory = this.factories[config.type];
    if (!factory) throw new Error(`no adapter for provider type "${config.type}"`);
    factory.validate?.(config);
  }

  /**
   * Adds or replaces a provider, keeping its position and health when it existed. `trusted`: whether its URL came
   * from the config file (else it was saved from the dashboard, and connects through the URL guard).
   */
  upsert(config: ProviderConfig, { trusted = true }: { trusted?: boolean } = {}): ProviderRuntime {
    const factory = this.factories[config.type];
    if (!factory) throw new Error(`no adapter for provider type "${config.type}"`);
    const previous = this.providers.get(config.id);
    const runtime: ProviderRuntime = {
      config,
      adapter: factory(config, trusted ? {} : { guard: { allowList: this.urlAllowList } }),
      health: previous?.health ?? new ProviderHealth(config.circuit_breaker),
      trusted,
    };
    runtime.health.breaker.settings = config.circuit_breaker;
    runtime.health.breaker.onTransition = (open, retryInMs) => this.emit("change", { type: "breaker", id: config.id, open, retryInMs });
    this.providers.set(config.id, runtime);
    void previous?.adapter.close?.();
    this.emit("change", { type: "upsert", id: config.id });
    return runtime;
  }

  /**
   * Replaces every provider with `configs`, in that order. A provider whose adapter cannot be built (a stored row
   * that no longer validates) is left out with an error in the log: one bad row never stops the gateway.
   */
  replaceAll(configs: ProviderConfig[], untrusted: ReadonlySet<string> = new Set()): void {
    const keep = new Set(configs.map((c) => c.id));
    for (const [id, p] of this.providers) {
      if (!keep.has(id)) {
        this.providers.delete(id);
        void p.adapter.close?.();
      }
    }
    const next = new Map<string, ProviderRuntime>();
    for (const c of configs) {
      try {
        this.upsert(c, { trusted: !untrusted.has(c.id) });
        next.set(c.id, this.providers.get(c.id)!);
      } catch (err) {
        console.error(`[interference] provider ${c.id} left out: ${(err as Error).message}`);
      }
    }
    this.providers = next;
  }

  remove(id: string): boolean {
    const p = this.providers.get(id);
    if (!p) return false;
    this.providers.delete(id);
    void p.adapter.close?.();
    this.emit("change", { type: "remove", id });
    return true;
  }

  /**
   * Puts the providers in `ids`' order (the order requests naming no provider try them); providers not named keep
   * their relative order after them. Unknown ids are ignored.
   */
  reorder(ids: readonly string[]): void {
    const rank = new Map(ids.map((id, i) => [id, i]));
    const before = [...this.providers.keys()].join("\n");
    const sorted = [...this.providers.entries()]
      .map((entry, i) => ({ entry, i }))
      .sort((a, b) => (rank.get(a.entry[0]) ?? ids.length + a.i) - (rank.get(b.entry[0]) ?? ids.length + b.i));
    this.providers = new Map(sorted.map((s) => s.entry));
    if ([...this.providers.keys()].join("\n") !== before) this.emit("change", { type: "order" });
  }

  /** Turns a provider on or off without rebuilding its adapter. */
  setEnabled(id: string, enabled: boolean): boolean {
    const p = this.providers.get(id);
    if (!p) return false;
    if (p.config.enabled !== enabled) {
      this.providers.set(id, { ...p, config: { ...p.config, enabled } });
      this.emit("change", { type: "enabled", id, enabled });
    }
    return true;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.providers.values()].map(async (p) => p.adapter.close?.()));
    this.providers.clear();
  }
}
