/**
 * Outages against the real server: its PostgreSQL database (one this test creates) dropping off the network
 * behind a TCP proxy. Keyed requests keep being served from the keys' last known state (a revocation already seen
 * still applies), /readyz says so, and no log row is lost or written twice. Required when CI=true.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeServer, sendJson, openaiCompletion, type FakeServer } from "@interference/core/test-support";
import { openStore } from "@interference/db";
import { freshPostgresDatabase, postgresReachable } from "../../../packages/db/src/test-databases.js";
import { startServer, writeConfig, type RunningServer } from "./support/server";
import { signIn, trpc } from "./support/admin";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy";

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
    await up?.close();
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
