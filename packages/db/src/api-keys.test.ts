import { describe, expect, it, vi } from "vitest";
import type { PrismaClient } from "./generated/prisma/client.js";
import { apiKeyStore, hashSecret } from "./api-keys.js";

/** An active ApiKey row as the database returns it. */
const keyRow = (hash: string) => ({
  id: `key_${hash.slice(0, 6)}`,
  name: "k",
  prefix: "ik_…",
  hash,
  allowedProviders: null,
  allowedModels: null,
  rateLimitRpm: null,
  rateLimitTpm: null,
  createdAt: new Date(),
  lastUsedAt: null,
  revokedAt: null,
  expiresAt: null,
  previousHash: null,
  previousHashValidUntil: null,
});

/** The lookup's filter: a secret's hash, as the current one or the one before a rotation. */
type ByHash = { OR: [{ hash: string }, { previousHash: string }] };
const hashOf = (where: ByHash) => where.OR[0].hash;

/** A stand-in for the two reads the hot path makes, answering after `release()`; counts how often it is asked. */
function fakePrisma(rows: Array<{ hash: string }>) {
  const waiting: Array<() => void> = [];
  const calls = { count: 0, findFirst: 0 };
  const later = <T>(value: () => T) => new Promise<T>((resolve) => waiting.push(() => resolve(value())));
  const prisma = {
    apiKey: {
      // Each read sees the rows as they were when it was sent, like a real query.
      count: () => {
        calls.count++;
        const n = rows.length;
        return later(() => n);
      },
      findFirst: ({ where }: { where: ByHash }) => {
        calls.findFirst++;
        const hash = hashOf(where);
        const found = rows.some((r) => r.hash === hash) ? keyRow(hash) : null;
        return later(() => found);
      },
      updateMany: async () => ({ count: 0 }),
    },
  };
  const release = () => waiting.splice(0).forEach((go) => go());
  return { prisma: prisma as unknown as PrismaClient, calls, release, rows };
}

describe("API key cache under load", () => {
  it("sends one count and one lookup per key while many requests wait on them", async () => {
    const db = fakePrisma([{ hash: hashSecret("ik_a") }]);
    const keys = apiKeyStore(db.prisma);
    const counts = Array.from({ length: 50 }, () => keys.countAll());
    const lookups = Array.from({ length: 50 }, () => keys.verify("ik_a"));
    const unknown = Array.from({ length: 20 }, () => keys.verify("ik_guess"));
    db.release();
    expect(new Set(await Promise.all(counts))).toEqual(new Set([1]));
    expect((await Promise.all(lookups)).every((r) => r?.id.startsWith("key_"))).toBe(true);
    expect((await Promise.all(unknown)).every((r) => r === null)).toBe(true);
    expect(db.calls).toEqual({ count: 1, findFirst: 2 });
    await keys.countAll(); // cached now
    expect(db.calls.count).toBe(1);
    await keys.close();
  });

  it("answers from an expired entry while one read refreshes it: no request waits on the refresh", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const db = fakePrisma([{ hash: hashSecret("ik_a") }]);
      const keys = apiKeyStore(db.prisma);
      const warm = Promise.all([keys.countAll(), keys.verify("ik_a")]);
      db.release();
      await warm;
      vi.setSystemTime(Date.now() + 6_000); // past the 5 s cache
      // The refreshing reads are held (never released here): the requests must not wait for them.
      const counts = await Promise.all(Array.from({ length: 50 }, () => keys.countAll()));
      const found = await Promise.all(Array.from({ length: 50 }, () => keys.verify("ik_a")));
      expect(new Set(counts)).toEqual(new Set([1]));
      expect(found.every((r) => r?.id.startsWith("key_"))).toBe(true);
      expect(db.calls).toEqual({ count: 2, findFirst: 2 }); // one refresh each, shared
      // An unknown key is never answered stale: it waits for its read.
      const guess = keys.verify("ik_guess");
      db.release();
      expect(await guess).toBeNull();
      await keys.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it("does not cache a read that began before a change", async () => {
    const db = fakePrisma([]);
    const keys = apiKeyStore(db.prisma);
    const before = keys.countAll(); // in flight when the first key appears
    db.rows.push({ hash: hashSecret("ik_new") });
    keys.invalidate();
    db.release();
    expect(await before).toBe(0);
    const after = keys.countAll(); // a fresh read, not the stale 0
    db.release();
    expect(await after).toBe(1);
    expect(db.calls.count).toBe(2);
    await keys.close();
  });
});

describe("API keys while the database is unreachable", () => {
  /** Answers at once, or fails as an unreachable database does while `down` is set. */
  function flakyPrisma(hashes: string[]) {
    const state = { down: false };
    const fail = () => Promise.reject(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));
    const prisma = {
      apiKey: {
        count: () => (state.down ? fail() : Promise.resolve(hashes.length)),
        findFirst: ({ where }: { where: ByHash }) => (state.down ? fail() : Promise.resolve(hashes.includes(hashOf(where)) ? keyRow(hashOf(where)) : null)),
        updateMany: async () => ({ count: 0 }),
      },
    };
    return { prisma: prisma as unknown as PrismaClient, state };
  }

  it("serves keys seen before from their last known state, however many guesses came since", async () => {
    const warn = console.warn;
    console.warn = () => {};
    try {
      const db = flakyPrisma([hashSecret("ik_real"), hashSecret("ik_revoked")]);
      const keys = apiKeyStore(db.prisma);
      const real = await keys.verify("ik_real");
      const revoked = await keys.verify("ik_revoked");
      // A flood of wrong keys must not push the real ones out of the last known state.
      for (let i = 0; i < 12_000; i++) await keys.verify(`ik_guess_${i}`);
      keys.invalidate(revoked!.id); // revoked here (or announced with its id by another replica)
      db.state.down = true;
      expect((await keys.verify("ik_real"))?.id).toBe(real!.id);
      expect(await keys.verify("ik_revoked")).toBeNull();
      await expect(keys.verify("ik_never_seen")).rejects.toMatchObject({ status: 503, code: "database_unavailable" });
      expect(await keys.countAll()).toBeGreaterThan(0); // keys exist: the gateway does not open up
      expect(keys.health().degradedSince).toBeInstanceOf(Date);
      db.state.down = false;
      keys.invalidate();
      await keys.verify("ik_real");
      expect(keys.health().degradedSince).toBeNull();
      await keys.close();
    } finally {
      console.warn = warn;
    }
  });
});
