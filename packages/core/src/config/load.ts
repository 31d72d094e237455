import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { describeIssues } from "./issues.js";
import { DEFAULT_BREAKER } from "../routing/breaker.js";
import { DEFAULT_RETRIES, gatewayConfigSchema, PRESETS, providerConfigSchema, TYPE_OPTIONS, type ProviderConfig, type Timeouts } from "./schema.js";
import { fallbackIds, routingSettings, type RoutingSettings } from "../routing/settings.js";

import type { CacheConfig } from "../cache/config.js";

export interface GatewayConfig {
  providers: ProviderConfig[];
  timeouts: Timeouts;
  /** How providers of one model are ordered (the `routing:` section); absent: priority, no fallback. */
  routing?: RoutingSettings;
  /** The response cache (the `cache:` section); absent: off. */
  cache?: CacheConfig;
  /** Dashboard single sign-on (the `sso:` section), as written: apps/web validates it. */
  sso?: Record<string, unknown>;
  /** Where the config came from, for start-up logs; null when no file exists. */
  source: string | null;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

const KNOWN_KEYS = new Set(Object.keys(providerConfigSchema.shape));

/** Replaces `${NAME}` in every string with the environment variable NAME (missing → error, never silent ""). */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, path = "config"): unknown {
  if (typeof value === "string") {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, fallback?: string) => {
      const v = env[name];
      if (v !== undefined && v !== "") return v;
      if (fallback !== undefined) return fallback;
      throw new ConfigError(`${path}: environment variable ${name} is not set`);
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, env, `${path}[${i}]`));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateEnv(v, env, `${path}.${k}`)]));
  }
  return value;
}

/** Settings every provider inherits unless it sets its own. */
export interface ProviderDefaults {
  /** The top-level connect_ms: a connection pool's connect timeout is fixed when the provider's pool is built. */
  connect_ms?: number;
  retries?: Partial<ProviderConfig["retries"]>;
  circuit_breaker?: Partial<ProviderConfig["circuit_breaker"]>;
}

/** Validates one provider entry and fills defaults from its preset and the global settings. */
export function normalizeProvider(input: unknown, defaults: ProviderDefaults = {}): ProviderConfig {
  const parsed = providerConfigSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(`provider: ${describeIssues(parsed.error, providerConfigSchema)}`);
  const p = parsed.data;
  const preset = p.preset ? PRESETS[p.preset] : undefined;
  if (p.preset && !preset) {
    throw new ConfigError(`provider ${p.id}: unknown preset "${p.preset}" (known: ${Object.keys(PRESETS).join(", ")})`);
  }
  const type = p.type ?? preset?.type;
  if (!type) throw new ConfigError(`provider ${p.id}: set "type" (or a "preset")`);
  const base_url = (p.base_url ?? preset?.base_url ?? (type === "local" ? "local://" : undefined))?.replace(/\/+$/, "");
  if (!base_url) throw new ConfigError(`provider ${p.id}: set "base_url" (or a "preset")`);
  const options: Record<string, unknown> = {};
  const typeOptions = TYPE_OPTIONS[type];
  for (const [k, v] of Object.entries(p)) {
    if (KNOWN_KEYS.has(k)) continue;
    // A misspelt key ("wieght") would otherwise be kept as an option nobody reads: the setting silently ignored.
    if (!typeOptions.includes(k)) {
      throw new ConfigError(`provider ${p.id}: unknown key "${k}" (known: ${[...KNOWN_KEYS, ...typeOptions].join(", ")})`);
    }
    options[k] = v;
  }
  return {
    id: p.id,
    type,
    base_url,
    api_key: p.api_key || undefined,
    models: p.models,
    image_models: p.image_models,
    embedding_models: p.embedding_models,
    audio_models: p.audio_models,
    enabled: p.enabled,
    headers: p.headers,
    timeouts: defaults.connect_ms && !p.timeouts?.connect_ms ? { ...p.timeouts, connect_ms: defaults.connect_ms } : p.timeouts,
    // A local model's queue already waits for a slot: retrying a full queue only adds load, unless asked for.
    retries: { ...DEFAULT_RETRIES, ...defaults.retries, ...(type === "local" ? { max: 0 } : {}), ...p.retries },
    circuit_breaker: { ...DEFAULT_BREAKER, ...defaults.circuit_breaker, ...p.circuit_breaker },
    drop_params: p.drop_params,
    url: p.url,
    ...(p.prices ? { prices: p.prices } : {}),
    weight: p.weight ?? 1,
    data_collection: p.data_collection ?? (type === "local" ? "deny" : "allow"),
    ...(p.stream_recovery ? { stream_recovery: p.stream_recovery } : {}),
    options,
  };
}

export function parseConfig(text: string, env: NodeJS.ProcessEnv = process.env, source: string | null = null): GatewayConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError(`${source ?? "config"}: not valid YAML: ${(err as Error).message}`);
  }
  const top = gatewayConfigSchema.safeParse(raw);
  if (!top.success) throw new ConfigError(`${source ?? "config"}: ${describeIssues(top.error, gatewayConfigSchema)}`);
  const defaults = { connect_ms: top.data.timeouts?.connect_ms, retries: top.data.retries, circuit_breaker: top.data.circuit_breaker };
  const providers = top.data.providers.map((p, i) => {
    try {
      return normalizeProvider(interpolateEnv(p, env, `providers[${i}]`), defaults);
    } catch (err) {
      if (err instanceof ConfigError) throw new ConfigError(`${source ?? "config"}: providers[${i}]: ${err.message}`);
      throw err;
    }
  });
  const seen = new Set<string>();
  for (const p of providers) {
    if (seen.has(p.id)) throw new ConfigError(`${source ?? "config"}: provider id "${p.id}" appears twice`);
    seen.add(p.id);
  }
  const routing = routingSettings(top.data.routing);
  for (const id of fallbackIds(routing)) {
    if (!seen.has(id)) throw new ConfigError(`${source ?? "config"}: routing: fallback "${id}": no provider has this id`);
  }
  const sso = top.data.sso ? (interpolateEnv(top.data.sso, env, "sso") as Record<string, unknown>) : undefined;
  return { providers, timeouts: top.data.timeouts ?? {}, routing, ...(top.data.cache ? { cache: top.data.cache } : {}), ...(sso ? { sso } : {}), source };
}

/** Reads the YAML file at `path`. A missing file is not an error: the gateway starts with no configured providers. */
export async function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): Promise<GatewayConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { providers: [], timeouts: {}, source: null };
    throw err;
  }
  return parseConfig(text, env, path);
}
