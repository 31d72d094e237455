/**
 * Outages against the real server. Its PostgreSQL database (one this test creates) dropping off the network
 * behind a TCP proxy: keyed requests keep being served from the keys' last known state (a revocation already seen
 * still applies), /readyz says so, and no log row is lost or written twice. Its Redis (a redis-server this test
 * starts on its own port and kills by PID): rate limits count per replica instead of failing, and the replicas
 * agree again within seconds of Redis coming back. Required when CI=true.
 */
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeServer, sendJson, openaiCompletion, type FakeServer } from "@interference/core/test-support";
import { openStore } from "@interference/db";
import { freshPostgresDatabase, postgresReachable } from "../../../packages/db/src/test-databases.js";
import { freePort, startServer, writeConfig, type RunningServer } from "./support/server";
import { signIn, trpc } from "./support/admin";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy";
import { redisServerBinary, startRedis, stopRedis } from "./support/redis";

const pgUp = await postgresReachable();
if (!pgUp && process.env.CI === "true") throw new Error("CI=true needs PostgreSQL at 127.0.0.1:5432");

const PASSWORD = "outage test password";
let up: FakeServer, server: RunningServer, proxy: TcpProxy, directUrl: string, drop: () => Promise<void>;

const chat = (key: string) =>
  fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
  });

afterAll(async () => {
  await up?.close();
});

describe.skipIf(!pgUp)("a database outage", () => {
  beforeAll(async () => {
    ({ url: directUrl, drop } = await freshPostgresDatabase());
    proxy = await startTcpProxy(5432);
    const viaProxy = new URL(directUrl);
    viaProxy.port = String(proxy.port);
    up = await startFakeServer((_q, res) => sendJson(res, 200, openaiCompletion("ok")));
    server = await startServer({
      config: writeConfig(`providers:\n  - { id: up, type: openai, base_url: "${up.url}/v1", models: [m] }\n`),
      env: { DATABASE_URL: viaProxy.toString(), ADMIN_PASSWORD: PASSWORD },
    });
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await proxy?.close();
    await drop?.();
  });

  it("serves known keys from their last known state, refuses the revoked one, and loses no log row", async () => {
    const cookie = await signIn(server.url, PASSWORD);
    const active = (await trpc(server.url, cookie, "keys.create", { name: "active" })).data.secret as string;
    const revoked = await trpc(server.url, cookie, "keys.create", { name: "revoked" });
    let sent = 0;
    for (const key of [active, revoked.data.secret]) {
      expect((await chat(key)).status).toBe(200);
      sent++;
    }
    const revoke = await trpc(server.url, cookie, "keys.revoke", { id: revoked.data.record.id });
    expect(revoke.data).toEqual({ revoked: true });

    proxy.cut();
    const t0 = Date.now();
    const statuses: number[] = [];
    // Past the 5 s key cache, so lookups really go to the (unreachable) database.
    while (Date.now() - t0 < 7000) {
      statuses.push((await chat(active)).status);
      sent++;
      await new Promise((r) => setTimeout(r, 100));
    }
    const refused = await chat(revoked.data.secret);
    const unknown = await chat("ik_never_seen_by_this_gateway_0000000000");
    sent += 2;
    const ready = await fetch(`${server.url}/readyz`);
    const readiness = (await ready.json()) as any;
    proxy.restore();

    console.log(`[outage] ${statuses.length} keyed requests during a 7 s database outage: ${statuses.filter((s) => s === 200).length} served`);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(refused.status).toBe(401);
    expect(unknown.status).toBe(503);
    expect(((await unknown.json()) as any).error.code).toBe("database_unavailable");
    expect(ready.status).toBe(200);
    expect(readiness.status).toBe("degraded");
    expect(readiness.checks.database).toMatch(/last known state/);

    // Back: everything the outage held is written, once.
    expect(await server.stop()).toBe(0);
    const store = await openStore({ url: directUrl });
    try {
      expect(await store.logs.count()).toBe(sent);
      const rows = await store.prisma.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(DISTINCT id) AS n FROM "RequestLog"`);
      expect(Number(rows[0]!.n)).toBe(sent);
    } finally {
      await store.close();
    }
  }, 120_000);
});

if (!redisServerBinary && process.env.CI === "true") throw new Error("CI=true needs redis-server on the PATH (apt-get install redis-server)");

describe.skipIf(!pgUp || !redisServerBinary)("a Redis outage", () => {
  let redis: ChildProcess,
    redisPort: number,
    a: RunningServer,
    b: RunningServer,
    late: RunningServer | undefined,
    cookieA: string,
    dbUrl: string,
    dropDb: () => Promise<void>;
  const chatOn = (s: RunningServer, body: Record<string, unknown>, key?: string) =>
    fetch(`${s.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], ...body }),
    });

  beforeAll(async () => {
    ({ url: dbUrl, drop: dropDb } = await freshPostgresDatabase());
    redisPort = await freePort();
    redis = await startRedis(redisPort);
    up ??= await startFakeServer((_q, res) => sendJson(res, 200, openaiCompletion("ok")));
    const config = writeConfig(`providers:
  - { id: up, type: openai, base_url: "${up.url}/v1", models: [m] }
  - { id: spare, type: openai, base_url: "${up.url}/v1", models: [m] }
`);
    const env = { DATABASE_URL: dbUrl, REDIS_URL: `redis://127.0.0.1:${redisPort}`, ADMIN_PASSWORD: PASSWORD };
    [a, b] = [await startServer({ config, env }), await startServer({ config, env })];
    cookieA = await signIn(a.url, PASSWORD);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), late?.stop()]);
    if (redis) await stopRedis(redis);
    await dropDb?.();
  });

  it("rate-limited keys are counted per replica instead of failing, and replicas agree again once Redis is back", async () => {
    const { secret } = (await trpc(a.url, cookieA, "keys.create", { name: "limited", rateLimitRpm: 3 })).data;
    const open = (await trpc(a.url, cookieA, "keys.create", { name: "unlimited" })).data.secret as string;
    expect((await chatOn(a, { model: "m" }, secret)).status).toBe(200);
    await stopRedis(redis);

    // Per replica: three a minute on each, then 429 with Retry-After; never a 500, and no wait for Redis.
    const t0 = performance.now();
    const statuses = [];
    for (const s of [a, a, a, a, b, b, b, b]) statuses.push((await chatOn(s, { model: "m" }, secret)).status);
    const ms = performance.now() - t0;
    console.log(`[redis outage] 8 keyed requests with Redis down: ${statuses.join(" ")} in ${Math.round(ms)} ms`);
    expect(statuses.filter((s) => s === 500)).toEqual([]);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2);
    expect(statuses.slice(4, 7)).toEqual([200, 200, 200]);
    expect(ms).toBeLessThan(4000);
    const ready = (await (await fetch(`${a.url}/readyz`)).json()) as any;
    expect(ready.checks.redis).toMatch(/each replica alone/);

    // A provider switched off on A while Redis is down: B cannot hear of it yet.
    expect((await trpc(a.url, cookieA, "providers.setEnabled", { id: "up", enabled: false })).status).toBe(200);
    expect(((await (await chatOn(b, { model: "m", provider: "up" }, open)).json()) as any).provider).toBe("up");

    // A gateway started while Redis is down starts, and serves.
    // (on an embedded database of its own: the shared one has keys, and the start-up probe sends none)
    late = await startServer({ config: writeConfig(`providers: []\n`), env: { REDIS_URL: `redis://127.0.0.1:${redisPort}` } });
    expect((await fetch(`${late.url}/healthz`)).status).toBe(200);

    redis = await startRedis(redisPort);
    const back = performance.now();
    let agreed = false;
    while (performance.now() - back < 10_000) {
      const res = await chatOn(b, { model: "m", provider: "up" }, open);
      if (res.status === 503) {
        agreed = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    console.log(`[redis outage] Redis back: replica B turned 'up' off after ${Math.round(performance.now() - back)} ms`);
    expect(agreed).toBe(true);
    expect(b.output()).toContain("bus reconnected");
    // The late starter missed everything before Redis came up: it reloads too (its reconnect waits up to 2 s).
    for (let i = 0; i < 50 && !late.output().includes("bus reconnected"); i++) await new Promise((r) => setTimeout(r, 100));
    expect(late.output()).toContain("bus reconnected");
  }, 90_000);
});
