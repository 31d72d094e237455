import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { GatewayError, type ProviderConfig, type RequestLogEntry } from "@interference/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthenticator } from "./auth.js";
import { migrate, MIGRATIONS_DIR, openStore, type OpenedStore } from "./index.js";
import { freshPostgresDatabase, postgresReachable } from "./test-databases.js";

const pgUp = await postgresReachable();
if (!pgUp && process.env.CI === "true") throw new Error("CI=true but PostgreSQL at 127.0.0.1:5432 is not reachable");

function provider(id: string, extra: Partial<ProviderConfig> = {}): ProviderConfig {
  return {
    id,
    type: "openai",
    base_url: `http://127.0.0.1:9/${id}`,
    api_key: `sk-${id}-secret`,
    models: [{ id: "m", upstream: "m" }],
    image_models: [],
    embedding_models: [],
    audio_models: [],
    enabled: true,
    headers: {},
    retries: { max: 1, base_ms: 200, max_ms: 2000 },
    circuit_breaker: { failure_threshold: 5, cooldown_ms: 30000 },
    drop_params: false,
    weight: 1,
    data_collection: "allow",
    options: {},
    ...extra,
  };
}

function entry(i: number, extra: Partial<RequestLogEntry> = {}): RequestLogEntry {
  return {
    id: randomUUID(),
    time: new Date(Date.UTC(2026, 10, 25, 10, 0, 0) + i * 1000),
    apiKeyId: i % 2 ? "key_a" : null,
    teamId: null,
    method: "POST",
    route: "/v1/chat/completions",
    model: "m",
    requestedProviders: "a b",
    attempts: [
      { provider: "a", outcome: "failed", reason: "HTTP 500", status: 500, latency_ms: 3, moved_on: true },
      { provider: "b", outcome: "served", status: 200, latency_ms: 10 + i },
    ],
    routing: { models: [{ model: "m", strategy: "latency", order: [], scores: { a: 20, b: 80 + i }, explored: null }], policy: "a b", fallback: null },
    provider: "b",
    servedModel: "m",
    status: i % 5 === 0 ? 502 : 200,
    stream: false,
    latencyMs: 10 + i,
    ttftMs: null,
    promptTokens: 3,
    completionTokens: 4,
    totalTokens: 7,
    cost: i % 3 ? 0.000123 + i / 1e9 : null,
    costEstimated: i % 7 === 0,
    audioSeconds: null,
    audioBytes: null,
    error: null,
    ...extra,
  };
}

const databases: [string, () => Promise<{ url: string; cleanup: () => Promise<void> }>][] = [
  ["PGlite (embedded default)", async () => ({ url: `pglite:${mkdtempSync(join(tmpdir(), "ifr-db-"))}`, cleanup: async () => {} })],
];
if (pgUp)
  databases.push([
    "PostgreSQL",
    async () => {
      const db = await freshPostgresDatabase();
      return { url: db.url, cleanup: db.drop };
    },
  ]);

describe.each(databases)("store on %s", (_name, makeDb) => {
  let store: OpenedStore;
  let url: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ url, cleanup } = await makeDb());
    store = await openStore({ url, logs: { flushIntervalMs: 20 } });
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await cleanup?.();
  });

  it("builds the database from the committed migrations, once", async () => {
    const rows = await store.prisma.$queryRawUnsafe<{ migration_name: string }[]>(`SELECT migration_name FROM "_prisma_migrations"`);
    expect(rows.map((r) => r.migration_name).sort()).toEqual([
      "20261125000000_init",
      "20261201000000_admin_sessions",
      "20261202000000_stored_responses",
      "20261203000000_request_cost",
      "20261203000001_key_budgets",
      "20261203000002_teams",
      "20261203000003_audio_log",
      "20261203000004_key_expiry_rotation",
      "20261203000005_request_bodies",
      "20261206000000_routing_decision",
      "20261206100000_key_stream_recovery",
      "20261206200000_session_generation",
      "20261207000000_response_cache",
      "20261207100000_people",
      "20261207200000_end_user_tags",
      "20261207300000_alerts",
      "20261207310000_alert_budget",
    ]);
    expect(await migrate(store.prisma, MIGRATIONS_DIR)).toEqual([]);
    expect(await store.ping()).toBe(true);
  });

  it("seeds providers from the config file; dashboard edits win until the file changes that provider", async () => {
    let list = await store.providers.syncFromConfig([provider("a"), provider("b")]);
    expect(list.map((r) => [r.config.id, r.source])).toEqual([
      ["a", "config"],
      ["b", "config"],
    ]);
    expect(list[0]!.config.api_key).toBe("sk-a-secret");

    await store.providers.setEnabled("a", false);
    list = await store.providers.syncFromConfig([provider("a"), provider("b")]);
    expect(list[0]!.config.enabled).toBe(false); // file unchanged: the dashboard's switch stays

    list = await store.providers.syncFromConfig([provider("a", { base_url: "http://127.0.0.1:9/new" }), provider("b")]);
    expect(list[0]!.config.enabled).toBe(true); // the file changed "a": the file wins
    expect(list[0]!.config.base_url).toBe("http://127.0.0.1:9/new");

    // Secrets are write-only: an empty key in a dashboard save keeps the stored one.
    await store.providers.save({ ...provider("b"), api_key: "", models: [{ id: "m2", upstream: "m2" }] }, { keepSecretIfEmpty: true });
    const b = (await store.providers.list()).find((r) => r.config.id === "b")!;
    expect(b.config.api_key).toBe("sk-b-secret");
    expect(b.config.models).toEqual([{ id: "m2", upstream: "m2" }]);
    const raw = await store.prisma.$queryRawUnsafe<{ config: unknown }[]>(`SELECT config FROM "Provider"`);
    expect(JSON.stringify(raw)).not.toContain("secret");

    // A dashboard-added provider survives a sync; one the file dropped goes.
    await store.providers.save(provider("dash"));
    list = await store.providers.syncFromConfig([provider("a", { base_url: "http://127.0.0.1:9/new" })]);
    expect(list.map((r) => r.config.id).sort()).toEqual(["a", "b", "dash"]); // b was edited in the dashboard
    expect(await store.providers.remove("dash")).toBe(true);
    expect(await store.providers.remove("dash")).toBe(false);
    expect(await store.providers.setEnabled("nope", true)).toBeNull();

    // The dashboard's order wins over the file's, across syncs, until reset.
    await store.providers.syncFromConfig([provider("a", { base_url: "http://127.0.0.1:9/new" }), provider("c")]);
    expect((await store.providers.reorder(["c", "a"])).map((r) => r.config.id)).toEqual(["c", "a", "b"]);
    list = await store.providers.syncFromConfig([provider("a", { base_url: "http://127.0.0.1:9/new" }), provider("c")]);
    expect(list.map((r) => r.config.id)).toEqual(["c", "a", "b"]);
    expect((await store.providers.reorder(null)).map((r) => r.config.id).slice(0, 2)).toEqual(["a", "c"]);
  });

  it("stores API keys hashed, verifies, scopes and revokes them", async () => {
    const auth = createAuthenticator(store.apiKeys);
    expect(await auth({})).toEqual({ keyId: null }); // no key yet: open
    const { record, secret } = await store.apiKeys.create({ name: "svc", allowedProviders: ["a"], rateLimitRpm: 10 });
    expect(secret).toMatch(/^ik_[A-Za-z0-9_-]{32}$/);
    expect(record.prefix.startsWith(secret.slice(0, 10))).toBe(true);
    const raw = JSON.stringify(await store.prisma.$queryRawUnsafe(`SELECT * FROM "ApiKey"`));
    expect(raw).not.toContain(secret);

    expect(await store.apiKeys.countAll()).toBe(1);
    const ctx = await auth({ authorization: `Bearer ${secret}` });
    expect(ctx).toEqual({
      keyId: record.id,
      allowedProviders: ["a"],
      allowedModels: null,
      limits: { rpm: 10, tpm: null },
      team: null,
      budgets: null,
      streamRecovery: null,
      cache: null,
    });
    await expect(auth({})).rejects.toMatchObject({ status: 401, code: "missing_api_key" });
    await expect(auth({ authorization: "Bearer ik_wrong" })).rejects.toBeInstanceOf(GatewayError);

    expect(await store.apiKeys.revoke(record.id)).toBe(true);
    expect(await store.apiKeys.verify(secret)).toBeNull();
    expect(await store.apiKeys.countAll()).toBe(1);
    // Revoking the last key must not open the gateway again.
    await expect(auth({ authorization: `Bearer ${secret}` })).rejects.toMatchObject({ status: 401, code: "invalid_api_key" });
    await expect(auth({})).rejects.toMatchObject({ status: 401 });
    expect((await store.apiKeys.list())[0]!.revokedAt).toBeInstanceOf(Date);
    expect(await createAuthenticator(store.apiKeys, { require: true })({}).catch((e) => e.status)).toBe(401);
  });

  it("expires keys, rotates them with a grace period, and edits their settings", async () => {
    const auth = createAuthenticator(store.apiKeys, { require: true });
    const soon = new Date(Date.now() + 60_000);
    const { record, secret } = await store.apiKeys.create({ name: "expiring", expiresAt: soon });
    expect(record.expiresAt).toEqual(soon);
    expect((await auth({ authorization: `Bearer ${secret}` })).keyId).toBe(record.id);
    // Past its expiry the key is refused, saying so (the cached lookup too: expiry is checked on every request).
    await store.apiKeys.update(record.id, { expiresAt: new Date(Date.now() - 1000) });
    await expect(auth({ authorization: `Bearer ${secret}` })).rejects.toMatchObject({ status: 401, code: "expired_api_key" });
    await store.apiKeys.update(record.id, { expiresAt: null });
    expect((await auth({ authorization: `Bearer ${secret}` })).keyId).toBe(record.id);

    // Rotated with a minute's grace: both secrets work, the new one for good.
    const rotated = (await store.apiKeys.rotate(record.id, 60))!;
    expect(rotated.secret).not.toBe(secret);
    expect(rotated.record.prefix.startsWith(rotated.secret.slice(0, 10))).toBe(true);
    expect(rotated.record.previousSecretValidUntil!.getTime()).toBeGreaterThan(Date.now() + 55_000);
    expect((await auth({ authorization: `Bearer ${secret}` })).keyId).toBe(record.id);
    expect((await auth({ authorization: `Bearer ${rotated.secret}` })).keyId).toBe(record.id);
    // The grace period over (moved into the past here), the old secret is refused, even from the cache.
    await store.prisma.apiKey.update({ where: { id: record.id }, data: { previousHashValidUntil: new Date(Date.now() - 1) } });
    store.apiKeys.invalidate();
    await expect(auth({ authorization: `Bearer ${secret}` })).rejects.toMatchObject({ status: 401, code: "invalid_api_key" });
    expect((await auth({ authorization: `Bearer ${rotated.secret}` })).keyId).toBe(record.id);
    expect((await store.apiKeys.list()).find((k) => k.id === record.id)!.previousSecretValidUntil).toBeNull();
    // Rotated with no grace: the old secret stops at once; and rotating again ends the older grace.
    const again = (await store.apiKeys.rotate(record.id, 0))!;
    await expect(auth({ authorization: `Bearer ${rotated.secret}` })).rejects.toMatchObject({ code: "invalid_api_key" });
    const third = (await store.apiKeys.rotate(record.id, 60))!;
    await expect(auth({ authorization: `Bearer ${rotated.secret}` })).rejects.toMatchObject({ code: "invalid_api_key" });
    expect((await auth({ authorization: `Bearer ${again.secret}` })).keyId).toBe(record.id);
    expect((await auth({ authorization: `Bearer ${third.secret}` })).keyId).toBe(record.id);
    // A revoked key cannot be rotated back to life.
    await store.apiKeys.revoke(record.id);
    expect(await store.apiKeys.rotate(record.id, 60)).toBeNull();
    await expect(auth({ authorization: `Bearer ${third.secret}` })).rejects.toMatchObject({ code: "invalid_api_key" });

    // Name, scopes and limits edited after creation; the next request sees them.
    const other = await store.apiKeys.create({ name: "editable", allowedModels: ["m"], rateLimitRpm: 5 });
    expect((await auth({ authorization: `Bearer ${other.secret}` })).streamRecovery).toBeNull();
    await store.apiKeys.update(other.record.id, {
      name: "renamed",
      allowedModels: null,
      allowedProviders: ["a", "b"],
      rateLimitRpm: null,
      rateLimitTpm: 1000,
      streamRecovery: "continue",
    });
    const ctx = await auth({ authorization: `Bearer ${other.secret}` });
    expect(ctx).toMatchObject({ allowedModels: null, allowedProviders: ["a", "b"], limits: { rpm: null, tpm: 1000 }, streamRecovery: "continue" });
    expect((await store.apiKeys.list()).find((k) => k.id === other.record.id)!.name).toBe("renamed");
  });

  it("writes every log row in batches and pages through them newest first", async () => {
    const n = 1234;
    for (let i = 0; i < n; i++) store.logs.sink.write(entry(i));
    await store.logs.sink.flush();
    expect(await store.logs.count()).toBe(n);

    const seen: string[] = [];
    let cursor: string | null = null;
    let last = Infinity;
    do {
      const page = await store.logs.query({}, cursor, 200);
      for (const r of page.rows) {
        expect(r.time.getTime()).toBeLessThanOrEqual(last);
        last = r.time.getTime();
        seen.push(r.id);
      }
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(n);

    expect(await store.logs.count({ status: ["5xx"] })).toBe(Math.ceil(n / 5));
    expect(await store.logs.count({ status: ["200"] })).toBe(n - Math.ceil(n / 5));
    expect(await store.logs.count({ apiKeyId: "key_a" })).toBe(n / 2);
    expect(await store.logs.count({ from: new Date(Date.UTC(2026, 10, 25, 10, 0, 0) + 1000 * 1000) })).toBe(n - 1000);
    // Provider "a" served nothing but failed in every chain: it matches them all, as "b" (which served) does.
    expect(await store.logs.count({ provider: "a" })).toBe(n);
    expect(await store.logs.count({ provider: "b" })).toBe(n);
    expect(await store.logs.count({ provider: "c" })).toBe(0);
    // Every chain failed on "a" first; those that "b" then served (status 200 or 502 alike) failed over.
    expect(await store.logs.count({ failedOver: true })).toBe(n);
    const first = (await store.logs.query({ provider: "b" }, null, 1)).rows[0]!;
    expect(await store.logs.get(first.id)).toEqual(first);
    expect(first.attempts.map((a) => a.outcome)).toEqual(["failed", "served"]);

    // A status list matches any of its codes and classes; free text searches ids, routes, models and errors.
    expect(await store.logs.count({ status: ["5xx", "200"] })).toBe(n);
    expect(await store.logs.count({ status: ["502", "404"] })).toBe(Math.ceil(n / 5));
    expect(await store.logs.count({ text: first.id.slice(4, 16).toUpperCase() })).toBe(1);
    expect(await store.logs.count({ text: "CHAT/COMPL" })).toBe(n);
    expect(await store.logs.count({ text: "no such thing" })).toBe(0);
    expect(await store.logs.count({ teamId: "nobody" })).toBe(0);

    // Other orders page by offset, each row once, missing values last.
    for (const [by, value] of [
      ["latency", (r: RequestLogEntry) => r.latencyMs],
      ["cost", (r: RequestLogEntry) => r.cost],
    ] as const) {
      for (const dir of ["asc", "desc"] as const) {
        const ids = new Set<string>();
        const values: Array<number | null> = [];
        let next: string | null = null;
        do {
          const page = await store.logs.query({ status: ["200"] }, next, 300, { by, dir });
          for (const r of page.rows) {
            ids.add(r.id);
            values.push(value(r));
          }
          next = page.nextCursor;
        } while (next);
        expect(ids.size).toBe(n - Math.ceil(n / 5));
        const known = values.filter((v): v is number => v !== null);
        expect(known).toEqual([...known].sort((x, y) => (dir === "asc" ? x - y : y - x)));
        expect(values.slice(known.length).every((v) => v === null)).toBe(true);
      }
    }
    const oldest = await store.logs.query({}, null, 2, { by: "time", dir: "asc" });
    const afterOldest = await store.logs.query({}, oldest.nextCursor, 2, { by: "time", dir: "asc" });
    expect([...oldest.rows, ...afterOldest.rows].map((r) => r.time.getTime())).toEqual([0, 1, 2, 3].map((i) => Date.UTC(2026, 10, 25, 10, 0, 0) + i * 1000));
  });

  it("stores any text a request can carry, and writes a row sent twice once", async () => {
    const odd = entry(0, {
      time: new Date(Date.UTC(2020, 0, 1)),
      model: "nul\u0000in the model",
      requestedProviders: "lone \ud800 surrogate",
      error: 'tab\there\nnew line\r\\N not null, \\ backslash, "quotes", é, 😀',
      attempts: [{ provider: "a", outcome: "failed", reason: "\\. \u0000 end" }],
    });
    const before = await store.logs.count();
    store.logs.sink.write(odd);
    await store.logs.sink.flush();
    store.logs.sink.write(odd); // e.g. a batch retried after its reply was lost
    await store.logs.sink.flush();
    expect(await store.logs.count()).toBe(before + 1);
    const back = (await store.logs.get(odd.id))!;
    expect(back.model).toBe("nul\uFFFDin the model");
    expect(back.requestedProviders).toBe("lone \uFFFD surrogate");
    expect(back.error).toBe(odd.error);
    expect(back.attempts[0]!.reason).toBe("\\. \uFFFD end");
    expect(store.logWriter.pendingCount).toBe(0);
  });

  it("sums stats per provider and usage per time bucket", async () => {
    const since = new Date(Date.UTC(2026, 10, 25));
    // The Overview's figures: totals over a range and per bucket, each checked against the rows themselves.
    const from = new Date(Date.UTC(2026, 10, 25, 10, 0, 0));
    const to = new Date(from.getTime() + 600_000); // rows 0..599, one a second
    const { total, series } = await store.logs.summary({ from, to, bucket: "minute" });
    const inRange = Array.from({ length: 600 }, (_, i) => entry(i));
    expect(total.requests).toBe(600);
    expect(total.errors).toBe(120);
    expect(total.p50Ms).toBeCloseTo(10 + 299.5, 5);
    expect(total.p95Ms).toBeCloseTo(10 + 599 * 0.95, 5);
    expect(total.ttftP50Ms).toBeNull();
    expect(total.cost).toBeCloseTo(
      inRange.reduce((sum, e) => sum + (e.cost ?? 0), 0),
      9,
    );
    expect(total.promptTokens).toBe(1800);
    expect(series.map((b) => b.requests)).toEqual(Array(10).fill(60));
    expect(series[0]!.t.toISOString()).toBe("2026-11-25T10:00:00.000Z");
    expect(series[1]!.p50Ms).toBeCloseTo(10 + 60 + 29.5, 5);
    // Per key: the odd rows carry key_a.
    const byKey = await store.logs.usageByOwner("apiKey", since);
    const odd = Array.from({ length: 1234 }, (_, i) => entry(i)).filter((e) => e.apiKeyId === "key_a");
    expect(byKey.get("key_a")).toEqual({
      requests: 617,
      errors: odd.filter((e) => e.status >= 400).length,
      tokens: 617 * 7,
      cost: expect.closeTo(
        odd.reduce((sum, e) => sum + (e.cost ?? 0), 0),
        9,
      ),
    });
    expect((await store.logs.usageByOwner("team", since)).size).toBe(0);
    const empty = await store.logs.summary({ from: new Date(Date.UTC(2019, 0, 1)), to: new Date(Date.UTC(2019, 0, 2)), bucket: "hour" });
    expect(empty).toEqual({ total: expect.objectContaining({ requests: 0, errors: 0, p50Ms: null, cost: 0 }), series: [] });

    const stats = await store.logs.providerStats(since);
    const b = stats.find((s) => s.provider === "b")!;
    const a = stats.find((s) => s.provider === "a")!;
    expect(b.requests).toBe(1234);
    expect(b.promptTokens).toBe(1234 * 3);
    expect(b.p50Ms).toBeGreaterThan(10);
    expect(a.errors).toBe(1234);
    expect(a.errorRate).toBe(1);
    const usage = await store.logs.usage({ since, bucket: "minute", groupBy: "apiKey" });
    expect(usage.reduce((s, u) => s + u.requests, 0)).toBe(1234);
    expect(usage.reduce((s, u) => s + u.tokens, 0)).toBe(1234 * 7);
    expect(new Set(usage.map((u) => u.group))).toEqual(new Set(["key_a", "(no key)"]));
    // Spend sums the rows with a known cost (entry(): every third row has none).
    const spend = Array.from({ length: 1234 }, (_, i) => entry(i).cost ?? 0).reduce((s, c) => s + c, 0);
    expect(usage.reduce((s, u) => s + u.cost, 0)).toBeCloseTo(spend, 9);
    // Per provider, as the Providers page counts: a failed in every request (1,234 errors), b served them all
    // (its errors are the requests that ended 502), and tokens and cost are b's.
    const byProvider = await store.logs.usage({ since, bucket: "day", groupBy: "provider" });
    const sumOf = (group: string, field: "requests" | "errors" | "tokens") => byProvider.filter((u) => u.group === group).reduce((n, u) => n + u[field], 0);
    expect([sumOf("a", "requests"), sumOf("a", "errors"), sumOf("a", "tokens")]).toEqual([1234, 1234, 0]);
    expect([sumOf("b", "requests"), sumOf("b", "errors"), sumOf("b", "tokens")]).toEqual([1234, Math.ceil(1234 / 5), 1234 * 7]);
    const byModel = await store.logs.usage({ since, bucket: "day", groupBy: "model" });
    expect(byModel.map((u) => u.group)).toEqual(["m"]);
    expect(byModel[0]!.detail).toBeUndefined(); // served as itself
    expect(byModel[0]!.cost).toBeCloseTo(spend, 9);
    // Latency percentiles per bucket and group: rows i = 0..1233 took 10 + i ms.
    expect(byModel[0]!.p50Ms).toBeCloseTo(10 + 616.5, 5);
    const firstMinuteKeyA = usage.find((u) => u.group === "key_a" && u.t.getTime() === Date.UTC(2026, 10, 25, 10, 0))!;
    expect(firstMinuteKeyA.p95Ms).toBeCloseTo(10 + 1 + 58 * 0.95, 5); // the odd rows 1..59 of the first minute
  });

  it("counts a provider once per request it took part in, retries and failover included", async () => {
    const at = (m: number) => new Date(Date.UTC(2026, 10, 26, 0, m));
    const rows = [
      entry(0, {
        time: at(1),
        provider: "y",
        status: 200,
        attempts: [
          { provider: "x", outcome: "failed", status: 500 },
          { provider: "x", outcome: "failed", status: 500 },
          { provider: "y", outcome: "served", status: 200 },
        ],
      }),
      entry(1, {
        time: at(2),
        provider: "y",
        status: 200,
        attempts: [
          { provider: "x", outcome: "failed", status: 500 },
          { provider: "y", outcome: "served", status: 200 },
        ],
      }),
      entry(2, {
        time: at(3),
        provider: "x",
        status: 200,
        attempts: [
          { provider: "x", outcome: "failed", status: 500 },
          { provider: "x", outcome: "served", status: 200 },
        ],
      }),
      entry(3, { time: at(4), provider: null, status: 403, attempts: [{ provider: "z", outcome: "skipped", reason: "not allowed" }] }),
    ];
    for (const r of rows) store.logs.sink.write(r);
    await store.logs.sink.flush();
    const stats = await store.logs.providerStats(at(0));
    const x = stats.find((s) => s.provider === "x")!;
    expect([x.requests, x.errors]).toEqual([3, 2]); // the bug counted 5 requests, 80% errors
    const y = stats.find((s) => s.provider === "y")!;
    expect([y.requests, y.errors]).toEqual([2, 0]);
    expect(stats.find((s) => s.provider === "z")).toBeUndefined(); // skipped is not taking part
  });

  it("keeps settings", async () => {
    expect(await store.settings.get("x")).toBeNull();
    await store.settings.set("x", "1");
    await store.settings.set("x", "2");
    expect(await store.settings.get("x")).toBe("2");
  });

  it("keeps the routing settings: the file seeds them, a dashboard edit stands until the file's section changes", async () => {
    const file = { strategy: "priority" as const };
    expect(await store.routing.syncFromConfig(file)).toEqual(file);
    const edited = { strategy: "latency" as const, models: { m: { strategy: "price" as const } }, fallback: "local" };
    await store.routing.save(edited);
    expect(await store.routing.syncFromConfig(file)).toEqual(edited); // a restart with the same file keeps the edit
    expect(await store.routing.syncFromConfig({ strategy: "weighted" })).toEqual({ strategy: "weighted" }); // the file changed
    await expect(store.routing.save({ strategy: "fastest" } as never)).rejects.toThrow();
  });

  it("keeps dashboard sessions server-side: stored hashed, each a user's, revocable one by one, per user or all", async () => {
    const a = await store.sessions.create(60_000, "g1", "usr_a");
    const b = await store.sessions.create(60_000, "g1", "usr_b");
    const b2 = await store.sessions.create(60_000, "sso", "usr_b");
    expect(await store.sessions.lookup(a)).toEqual({ userId: "usr_a", generation: "g1" });
    const rows = await store.prisma.adminSession.findMany();
    expect(rows.some((r) => r.id === a)).toBe(false); // only the token's hash is stored
    await store.sessions.revoke(a);
    expect(await store.sessions.lookup(a)).toBeNull();
    expect(await store.sessions.revokeUser("usr_b")).toBe(2);
    expect(await store.sessions.lookup(b)).toBeNull();
    expect(await store.sessions.lookup(b2)).toBeNull();
    const c = await store.sessions.create(60_000, "g1", "usr_c");
    expect(await store.sessions.revokeAll()).toBe(1);
    expect(await store.sessions.lookup(c)).toBeNull();
    const expired = await store.sessions.create(-1, "g1", "usr_c");
    expect(await store.sessions.lookup(expired)).toBeNull();
    expect(await store.sessions.lookup(undefined)).toBeNull();
    expect(await store.sessions.lookup("x".repeat(5000))).toBeNull();
  });

  it("keeps users with roles and teams, one per email, and one-use invitation links", async () => {
    const team = await store.teams.create({ name: "Search" });
    const ann = await store.users.create({ email: " Ann@Example.com ", role: "team", teams: [{ id: team.id, role: "lead" }], createdById: null });
    expect(ann).toMatchObject({ email: "ann@example.com", role: "team", roleSource: "manual", hasPassword: false, sso: false, disabledAt: null });
    expect(ann.teams).toEqual([{ id: team.id, name: "Search", role: "lead" }]);
    expect(JSON.stringify(ann)).not.toMatch(/passwordHash/);
    await expect(store.users.create({ email: "ANN@example.com", role: "viewer", createdById: null })).rejects.toMatchObject({ status: 409 });
    await expect(
      store.users.create({ email: "x@example.com", role: "team", teams: [{ id: "team_nope", role: "member" }], createdById: null }),
    ).rejects.toMatchObject({
      status: 400,
    });
    expect((await store.users.byEmail("ANN@EXAMPLE.COM"))?.id).toBe(ann.id);
    await store.users.setPassword(ann.id, "scrypt$salt$hash");
    expect(await store.users.credentials(ann.id)).toEqual({ passwordHash: "scrypt$salt$hash", disabled: false });
    const updated = await store.users.update(ann.id, { role: "admin", teams: [] });
    expect(updated).toMatchObject({ role: "admin", teams: [], hasPassword: true });
    expect(await store.users.update("usr_nope", { role: "admin" })).toBeNull();
    expect((await store.users.setDisabled(ann.id, true))?.disabledAt).toBeInstanceOf(Date);
    expect((await store.users.credentials(ann.id))?.disabled).toBe(true);
    // A removed team leaves its members' lists.
    await store.users.update(ann.id, { teams: [{ id: team.id, role: "member" }] });
    await store.teams.remove(team.id);
    expect((await store.users.get(ann.id))?.teams).toEqual([]);

    const { token } = await store.users.createInvite(ann.id, 60_000);
    expect((await store.prisma.invite.findMany()).some((r) => r.id === token)).toBe(false);
    expect((await store.users.invite(token))?.id).toBe(ann.id); // looking does not use it
    const raced = await Promise.all([store.users.invite(token, { consume: true }), store.users.invite(token, { consume: true })]);
    expect(raced.filter(Boolean)).toHaveLength(1);
    expect(await store.users.invite(token)).toBeNull();
    const expired = await store.users.createInvite(ann.id, -1);
    expect(await store.users.invite(expired.token)).toBeNull();
    await store.users.linkSso(ann.id, "https://idp|123");
    expect((await store.users.bySsoSubject("https://idp|123"))?.id).toBe(ann.id);
  });

  it("keeps each request's end user and tags, filters by them, and groups usage by them", async () => {
    const at = (i: number) => new Date(Date.UTC(2027, 0, 5, 12, 0, i));
    const rows = [
      entry(0, { id: "eu-0", time: at(0), endUser: "alice", tags: ["search", "feature:summaries"], cost: 0.5, status: 200 }),
      entry(1, { id: "eu-1", time: at(1), endUser: "alice", tags: ["search"], cost: 0.25, status: 502 }),
      entry(2, { id: "eu-2", time: at(2), endUser: "bob", tags: null, cost: 1 }),
      entry(3, { id: "eu-3", time: at(3), endUser: null, tags: ["batch"], cost: 2 }),
    ];
    for (const row of rows) store.logs.sink.write(row);
    await store.logs.sink.flush();
    expect(await store.logs.get("eu-0")).toMatchObject({ endUser: "alice", tags: ["search", "feature:summaries"] });
    expect(await store.logs.get("eu-2")).toMatchObject({ endUser: "bob", tags: null });
    const ids = async (filter: object) => (await store.logs.query({ from: at(0), ...filter }, null, 50)).rows.map((r) => r.id).sort();
    expect(await ids({ endUser: "alice" })).toEqual(["eu-0", "eu-1"]);
    expect(await ids({ tag: "search" })).toEqual(["eu-0", "eu-1"]);
    expect(await ids({ tag: "feature:summaries" })).toEqual(["eu-0"]);
    expect(await ids({ tag: "sear" })).toEqual([]); // a tag is matched whole
    const byUser = await store.logs.usage({ since: at(0), bucket: "day", groupBy: "endUser" });
    const user = (g: string) => byUser.find((b) => b.group === g)!;
    expect(user("alice")).toMatchObject({ requests: 2, errors: 1, cost: 0.75 });
    expect(user("bob")).toMatchObject({ requests: 1, cost: 1 });
    expect(user("(no end user)")).toMatchObject({ requests: 1, cost: 2 });
    // By tag a request counts under each of its tags.
    const byTag = await store.logs.usage({ since: at(0), bucket: "day", groupBy: "tag" });
    const tag = (g: string) => byTag.find((b) => b.group === g)!;
    expect(tag("search")).toMatchObject({ requests: 2, cost: 0.75 });
    expect(tag("feature:summaries")).toMatchObject({ requests: 1, cost: 0.5 });
    expect(tag("batch")).toMatchObject({ requests: 1, cost: 2 });
    expect(tag("(no tag)")).toMatchObject({ requests: 1, cost: 1 });
  });

  it("keeps alert rules, and lets one caller of many open a rule's alert, and one close it", async () => {
    const rule = await store.alerts.saveRule({
      name: "up errors",
      kind: "provider_error_rate",
      provider: "up",
      budgetOwner: null,
      threshold: 50,
      windowSeconds: 60,
      minRequests: 5,
      webhookUrl: "https://hooks.example.com/T000/B000/secret",
      format: "slack",
      enabled: true,
    });
    expect((await store.alerts.rules()).map((r) => r.id)).toContain(rule.id);
    const opened = await Promise.all(Array.from({ length: 5 }, () => store.alerts.open(rule.id, "error rate 80%", 80)));
    expect(opened.filter(Boolean)).toHaveLength(1);
    expect((await store.alerts.events({ open: true, limit: 10 })).map((e) => [e.ruleName, e.message])).toEqual([["up errors", "error rate 80%"]]);
    const closed = await Promise.all(Array.from({ length: 5 }, () => store.alerts.resolve(rule.id)));
    expect(closed.filter(Boolean)).toHaveLength(1);
    expect(closed.find(Boolean)!.resolvedAt).toBeInstanceOf(Date);
    expect(await store.alerts.events({ open: true, limit: 10 })).toEqual([]);
    expect(await store.alerts.open(rule.id, "again", 90)).not.toBeNull(); // a new alert once the last one closed
    expect((await store.alerts.events({ limit: 10 })).length).toBe(2);
    expect(await store.alerts.removeRule(rule.id)).toBe(true);
    expect(await store.alerts.events({ limit: 10 })).toEqual([]);
  });

  it("keeps an append-only audit log, newest first, filtered and paged, pruned by age only", async () => {
    const old = await store.audit.append({
      time: new Date(Date.now() - 40 * 86_400_000),
      actorId: "usr_a",
      actorEmail: "a@x",
      address: "127.0.0.1",
      action: "keys.create",
      target: "key:1",
      changes: null,
    });
    for (let i = 0; i < 5; i++) {
      await store.audit.append({
        actorId: i % 2 ? "usr_a" : "usr_b",
        actorEmail: i % 2 ? "a@x" : "b@x",
        address: null,
        action: i % 2 ? "keys.update" : "providers.save",
        target: `t:${i}`,
        changes: { name: { before: "x", after: `y${i}` } },
      });
    }
    const first = await store.audit.query({}, null, 4);
    expect(first.rows.map((r) => r.target)).toEqual(["t:4", "t:3", "t:2", "t:1"]);
    const rest = await store.audit.query({}, first.nextCursor, 4);
    expect(rest.rows.map((r) => r.target)).toEqual(["t:0", "key:1"]);
    expect(rest.nextCursor).toBeNull();
    expect((await store.audit.query({ action: "keys." }, null, 10)).rows).toHaveLength(3);
    expect((await store.audit.query({ actorId: "usr_b" }, null, 10)).rows.map((r) => r.changes)).toContainEqual({ name: { before: "x", after: "y0" } });
    expect((await store.audit.query({ text: "B@X" }, null, 10)).rows).toHaveLength(3);
    // No one rewrites history, not even with SQL.
    await expect(store.prisma.auditEvent.update({ where: { id: old.id }, data: { action: "nothing" } })).rejects.toThrow(/append-only/);
    expect(await store.audit.prune(new Date(Date.now() - 30 * 86_400_000))).toBe(1);
    expect((await store.audit.query({}, null, 10)).rows).toHaveLength(5);
  });

  it("keeps stored responses per API key until they expire", async () => {
    const now = Date.now();
    const stored = (id: string, keyId: string | null, ttl = 60_000) => ({
      id,
      keyId,
      createdAt: new Date(now),
      expiresAt: new Date(now + ttl),
      response: { id, object: "response", output: [] } as never,
      inputItems: [{ type: "message", id: "msg_1", role: "user", content: [{ type: "input_text", text: "hi" }] }],
      conversation: [{ role: "user" as const, content: [{ type: "text" as const, text: "hi" }] }],
    });
    await store.responses.save(stored("resp_a", "key1"));
    await store.responses.save(stored("resp_open", null));
    await store.responses.save(stored("resp_old", "key1", -1));
    const got = await store.responses.get("resp_a", "key1");
    expect(got).toMatchObject({ id: "resp_a", keyId: "key1", response: { id: "resp_a" }, conversation: [{ role: "user" }] });
    expect(got!.inputItems[0]).toMatchObject({ id: "msg_1" });
    expect(await store.responses.get("resp_a", "key2")).toBeNull(); // another key's: absent
    expect(await store.responses.get("resp_a", null)).toBeNull();
    expect(await store.responses.get("resp_open", null)).not.toBeNull();
    expect(await store.responses.get("resp_old", "key1")).toBeNull(); // expired
    expect(got!.createdAt).toEqual(new Date(now));
    expect(got!.expiresAt).toEqual(new Date(now + 60_000));
    // Stored as JSON values (what the rest of the schema reads), not as JSON text in a string.
    const row = await store.prisma.storedResponse.findUnique({ where: { id: "resp_a" } });
    expect(row!.response).toEqual({ id: "resp_a", object: "response", output: [] });
    // Saving an id again replaces it.
    await store.responses.save({ ...stored("resp_a", "key1"), response: { id: "resp_a", object: "response", output: [], note: 'it\'s "quoted"\n' } as never });
    expect((await store.responses.get("resp_a", "key1"))!.response).toMatchObject({ note: 'it\'s "quoted"\n' });
    expect(await store.responses.delete("resp_a", "key2")).toBe(false);
    expect(await store.responses.delete("resp_open", "key1")).toBe(false); // an open-mode response is no key's
    expect(await store.responses.delete("resp_a", "key1")).toBe(true);
    expect(await store.responses.get("resp_a", "key1")).toBeNull();
    expect(await store.responses.delete("resp_old", "key1")).toBe(false); // expired: as if gone
  });

  it("saves many stored responses at once as batches, each save resolved only once its row is in", async () => {
    const now = Date.now();
    const stored = (id: string, text: string) => ({
      id,
      keyId: "key_batch",
      createdAt: new Date(now),
      expiresAt: new Date(now + 60_000),
      response: { id, object: "response", output: [{ type: "message", content: [{ type: "output_text", text }] }] } as never,
      inputItems: [],
      conversation: [{ role: "user" as const, content: [{ type: "text" as const, text }] }],
    });
    // 150 saves in one turn: more than one statement's worth (64), and one id saved twice, the last save winning.
    const saves = Array.from({ length: 150 }, (_, i) => store.responses.save(stored(`resp_b${i}`, `answer ${i}`)));
    saves.push(store.responses.save(stored("resp_b7", "answer 7, again")));
    await Promise.all(saves);
    for (const i of [0, 63, 64, 127, 128, 149]) {
      expect((await store.responses.get(`resp_b${i}`, "key_batch"))!.conversation[0]).toMatchObject({ content: [{ text: `answer ${i}` }] });
    }
    expect((await store.responses.get("resp_b7", "key_batch"))!.response).toMatchObject({ output: [{ content: [{ text: "answer 7, again" }] }] });
    expect(await store.prisma.storedResponse.count({ where: { apiKeyId: "key_batch" } })).toBe(150);
    // A row the database refuses (jsonb takes no NUL) fails its own save only, not the others of its batch.
    const [before, refused, after] = await Promise.allSettled([
      store.responses.save(stored("resp_c1", "fine")),
      store.responses.save(stored("resp_c2", "bad \u0000 text")),
      store.responses.save(stored("resp_c3", "fine too")),
    ]);
    expect(before.status).toBe("fulfilled");
    expect(refused.status).toBe("rejected");
    expect(after.status).toBe("fulfilled");
    expect(await store.responses.get("resp_c1", "key_batch")).not.toBeNull();
    expect(await store.responses.get("resp_c2", "key_batch")).toBeNull();
    expect(await store.responses.get("resp_c3", "key_batch")).not.toBeNull();
  });

  it("carries a key's budgets to the gateway, and sums what it spent, as logged, since a period began", async () => {
    const auth = createAuthenticator(store.apiKeys);
    const budgeted = await store.apiKeys.create({
      name: "batch",
      budgets: [
        { period: "month", limit_usd: 20 },
        { period: "total", limit_usd: 100 },
      ],
    });
    const id = budgeted.record.id;
    expect(await auth({ authorization: `Bearer ${budgeted.secret}` })).toMatchObject({
      team: null,
      budgets: [
        { owner: "key", ownerId: id, period: "month", limit: 20, model: null },
        { owner: "key", ownerId: id, period: "total", limit: 100, model: null },
      ],
    });
    const at = (iso: string, cost: number | null, model = "m") => ({ ...entry(0), apiKeyId: id, model, time: new Date(iso), cost });
    store.logs.sink.write(at("2026-11-30T23:00:00Z", 1.25));
    store.logs.sink.write(at("2026-12-01T00:00:00Z", 0.5));
    store.logs.sink.write(at("2026-12-02T10:00:00Z", null));
    store.logs.sink.write(at("2026-12-03T10:00:00Z", 0.000001));
    store.logs.sink.write(at("2026-12-03T11:00:00Z", 2, "opus"));
    const key = { owner: "key", ownerId: id } as const;
    expect(await store.logs.spend(key, new Date("2026-12-01T00:00:00Z"))).toBeCloseTo(2.500001, 9);
    expect(await store.logs.spend(key, null)).toBeCloseTo(3.750001, 9);
    expect(await store.logs.spend({ ...key, model: "opus" }, null)).toBeCloseTo(2, 9);
    expect(await store.logs.spend({ owner: "key", ownerId: "key_nobody" }, null)).toBe(0);
    // Changed from the dashboard: the next request carries the new budgets.
    expect(await store.apiKeys.update(id, { budgets: [{ period: "day", limit_usd: 1, model: "opus" }] })).toBe(true);
    expect(await auth({ authorization: `Bearer ${budgeted.secret}` })).toMatchObject({
      budgets: [{ owner: "key", ownerId: id, period: "day", limit: 1, model: "opus" }],
    });
    expect(await store.apiKeys.update("key_nobody", { budgets: [] })).toBe(false);
  });

  it("groups keys in teams: the team's budgets reach its keys' requests, its spend is its rows'", async () => {
    const auth = createAuthenticator(store.apiKeys);
    const team = await store.teams.create({ name: "Research", budgets: [{ period: "month", limit_usd: 50 }] });
    expect(team).toMatchObject({ id: expect.stringMatching(/^team_/), name: "Research", keyCount: 0 });
    await expect(store.teams.create({ name: "Research" })).rejects.toMatchObject({ status: 409, code: "team_exists" });
    const member = await store.apiKeys.create({ name: "notebooks", teamId: team.id });
    await expect(store.apiKeys.create({ name: "stray", teamId: "team_none" })).rejects.toMatchObject({ status: 400, code: "unknown_team" });
    const expected = { owner: "team", ownerId: team.id, ownerName: "Research", period: "month", limit: 50, model: null };
    expect(await auth({ authorization: `Bearer ${member.secret}` })).toMatchObject({ team: { id: team.id, name: "Research" }, budgets: [expected] });
    // A team's change reaches its keys' next request (the key cache is cleared).
    await store.teams.update(team.id, { name: "Research & Dev", budgets: [{ period: "day", limit_usd: 5, model: "opus" }] });
    expect(await auth({ authorization: `Bearer ${member.secret}` })).toMatchObject({
      team: { name: "Research & Dev" },
      budgets: [{ ...expected, ownerName: "Research & Dev", period: "day", limit: 5, model: "opus" }],
    });
    const other = await store.teams.create({ name: "Ops" });
    await expect(store.teams.update(other.id, { name: "Research & Dev" })).rejects.toMatchObject({ status: 409 });
    expect((await store.teams.list()).map((t) => [t.name, t.keyCount])).toEqual([
      ["Ops", 0],
      ["Research & Dev", 1],
    ]);
    // Spend by team counts the rows made while a key was in it.
    store.logs.sink.write({ ...entry(0), apiKeyId: member.record.id, teamId: team.id, time: new Date(), cost: 0.25 });
    store.logs.sink.write({ ...entry(0), apiKeyId: member.record.id, teamId: null, time: new Date(), cost: 1 });
    expect(await store.logs.spend({ owner: "team", ownerId: team.id }, null)).toBeCloseTo(0.25, 9);
    const usage = await store.logs.usage({ since: new Date(Date.now() - 60_000), bucket: "hour", groupBy: "team" });
    expect(usage.find((u) => u.group === team.id)?.cost).toBeCloseTo(0.25, 9);
    // Deleted: the key stays, in no team; the log rows keep their team.
    expect(await store.teams.remove(team.id)).toBe(true);
    expect(await auth({ authorization: `Bearer ${member.secret}` })).toMatchObject({ team: null, budgets: null });
    expect(await store.logs.spend({ owner: "team", ownerId: team.id }, null)).toBeCloseTo(0.25, 9);
    expect(await store.teams.remove(team.id)).toBe(false);
  });

  it("keeps request bodies apart from the rows, odd text included, and purges them after their retention", async () => {
    const old = { id: randomUUID(), time: new Date(Date.now() - 8 * 86_400_000), request: '{"a":1}', response: "nul \u0000 here", truncated: false };
    const recent = { id: randomUUID(), time: new Date(), request: null, response: "data: x\n\n", truncated: true };
    store.logs.bodies.sink.write(old);
    store.logs.bodies.sink.write(recent);
    await store.logs.bodies.sink.flush();
    expect(await store.logs.bodies.get(old.id)).toEqual({ ...old, response: "nul \uFFFD here" });
    expect(await store.logs.bodies.get(recent.id)).toEqual(recent);
    expect(await store.logs.bodies.purge(new Date(Date.now() - 7 * 86_400_000))).toBe(1);
    expect(await store.logs.bodies.get(old.id)).toBeNull();
    expect(await store.logs.bodies.get(recent.id)).not.toBeNull();
  });

  it("loses no pending log row on close", async () => {
    const before = await store.logs.count();
    await store.close(); // PGlite is single-process: one open store per data folder
    const slow = await openStore({ url, logs: { flushIntervalMs: 60_000 } });
    for (let i = 0; i < 50; i++) slow.logs.sink.write(entry(i, { time: new Date() }));
    expect(slow.logWriter.pendingCount).toBe(50);
    await slow.close();
    store = await openStore({ url });
    expect(await store.logs.count()).toBe(before + 50);
  });
});
