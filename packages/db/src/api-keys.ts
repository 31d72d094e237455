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
  // One database read per key (and per count) at a time: when the cache expires under load, the requests in
  // flight share the read instead of each sending its own. A read that began before a change is not cached.
  const lookups = new Map<string, Promise<ApiKeyRecord | null>>();
  let counting: Promise<number> | null = null;
  let generation = 0;

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
    lookups.clear();
    counting = null;
    generation++;
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
        let lookup = lookups.get(hash);
        if (!lookup) {
          const gen = generation;
          lookup = prisma.apiKey.findUnique({ where: { hash } }).then((row) => {
            const found = row && !row.revokedAt ? toRecord(row) : null;
            if (gen === generation) {
              if (cache.size >= CACHE_MAX) cache.clear(); // bounded: guessing keys cannot grow memory
              cache.set(hash, { record: found, at: Date.now() });
            }
            return found;
          });
          const settled = lookup.finally(() => lookups.get(hash) === settled && lookups.delete(hash));
          lookups.set(hash, settled);
          lookup = settled;
        }
        record = await lookup;
      }
      if (record) touched.set(record.id, new Date(now));
      return record;
    },

    async countAll() {
      if (keyCount && Date.now() - keyCount.at < CACHE_TTL_MS) return keyCount.n;
      if (!counting) {
        const gen = generation;
        const count: Promise<number> = prisma.apiKey
          .count()
          .then((n) => {
            if (gen === generation) keyCount = { n, at: Date.now() };
            return n;
          })
          .finally(() => {
            if (counting === count) counting = null;
          });
        counting = count;
      }
      return counting;
    },
  };
}
