/**
 * The routing settings (strategy per model, fallback) in the settings table. Like providers: the config file's
 * `routing:` section seeds them, a dashboard edit wins until the file's section changes (a hash of it is kept).
 */
import { createHash } from "node:crypto";
import { routingConfigSchema, type RoutingConfig } from "@interference/core";
import type { SettingsStore } from "./store.js";

const ROUTING_SETTING = "routing";

interface StoredRouting {
  /** The hash of the file's section the stored settings started from. */
  fileHash: string;
  source: "config" | "dashboard";
  config: RoutingConfig;
}

export interface RoutingStore {
  /** The settings to route with: the file's when its section changed since it was last seen, else the stored ones. */
  syncFromConfig(file: RoutingConfig): Promise<RoutingConfig>;
  get(): Promise<RoutingConfig | null>;
  /** A dashboard edit; throws when `config` is not valid settings. */
  save(config: RoutingConfig): Promise<RoutingConfig>;
}

const hashOf = (config: RoutingConfig) => createHash("sha256").update(JSON.stringify(config)).digest("hex");

export function routingStore(settings: SettingsStore): RoutingStore {
  const read = async (): Promise<StoredRouting | null> => {
    const text = await settings.get(ROUTING_SETTING);
    if (!text) return null;
    try {
      const stored = JSON.parse(text) as StoredRouting;
      const config = routingConfigSchema.safeParse(stored.config);
      return config.success ? { ...stored, config: config.data } : null;
    } catch {
      return null; // unreadable: the file's settings take over
    }
  };
  const write = (stored: StoredRouting) => settings.set(ROUTING_SETTING, JSON.stringify(stored));
  return {
    async syncFromConfig(file) {
      const fileHash = hashOf(file);
      const stored = await read();
      if (stored && stored.fileHash === fileHash) return stored.config;
      await write({ fileHash, source: "config", config: file });
      return file;
    },
    async get() {
      return (await read())?.config ?? null;
    },
    async save(config) {
      const parsed = routingConfigSchema.parse(config);
      const stored = await read();
      await write({ fileHash: stored?.fileHash ?? "", source: "dashboard", config: parsed });
      return parsed;
    },
  };
}
