/**
 * API keys for /v1. The secret (`ik_` + 192 random bits) is shown once; only its SHA-256 is stored: a slow hash
 * adds nothing for secrets this random, and verification sits on the hot path. Lookups are cached briefly, so a
 * request costs no database round-trip; a revoke here clears the cache at once, other replicas within the TTL
 * (or at once when they share Redis invalidations, see `invalidate`).
 */
import { createHash, randomBytes } from "node:crypto";
import type { ApiKey, PrismaClient } from "./generated/prisma/client.js";
import type { ApiKeyRecord, ApiKeyStore } from "./store.js";

const CACHE_TTL_MS = 5_000;
const CACHE_MAX = 10_000;
const TOUCH_INTERVAL_MS = 10_000;

export const hashSecret = (secret: string) => createHash("sha256").update(secret).digest("hex");

function toRecord(row: ApiKey): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    allowedProviders: (row.allowedProviders as string[] | null) ?? null,
    allowedModels: (row.allowedModels as string[] | null) ?? null,
    rateLimitRpm: row.rateLimitRpm,
    rateLimitTpm: row.rateLimitTpm,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  };
}

const listOrNull = (v: string[] | null | undefined) => (v && v.length ? v : null);

export interface CachedApiKeyStore extends ApiKeyStore {
  /** Forgets cached lookups (after a change made here or announced by another replica). */
  invalidate(): void;
  /** Writes pending last-used times. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function apiKeyStore(prisma: PrismaClient): CachedApiKeyStore {
  const cache = new Map<string, { record: ApiKeyRecord | null; at: number }>();
  let keyCount: { n: number; at: number } | null = null;
  const touched = new Map<string, Date>();

  const flush = async () => {
    const batch = [...touched.entries()];
    touched.clear();
    for (const [id, at] of batch) await prisma.apiKey.updateMany({ where: { id }, data: { lastUsedAt: at } }).catch(() => {});
  };
  const timer = setInterval(() => void flush(), TOUCH_INTERVAL_MS);
  timer.unref();

  const invalidate = () => {
    cache.clear();
    keyCount = null;
  };

  return {
    invalidate,
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },

    async create(input) {
      const secret = `ik_${randomBytes(24).toString("base64url")}`;
      const row = await prisma.apiKey.create({
        data: {
          id: `key_${randomBytes(8).toString("hex")}`,
          name: input.name,
          prefix: `${secret.slice(0, 10)}…`,
          hash: hashSecret(secret),
          allowedProviders: listOrNull(input.allowedProviders) ?? undefined,
          allowedModels: listOrNull(input.allowedModels) ?? undefined,
          rateLimitRpm: input.rateLimitRpm ?? null,
          rateLimitTpm: input.rateLimitTpm ?? null,
        },
      });
      invalidate();
      return { record: toRecord(row), secret };
    },

    async list() {
      return (await prisma.apiKey.findMany({ orderBy: { createdAt: "desc" } })).map(toRecord);
    },

    async revoke(id) {
      const { count } = await prisma.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
      invalidate();
      return count > 0;
    },

    async verify(secret) {
      const hash = hashSecret(secret);
      const now = Date.now();
      const hit = cache.get(hash);
      let record: ApiKeyRecord | null;
      if (hit && now - hit.at < CACHE_TTL_MS) record = hit.record;
      else {
        const row = await prisma.apiKey.findUnique({ where: { hash } });
        record = row && !row.revokedAt ? toRecord(row) : null;
        if (cache.size >= CACHE_MAX) cache.clear(); // bounded: guessing keys cannot grow memory
        cache.set(hash, { record, at: now });
      }
      if (record) touched.set(record.id, new Date(now));
      return record;
    },

    async countAll() {
      const now = Date.now();
      if (keyCount && now - keyCount.at < CACHE_TTL_MS) return keyCount.n;
      const n = await prisma.apiKey.count();
      keyCount = { n, at: now };
      return n;
    },
  };
}
