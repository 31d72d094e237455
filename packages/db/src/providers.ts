/**
 * Provider records. The config file seeds them; a dashboard edit wins until the file changes that provider
 * (detected by a hash of the file's entry). The secret lives in its own column and never leaves through `list`
 * other than inside the config the gateway itself routes with.
 */
import { createHash } from "node:crypto";
import type { ProviderConfig } from "@interference/core";
import type { PrismaClient, Provider } from "./generated/prisma/client.js";
import type { ProviderRecord, ProviderStore } from "./store.js";

/** A stable hash of a config entry (key order does not matter). */
export function configHash(config: ProviderConfig): string {
  return createHash("sha256").update(stableJson(config)).digest("hex");
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

function withoutSecret(config: ProviderConfig): object {
  const { api_key: _secret, ...rest } = config;
  return JSON.parse(JSON.stringify(rest)) as object;
}

function toRecord(row: Provider): ProviderRecord {
  const config = { ...(row.config as unknown as ProviderConfig) };
  if (row.apiKey) config.api_key = row.apiKey;
  return { config, source: row.source as ProviderRecord["source"], configHash: row.configHash, updatedAt: row.updatedAt };
}

/** The dashboard's provider order, as a JSON list of ids in the settings table. */
const ORDER_SETTING = "providers.order";

export function providerStore(prisma: PrismaClient): ProviderStore {
  const list = async () => {
    const [rows, order] = await Promise.all([
      prisma.provider.findMany({ orderBy: [{ position: "asc" }, { id: "asc" }] }),
      prisma.setting.findUnique({ where: { key: ORDER_SETTING } }),
    ]);
    const records = rows.map(toRecord);
    const ids = order ? (JSON.parse(order.value) as string[]) : [];
    if (!ids.length) return records;
    // Stable: providers the dashboard's order does not name keep the file's order, after those it names.
    const rank = new Map(ids.map((id, i) => [id, i]));
    return records
      .map((r, i) => ({ r, at: rank.get(r.config.id) ?? ids.length + i }))
      .sort((a, b) => a.at - b.at)
      .map((x) => x.r);
  };

  return {
    list,

    async syncFromConfig(configs) {
      const rows = new Map((await prisma.provider.findMany()).map((r) => [r.id, r]));
      const inFile = new Set(configs.map((c) => c.id));
      await prisma.$transaction(async (tx) => {
        for (const [i, config] of configs.entries()) {
          const hash = configHash(config);
          const row = rows.get(config.id);
          if (row && row.configHash === hash) {
            if (row.position !== i) await tx.provider.update({ where: { id: config.id }, data: { position: i } });
            continue; // unchanged in the file: a dashboard edit (if any) stays
          }
          const data = { position: i, config: withoutSecret(config), apiKey: config.api_key ?? null, source: "config", configHash: hash };
          await tx.provider.upsert({ where: { id: config.id }, create: { id: config.id, ...data }, update: data });
        }
        // Providers the file used to define and no longer does go; ones added in the dashboard stay, after the file's.
        const gone = [...rows.values()].filter((r) => r.source === "config" && !inFile.has(r.id)).map((r) => r.id);
        if (gone.length) await tx.provider.deleteMany({ where: { id: { in: gone } } });
        const added = [...rows.values()]
          .filter((r) => !inFile.has(r.id) && r.source !== "config")
          .sort((x, y) => x.position - y.position || x.id.localeCompare(y.id));
        for (const [j, row] of added.entries()) {
          if (row.position !== configs.length + j) await tx.provider.update({ where: { id: row.id }, data: { position: configs.length + j } });
        }
      });
      return list();
    },

    async save(config, opts = {}) {
      const existing = await prisma.provider.findUnique({ where: { id: config.id } });
      const apiKey = config.api_key ? config.api_key : opts.keepSecretIfEmpty ? (existing?.apiKey ?? null) : null;
      const position = existing?.position ?? ((await prisma.provider.aggregate({ _max: { position: true } }))._max.position ?? -1) + 1;
      const data = { position, config: withoutSecret(config), apiKey, source: "dashboard" };
      const row = await prisma.provider.upsert({
        where: { id: config.id },
        create: { id: config.id, ...data, configHash: null },
        update: data,
      });
      return toRecord(row);
    },

    async setEnabled(id, enabled) {
      const row = await prisma.provider.findUnique({ where: { id } });
      if (!row) return null;
      const config = { ...(row.config as object), enabled };
      return toRecord(await prisma.provider.update({ where: { id }, data: { config, source: "dashboard" } }));
    },

    async reorder(ids) {
      if (ids === null) await prisma.setting.deleteMany({ where: { key: ORDER_SETTING } });
      else {
        const value = JSON.stringify([...new Set(ids)]);
        await prisma.setting.upsert({ where: { key: ORDER_SETTING }, create: { key: ORDER_SETTING, value }, update: { value } });
      }
      return list();
    },

    async remove(id) {
      return (await prisma.provider.deleteMany({ where: { id } })).count > 0;
    },
  };
}

/** What a secret looks like outside the server: set or not, never any of its characters. */
export const MASKED_SECRET = "••••••••";

/** The record as the dashboard may see it: the provider key masked. */
export function toPublicProvider(record: ProviderRecord): ProviderRecord {
  const { api_key, ...config } = record.config;
  return { ...record, config: { ...config, ...(api_key ? { api_key: MASKED_SECRET } : {}) } };
}
