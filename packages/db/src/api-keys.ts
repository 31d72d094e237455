/**
 * API keys for /v1. The secret (`ik_` + 192 random bits) is shown once; only its SHA-256 is stored: a slow hash
 * adds nothing for secrets this random, and verification sits on the hot path. Lookups are cached briefly, so a
 * request costs no database round-trip; a revoke here clears the cache at once, other replicas within the TTL
 * (or at once when they share Redis invalidations, see `invalidate`).
 *
 * While the database is unreachable, keys are served from the last state the database gave (a key seen active
 * stays active, a revocation this replica has seen still applies) instead of failing every keyed request; a key
 * never seen gets a 503. `health()` says whether that is happening, for /readyz.
 */
import { createHash, randomBytes } from "node:crypto";
import { GatewayError, STREAM_RECOVERY, type BudgetRule, type StreamRecovery } from "@interference/core";
import { Prisma, type ApiKey, type PrismaClient, type Team } from "./generated/prisma/client.js";
import type { ApiKeyRecord, ApiKeyStore } from "./store.js";

const CACHE_TTL_MS = 5_000;
const CACHE_MAX = 10_000;
const TOUCH_INTERVAL_MS = 10_000;

export const hashSecret = (secret: string) => createHash("sha256").update(secret).digest("hex");

// Budgets are written only through the dashboard's validated forms (core's budgetRulesSchema).
const rules = (json: unknown) => (Array.isArray(json) ? (json as BudgetRule[]) : []);

/** A key and its team (every read of a key brings its team: its budgets apply to the key's requests). */
const WITH_TEAM = { include: { team: true } } as const;

function toRecord(row: ApiKey & { team: Team | null }): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    allowedProviders: (row.allowedProviders as string[] | null) ?? null,
    allowedModels: (row.allowedModels as string[] | null) ?? null,
    rateLimitRpm: row.rateLimitRpm,
    rateLimitTpm: row.rateLimitTpm,
    budgets: rules(row.budgets),
    team: row.team ? { id: row.team.id, name: row.team.name, budgets: rules(row.team.budgets), cache: row.team.cache } : null,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
    expiresAt: row.expiresAt,
    // A grace period that has run out is no grace period.
    previousSecretValidUntil: row.previousHashValidUntil && row.previousHashValidUntil.getTime() > Date.now() ? row.previousHashValidUntil : null,
    streamRecovery: STREAM_RECOVERY.includes(row.streamRecovery as StreamRecovery) ? (row.streamRecovery as StreamRecovery) : null,
    cache: row.cache,
    createdById: row.createdById,
  };
}

/** A lookup's answer: the key, and until when it holds when the secret was the one before a rotation. */
interface Found {
  record: ApiKeyRecord | null;
  /** Epoch ms after which this secret stops working (its grace period); null: as long as the key. */
  until: number | null;
}
const NOT_FOUND: Found = { record: null, until: null };
const usable = (f: Found, now: number) => (f.until !== null && f.until <= now ? null : f.record);

function newSecret() {
  const secret = `ik_${randomBytes(24).toString("base64url")}`;
  return { secret, hash: hashSecret(secret), prefix: `${secret.slice(0, 10)}…` };
}

/** A key set to a team that does not exist (deleted meanwhile): the foreign key refuses it. */
function unknownTeam(err: unknown): never {
  if ((err as { code?: string }).code === "P2003" || /foreign key/i.test((err as Error)?.message ?? "")) {
    throw new GatewayError(400, "invalid_request_error", "unknown_team", "No such team: it may just have been deleted.");
  }
  throw err;
}

const listOrNull = (v: string[] | null | undefined) => (v && v.length ? v : null);

export interface CachedApiKeyStore extends ApiKeyStore {
  /**
   * Forgets cached lookups (after a change made here or announced by another replica). `revokedId`: a key just
   * revoked, which the last known state must not serve either, should the database then be unreachable.
   */
  invalidate(revokedId?: string): void;
  /** Whether lookups are being answered from the last known state (the database unreachable), since when. */
  health(): { degradedSince: Date | null; knownKeys: number };
  /** Writes pending last-used times. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function apiKeyStore(prisma: PrismaClient): CachedApiKeyStore {
  const cache = new Map<string, Found & { at: number }>();
  let keyCount: { n: number; at: number } | null = null;
  const touched = new Map<string, Date>();
  // One database read per key (and per count) at a time: when the cache expires under load, the requests in
  // flight share the read instead of each sending its own. A read that began before a change is not cached.
  const lookups = new Map<string, Promise<Found>>();
  let counting: Promise<number> | null = null;
  let generation = 0;
  // The database's last answer per key hash, kept across invalidations (bounded like the cache), and its count.
  const lastKnown = new Map<string, Found>();
  let lastCount: number | null = null;
  let degradedSince: number | null = null;

  const remember = (hash: string, found: Found) => {
    lastKnown.delete(hash); // re-inserted last: the oldest entry is the first to go
    if (lastKnown.size >= CACHE_MAX) lastKnown.delete(lastKnown.keys().next().value!);
    lastKnown.set(hash, found);
    if (found.record) lastCount = Math.max(lastCount ?? 0, 1); // a key found proves there are keys
  };
  const unreachable = (err: unknown) => {
    if (degradedSince !== null) return; // said once per outage
    degradedSince = Date.now();
    console.warn(`[interference] api keys: database unreachable (${(err as Error)?.message ?? err}): serving the last known state`);
  };
  const noState = () =>
    new GatewayError(
      503,
      "service_unavailable",
      "database_unavailable",
      "The gateway cannot check this API key right now (its database is unreachable): try again shortly.",
      {
        headers: { "retry-after": "5" },
      },
    );

  const flush = async () => {
    const batch = [...touched.entries()];
    touched.clear();
    for (const [id, at] of batch) await prisma.apiKey.updateMany({ where: { id }, data: { lastUsedAt: at } }).catch(() => {});
  };
  const timer = setInterval(() => void flush(), TOUCH_INTERVAL_MS);
  timer.unref();

  const invalidate = (revokedId?: string) => {
    if (revokedId) {
      for (const [hash, found] of lastKnown) if (found.record?.id === revokedId) lastKnown.set(hash, NOT_FOUND);
      lastCount = Math.max(lastCount ?? 0, 1);
    }
    // Keys are never deleted, so a count above zero stays true; "no keys" may not be (one may just have been made).
    if (lastCount === 0) lastCount = null;
    cache.clear();
    keyCount = null;
    lookups.clear();
    counting = null;
    generation++;
  };

  /** One count of the keys at a time (the requests meanwhile share it); cached for CACHE_TTL_MS. */
  function readCount(): Promise<number> {
    if (counting) return counting;
    const gen = generation;
    const count: Promise<number> = prisma.apiKey
      .count()
      .then(
        (n) => {
          lastCount = n;
          degradedSince = null;
          if (gen === generation) keyCount = { n, at: Date.now() };
          return n;
        },
        (err: unknown) => {
          unreachable(err);
          if (lastCount === null) throw noState();
          if (gen === generation) keyCount = { n: lastCount, at: Date.now() };
          return lastCount;
        },
      )
      .finally(() => {
        if (counting === count) counting = null;
      });
    counting = count;
    return count;
  }

  /** One database read of a key at a time (the requests meanwhile share it); its answer is cached. */
  function lookupKey(hash: string): Promise<Found> {
    let lookup = lookups.get(hash);
    if (!lookup) {
      const gen = generation;
      const keep = (f: Found) => {
        if (gen !== generation) return;
        if (cache.size >= CACHE_MAX) cache.clear(); // bounded: guessing keys cannot grow memory
        cache.set(hash, { ...f, at: Date.now() });
      };
      lookup = prisma.apiKey.findFirst({ where: { OR: [{ hash }, { previousHash: hash }] }, ...WITH_TEAM }).then(
        (row) => {
          const f: Found =
            row && !row.revokedAt ? { record: toRecord(row), until: row.hash === hash ? null : (row.previousHashValidUntil?.getTime() ?? 0) } : NOT_FOUND;
          degradedSince = null;
          // An unknown key is not remembered (guesses must not push real keys out); a known one that is now
          // revoked is, as not found.
          if (gen === generation && (f.record || lastKnown.has(hash))) remember(hash, f);
          keep(f);
          return f;
        },
        (err: unknown) => {
          unreachable(err);
          if (!lastKnown.has(hash)) throw noState();
          // Kept for the cache's TTL too, so an outage costs one failed lookup per key every few seconds.
          const known = lastKnown.get(hash)!;
          keep(known);
          return known;
        },
      );
      const settled = lookup.finally(() => lookups.get(hash) === settled && lookups.delete(hash));
      lookups.set(hash, settled);
      lookup = settled;
    }
    return lookup;
  }

  return {
    invalidate,
    flush,
    health: () => ({ degradedSince: degradedSince === null ? null : new Date(degradedSince), knownKeys: [...lastKnown.values()].filter(Boolean).length }),
    async close() {
      clearInterval(timer);
      await flush();
    },

    async create(input) {
      const { secret, hash, prefix } = newSecret();
      const row = await prisma.apiKey
        .create({
          data: {
            id: `key_${randomBytes(8).toString("hex")}`,
            name: input.name,
            prefix,
            hash,
            expiresAt: input.expiresAt ?? null,
            allowedProviders: listOrNull(input.allowedProviders) ?? undefined,
            allowedModels: listOrNull(input.allowedModels) ?? undefined,
            rateLimitRpm: input.rateLimitRpm ?? null,
            rateLimitTpm: input.rateLimitTpm ?? null,
            budgets: input.budgets ?? [],
            teamId: input.teamId ?? null,
            streamRecovery: input.streamRecovery ?? null,
            cache: input.cache ?? null,
            createdById: input.createdById ?? null,
          },
          ...WITH_TEAM,
        })
        .catch(unknownTeam);
      invalidate();
      return { record: toRecord(row), secret };
    },

    async list() {
      return (await prisma.apiKey.findMany({ orderBy: { createdAt: "desc" }, ...WITH_TEAM })).map(toRecord);
    },

    async update(id, changes) {
      const { allowedProviders, allowedModels, ...rest } = changes;
      const data: Prisma.ApiKeyUncheckedUpdateManyInput = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
      // A JSON column's null is Prisma's DbNull: "every provider / model".
      if (allowedProviders !== undefined) data.allowedProviders = listOrNull(allowedProviders) ?? Prisma.DbNull;
      if (allowedModels !== undefined) data.allowedModels = listOrNull(allowedModels) ?? Prisma.DbNull;
      const { count } = await prisma.apiKey.updateMany({ where: { id }, data }).catch(unknownTeam);
      invalidate();
      return count > 0;
    },

    async rotate(id, graceSeconds) {
      const current = await prisma.apiKey.findFirst({ where: { id, revokedAt: null } });
      if (!current) return null;
      const { secret, hash, prefix } = newSecret();
      const row = await prisma.apiKey.update({
        where: { id },
        data: {
          hash,
          prefix,
          // One secret in grace at a time: rotating again ends the older one's.
          previousHash: graceSeconds > 0 ? current.hash : null,
          previousHashValidUntil: graceSeconds > 0 ? new Date(Date.now() + graceSeconds * 1000) : null,
        },
        ...WITH_TEAM,
      });
      // The old secret's cached and last known answers go: from now on it holds only for its grace period.
      for (const [h, found] of lastKnown) if (found.record?.id === id) lastKnown.delete(h);
      invalidate();
      return { record: toRecord(row), secret };
    },

    async revoke(id) {
      const { count } = await prisma.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
      invalidate(id);
      return count > 0;
    },

    async verify(secret) {
      const hash = hashSecret(secret);
      const now = Date.now();
      const hit = cache.get(hash);
      let found: Found;
      if (hit && now - hit.at < CACHE_TTL_MS) found = hit;
      else if (hit && hit.record) {
        // Expired but known to be a key: answered as it was while one read refreshes it, so the requests of a busy
        // key do not all wait on that read every five seconds. A change made here or announced by another replica
        // clears the cache, so nothing stale outlives it.
        found = hit;
        if (!lookups.has(hash)) void lookupKey(hash).catch(() => undefined);
      } else found = await lookupKey(hash);
      const record = usable(found, now);
      if (record) touched.set(record.id, new Date(now));
      return record;
    },

    async countAll() {
      if (keyCount && Date.now() - keyCount.at < CACHE_TTL_MS) return keyCount.n;
      // Expired: it answers while one read refreshes it (rather than every keyless request waiting on that read
      // every five seconds). Keys are never deleted, so a count above zero stays true; "no keys"
      // holds at most one read longer than the cache already let it (a key made on another replica is announced
      // over the bus, which clears the cache, and then the next request waits for a fresh count).
      if (keyCount) {
        void readCount().catch(() => undefined);
        return keyCount.n;
      }
      return readCount();
    },
  };
}
