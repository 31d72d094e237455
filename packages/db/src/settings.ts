import type { PrismaClient } from "./generated/prisma/client.js";
import type { CacheSwitchStore, SettingsStore } from "./store.js";

export function settingsStore(prisma: PrismaClient): SettingsStore {
  return {
    async get(key) {
      return (await prisma.setting.findUnique({ where: { key } }))?.value ?? null;
    },
    async set(key, value) {
      await prisma.setting.upsert({ where: { key }, create: { key, value }, update: { value } });
    },
  };
}

const CACHE_SWITCHES = "cache.models";

/** The per-model cache switches, one JSON setting. */
export function cacheSwitchStore(settings: SettingsStore): CacheSwitchStore {
  const get = async () => {
    const text = await settings.get(CACHE_SWITCHES);
    const parsed: unknown = text ? JSON.parse(text) : {};
    return Object.fromEntries(Object.entries(parsed as Record<string, unknown>).filter((e): e is [string, boolean] => typeof e[1] === "boolean"));
  };
  return {
    get,
    async set(model, enabled) {
      const switches = await get();
      if (enabled === null) delete switches[model];
      else switches[model] = enabled;
      await settings.set(CACHE_SWITCHES, JSON.stringify(switches));
      return switches;
    },
  };
}
