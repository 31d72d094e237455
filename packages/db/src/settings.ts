import type { PrismaClient } from "./generated/prisma/client.js";
import type { SettingsStore } from "./store.js";

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
