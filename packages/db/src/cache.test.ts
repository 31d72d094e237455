/**
 * The response cache's database side on PGlite and (when reachable; required under CI) PostgreSQL: the exact
 * store (get, expiry, purge by scope and namespace, the sweep) and the semantic index both ways, pgvector (PGlite
 * ships it) and usearch in process (PostgreSQL without the extension), including rows another replica wrote.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CacheEntry, RequestLogEntry, SemanticIndex } from "@interference/core";
import { unit } from "@interference/core";
import { openStore, type OpenedStore } from "./index.js";
import { freshPostgresDatabase, postgresReachable } from "./test-databases.js";

const pgUp = await postgresReachable();
if (!pgUp && process.env.CI === "true") throw new Error("CI=true but PostgreSQL at 127.0.0.1:5432 is not reachable");

let n = 0;
function entry(extra: Partial<CacheEntry> = {}): CacheEntry {
  const now = Date.now();
  return {
    id: `00000000-0000-7000-8000-${String(++n).padStart(12, "0")}`,
    scope: "key:k1",
    namespace: "",
    key: `key-${n}`,
    model: "m",
    provider: "oa",
    result: { model: "m-1", choices: [{ content: [{ type: "text", text: `answer ${n}` }], finish: "stop" }], usage: { inputTokens: 3, outputTokens: 4 } },
    cost: 0.0001,
    createdAt: now,
    expiresAt: now + 60_000,
    ...extra,
  };
}

/** A vector near `base`: `base` plus a little of direction `towards`. */
function near(base: number[], towards: number, amount: number): number[] {
  const v = [...base];
  v[towards] = (v[towards] ?? 0) + amount;
  return v;
}
const BASE = Array.from({ length: 16 }, (_, i) => (i === 0 ? 1 : 0.01 * i));

const databases: Array<[string, () => Promise<{ url: string; cleanup: () => Promise<void> }>, Array<"pgvector" | "usearch">]> = [
  ["PGlite", async () => ({ url: `pglite:${mkdtempSync(join(tmpdir(), "ifr-cache-"))}`, cleanup: async () => {} }), ["pgvector", "usearch"]],
];
if (pgUp) {
  databases.push([
    "PostgreSQL",
    async () => {
      const db = await freshPostgresDatabase();
      return { url: db.url, cleanup: db.drop };
    },
    ["usearch"],
  ]);
}

describe.each(databases)("the response cache on %s", (_name, makeDb, indexes) => {
  let store: OpenedStore;
  let cleanup: () => Promise<void>;
  let url: string;
  beforeAll(async () => {
    ({ url, cleanup } = await makeDb());
    store = await openStore({ url });
  });
  afterAll(async () => {
    await store.close();
    await cleanup();
  });

  it("keeps and finds an exact entry by scope, namespace and key; purges by scope or namespace; sweeps the expired", async () => {
    const a = entry();
    const b = entry({ namespace: "eval" });
    const other = entry({ scope: "key:k2", key: a.key });
    for (const e of [a, b, other]) await store.cache.put(e);
    expect(await store.cache.get("key:k1", "", a.key)).toEqual(a);
    expect(await store.cache.get("key:k1", "eval", b.key)).toEqual(b);
    expect(await store.cache.get("key:k1", "eval", a.key)).toBeNull();
    expect((await store.cache.get("key:k2", "", a.key))?.id).toBe(other.id);
    // The same key again replaces the entry.
    const again = entry({ key: a.key });
    await store.cache.put(again);
    expect((await store.cache.get("key:k1", "", a.key))?.id).toBe(again.id);

    expect(await store.cache.purge({ scope: "key:k1", namespace: "eval" })).toBe(1);
    expect(await store.cache.get("key:k1", "eval", b.key)).toBeNull();
    expect(await store.cache.get("key:k1", "", a.key)).not.toBeNull();
    expect(await store.cache.purge({ scope: "key:k1" })).toBe(1);
    expect(await store.cache.get("key:k2", "", a.key)).not.toBeNull();

    const old = entry({ expiresAt: Date.now() - 1 });
    await store.cache.put(old);
    expect(await store.cache.get(old.scope, "", old.key)).toBeNull();
    expect(await store.cache.sweep()).toBeGreaterThanOrEqual(1);
    expect(await store.prisma.cacheEntry.count({ where: { id: old.id } })).toBe(0);
  });

  it("sums the log's cache figures for the Overview and Usage: lookups, hits and what they saved", async () => {
    const at = new Date(Date.UTC(2026, 11, 1, 9, 0, 0));
    const row = (i: number, extra: Partial<RequestLogEntry>): RequestLogEntry => ({
      id: `00000000-0000-7000-9000-${String(i).padStart(12, "0")}`,
      time: new Date(at.getTime() + i * 1000),
      apiKeyId: i % 2 ? "key_a" : "key_b",
      teamId: null,
      method: "POST",
      route: "/v1/chat/completions",
      model: "m",
      requestedProviders: null,
      attempts: [],
      routing: null,
      provider: "up",
      servedModel: "m",
      status: 200,
      stream: false,
      latencyMs: 5,
      ttftMs: null,
      promptTokens: 3,
      completionTokens: 4,
      totalTokens: 7,
      cost: 0.001,
      costEstimated: false,
      audioSeconds: null,
      audioBytes: null,
      error: null,
      ...extra,
    });
    const rows = [
      row(0, { cache: "miss" }),
      row(1, { cache: "hit", provider: "cache", cost: 0, cacheSaved: 0.001, cacheEntryId: "e1" }),
      row(2, { cache: "semantic-hit", provider: "cache", cost: 0, cacheSaved: 0.002, cacheEntryId: "e2" }),
      row(3, { cache: "skip" }),
      row(4, {}),
    ];
    for (const r of rows) store.logs.sink.write(r);
    await store.logWriter.flush();
    expect(await store.logs.get(rows[2]!.id)).toMatchObject({ cache: "semantic-hit", cacheEntryId: "e2", cacheSaved: 0.002 });
    const { total } = await store.logs.summary({ from: at, to: new Date(at.getTime() + 60_000), bucket: "minute" });
    expect(total).toMatchObject({ requests: 5, cacheLookups: 3, cacheHits: 2, cacheSaved: expect.closeTo(0.003, 9) });
    const byKey = await store.logs.usage({ since: at, bucket: "hour", groupBy: "apiKey" });
    const of = (key: string) => byKey.find((u) => u.group === key)!;
    expect(of("key_a")).toMatchObject({ cacheLookups: 1, cacheHits: 1, cacheSaved: expect.closeTo(0.001, 9) });
    expect(of("key_b")).toMatchObject({ cacheLookups: 2, cacheHits: 1, cacheSaved: expect.closeTo(0.002, 9) });
  });

  for (const kind of indexes) {
    it(`finds the nearest prompt with ${kind}: within its scope, namespace and context only, never an expired one`, async () => {
      const index: SemanticIndex = await store.semanticIndex(kind);
      expect(index.kind).toBe(kind);
      const context = `ctx-${kind}`;
      const close = entry({ context, prompt: "close", vector: near(BASE, 1, 0.05) });
      const far = entry({ context, prompt: "far", vector: near(BASE, 2, 3) });
      const otherScope = entry({ scope: "key:k9", context, vector: BASE });
      const otherContext = entry({ context: `${context}-x`, vector: BASE });
      const expired = entry({ context, vector: BASE, expiresAt: Date.now() - 1 });
      for (const e of [close, far, otherScope, otherContext, expired]) await index.add(e as CacheEntry & { context: string; vector: number[] });

      const matches = await index.nearest("key:k1", "", context, unit(BASE), 4);
      expect(matches.map((m) => m.entry.id)).toEqual([close.id, far.id]);
      expect(matches[0]!.similarity).toBeGreaterThan(0.99);
      expect(matches[1]!.similarity).toBeLessThan(0.5);
      expect(matches[0]!.entry.result).toEqual(close.result);
      expect(await index.nearest("key:k1", "", `${context}-none`, unit(BASE), 4)).toEqual([]);
      expect((await index.nearest("key:k9", "", context, unit(BASE), 4)).map((m) => m.entry.id)).toEqual([otherScope.id]);
      expect((await index.nearest("key:k1", "", context, unit(near(BASE, 2, 3)), 1)).map((m) => m.entry.id)).toEqual([far.id]);

      // Another replica's index reads what this one wrote.
      const replica = await store.semanticIndex(kind);
      expect((await replica.nearest("key:k1", "", context, unit(BASE), 1))[0]?.entry.id).toBe(close.id);
      expect(await index.purge({ scope: "key:k1" })).toBeGreaterThanOrEqual(2);
      expect(await index.nearest("key:k1", "", context, unit(BASE), 4)).toEqual([]);
    });
  }
});
