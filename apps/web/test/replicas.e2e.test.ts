/**
 * Two gateway processes sharing the local PostgreSQL and Redis, as behind a load balancer: a provider toggled on
 * one is off on the other within 1 s, a key's rate limit counts requests on both, a breaker opened by one is open
 * on both, and a load run across both loses no log row. Required when CI=true; skipped where PostgreSQL or Redis
 * is missing.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeServer, sendJson, sendSse, openaiCompletion, openaiChunkEvents, type FakeServer } from "@interference/core/test-support";
import { WINDOW_MS } from "@interference/core";
import { openStore } from "@interference/db";
import { freshPostgresDatabase, postgresReachable } from "../../../packages/db/src/test-databases.js";
import { startServer, writeConfig, type RunningServer } from "./support/server";
import { redisReachable } from "./support/redis";
import { newUser, signIn, trpc } from "./support/admin";

const available = (await postgresReachable()) && (await redisReachable());
if (!available && process.env.CI === "true") throw new Error("CI=true needs PostgreSQL (5432) and Redis (6379) on 127.0.0.1");

const PASSWORD = "replica test password";
const redisPrefix = `ifr-test-${randomBytes(4).toString("hex")}:`;
let up: FakeServer, flaky: FakeServer, a: RunningServer, b: RunningServer, cookieA: string, databaseUrl: string, dropDb: () => Promise<void>;

const chat = (server: RunningServer, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], ...body }),
  });

async function until(check: () => Promise<boolean>, timeoutMs = 3000): Promise<number> {
  const t0 = performance.now();
  while (!(await check())) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return performance.now() - t0;
}

describe.skipIf(!available)("two replicas on PostgreSQL and Redis", () => {
  beforeAll(async () => {
    ({ url: databaseUrl, drop: dropDb } = await freshPostgresDatabase());
    up = await startFakeServer((_q, res, body) => (body?.stream ? sendSse(res, openaiChunkEvents(["o", "k"])) : sendJson(res, 200, openaiCompletion("ok"))));
    flaky = await startFakeServer((_q, res) => sendJson(res, 500, { error: { message: "boom" } }));
    const config = writeConfig(`retries: { max: 0 }
providers:
  - { id: up, type: openai, base_url: "${up.url}/v1", models: [m, load] }
  - { id: spare, type: openai, base_url: "${up.url}/v1", models: [m] }
  - { id: flaky, type: openai, base_url: "${flaky.url}/v1", models: [f], circuit_breaker: { failure_threshold: 2, cooldown_ms: 60000 } }
  - { id: priced, type: openai, base_url: "${up.url}/v1", models: [budgeted], prices: { budgeted: { input: 1000, output: 1000 } } }
`);
    const env = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: "redis://127.0.0.1:6379",
      REDIS_PREFIX: redisPrefix,
      ADMIN_PASSWORD: PASSWORD,
    };
    a = await startServer({ config, env });
    b = await startServer({ config, env });
    cookieA = await signIn(a.url, PASSWORD);
  }, 180_000);

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await up?.close();
    await flaky?.close();
    await dropDb?.();
  });

  it("a provider toggled off on one replica is off on the other within 1 s", async () => {
    expect(((await (await chat(b, { model: "m" })).json()) as any).provider).toBe("up");
    const t0 = performance.now();
    expect((await trpc(a.url, cookieA, "providers.setEnabled", { id: "up", enabled: false })).status).toBe(200);
    const ms = await until(async () => ((await (await fetch(`${b.url}/v1/providers/up`)).json()) as any).enabled === false);
    console.log(`[replicas] toggle on A visible on B after ${Math.round(performance.now() - t0)} ms (polled ${Math.round(ms)} ms)`);
    expect(performance.now() - t0).toBeLessThan(1000);
    const res = (await (await chat(b, { model: "m" })).json()) as any;
    expect(res.provider).toBe("spare");
    await trpc(a.url, cookieA, "providers.setEnabled", { id: "up", enabled: true });
    await until(async () => ((await (await fetch(`${b.url}/v1/providers/up`)).json()) as any).enabled === true);
  });

  it("a circuit breaker opened on one replica is open on the other", async () => {
    for (let i = 0; i < 2; i++) expect((await chat(a, { model: "f", provider: "flaky" })).status).toBe(502);
    expect(((await (await fetch(`${a.url}/v1/providers/flaky`)).json()) as any).health.circuit).toBe("open");
    await until(async () => ((await (await fetch(`${b.url}/v1/providers/flaky`)).json()) as any).health.circuit === "open", 1000);
    const hits = flaky.requests.length;
    const res = await chat(b, { model: "f", provider: "flaky" });
    expect(res.status).toBe(503);
    expect(((await res.json()) as any).error.code).toBe("circuit_open");
    expect(flaky.requests.length).toBe(hits); // B did not call the broken upstream
  });

  it("a key created on one replica is required and rate-limited across both", async () => {
    const created = await trpc(a.url, cookieA, "keys.create", { name: "limited", rateLimitRpm: 4 });
    const secret = created.data.secret as string;
    // B learns at once that keys exist (its cached "no keys" answer is dropped): anonymous calls now fail.
    await until(async () => (await chat(b, { model: "m" })).status === 401, 1000);
    const auth = { authorization: `Bearer ${secret}` };
    // Limits count in fixed one-minute windows: start the burst well inside one, or a window that turns over
    // mid-burst resets the count and the fifth call passes.
    const leftInWindow = WINDOW_MS - (Date.now() % WINDOW_MS);
    if (leftInWindow < 10_000) await new Promise((r) => setTimeout(r, leftInWindow + 50));
    const statuses: number[] = [];
    for (const server of [a, b, a, b, a]) statuses.push((await chat(server, { model: "m" }, auth)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    const limited = await chat(b, { model: "m" }, auth);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await limited.json()) as any).error.type).toBe("rate_limit_error");
    // Revoked on A: refused on B at once.
    expect((await trpc(a.url, cookieA, "keys.revoke", { id: created.data.record.id })).data).toEqual({ revoked: true });
    await until(async () => (await chat(b, { model: "m" }, auth)).status === 401, 1000);
  });

  it("a key's budget holds across both under concurrency, and survives a Redis flush", async () => {
    const created = await trpc(a.url, cookieA, "keys.create", { name: "budgeted", budgets: [{ period: "total", limit_usd: 0.05 }] });
    const keyId = created.data.record.id as string;
    const auth = { authorization: `Bearer ${created.data.secret as string}` };
    await until(async () => (await chat(b, { model: "budgeted", max_tokens: 10 }, auth)).status === 200, 1000);
    // Each answer ("ok"): 5 in + 1 out at $1,000 per million = $0.006. Each reservation: the prompt (31 characters, 8
    // tokens) and max_tokens 10 = $0.018. 30 requests at once, half on each replica.
    const sent = 30;
    const statuses = await Promise.all(
      Array.from({ length: sent }, (_, i) => chat(i % 2 ? a : b, { model: "budgeted", max_tokens: 10 }, auth).then((r) => r.status)),
    );
    let more = 0;
    while ((await chat(more % 2 ? a : b, { model: "budgeted", max_tokens: 10 }, auth)).status === 200) more++;
    const allowed = 1 + statuses.filter((s) => s === 200).length + more;
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    const refusal = await chat(a, { model: "budgeted", max_tokens: 10 }, auth);
    expect(refusal.status).toBe(429);
    expect(((await refusal.json()) as any).error).toMatchObject({ code: "budget_exceeded", type: "rate_limit_error" });
    // The durable record: the log's costs, once both replicas wrote their rows.
    const store = await openStore({ url: databaseUrl });
    let logged = 0;
    try {
      await until(async () => (logged = await store.logs.spend({ owner: "key", ownerId: keyId }, null)) >= allowed * 0.006 - 1e-9, 5000).catch((err: Error) => {
        throw new Error(`${err.message}: logged $${logged} for ${allowed} requests allowed`);
      });
    } finally {
      await store.close();
    }
    const usage = (await (await fetch(`${b.url}/v1/usage`, { headers: auth })).json()) as any;
    console.log(
      `[replicas] budget $0.05 across two replicas: sent ${sent + more + 3}, allowed ${allowed}, refused ${sent + more + 3 - allowed}; ` +
        `logged $${logged.toFixed(6)} (${allowed} × $0.006), ledger $${usage.spend.total.toFixed(6)}, overshoot $${Math.max(0, logged - 0.05).toFixed(6)} (one reservation: $0.018)`,
    );
    expect(logged).toBeCloseTo(allowed * 0.006, 9);
    expect(logged).toBeLessThanOrEqual(0.05 + 0.018);
    expect(logged).toBeGreaterThanOrEqual(0.05 - 0.006);
    expect(usage.spend.total).toBeCloseTo(logged, 9);
    // Redis loses its counters: the next request counts from the log again, and is still refused.
    execFileSync("sh", ["-c", `redis-cli -h 127.0.0.1 --scan --pattern '${redisPrefix}budget:*' | xargs -r redis-cli -h 127.0.0.1 del`]);
    expect((await chat(b, { model: "budgeted", max_tokens: 10 }, auth)).status).toBe(429);
  });

  it("a team's budget holds over its keys, each on its own replica, under concurrency", async () => {
    const team = (await trpc(a.url, cookieA, "teams.create", { name: "batch jobs", budgets: [{ period: "month", limit_usd: 0.05 }] })).data.id as string;
    const keys = await Promise.all(
      ["nightly", "hourly"].map(async (name) => {
        const created = await trpc(a.url, cookieA, "keys.create", { name, teamId: team });
        return { authorization: `Bearer ${created.data.secret as string}` };
      }),
    );
    // Key 0 only ever on A, key 1 only on B: the team's one counter is what holds them together.
    const ask = (i: number) => chat(i % 2 ? b : a, { model: "budgeted", max_tokens: 10 }, keys[i % 2]!).then((r) => r.status);
    await until(async () => (await ask(1)) === 200, 1000);
    const sent = 30;
    const statuses = await Promise.all(Array.from({ length: sent }, (_, i) => ask(i)));
    let more = 0;
    while ((await ask(more)) === 200) more++;
    const allowed = 1 + statuses.filter((s) => s === 200).length + more;
    const refusal = await chat(a, { model: "budgeted", max_tokens: 10 }, keys[0]!);
    expect(refusal.status).toBe(429);
    expect(((await refusal.json()) as any).error.message).toMatch(/^Team batch jobs's monthly budget of \$0.05 is spent/);
    const store = await openStore({ url: databaseUrl });
    let logged = 0;
    try {
      await until(async () => (logged = await store.logs.spend({ owner: "team", ownerId: team }, null)) >= allowed * 0.006 - 1e-9, 5000);
    } finally {
      await store.close();
    }
    console.log(
      `[replicas] team budget $0.05 over two keys on two replicas: sent ${sent + more + 3}, allowed ${allowed}, refused ${sent + more + 3 - allowed}; ` +
        `logged $${logged.toFixed(6)}, overshoot $${Math.max(0, logged - 0.05).toFixed(6)} (one reservation: $0.018)`,
    );
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    expect(logged).toBeCloseTo(allowed * 0.006, 9);
    expect(logged).toBeLessThanOrEqual(0.05 + 0.018);
    expect(logged).toBeGreaterThanOrEqual(0.05 - 0.006);
    const usage = (await (await fetch(`${b.url}/v1/usage`, { headers: keys[1]! })).json()) as any;
    expect(usage).toMatchObject({ team: { id: team, name: "batch jobs" }, budgets: [{ scope: "team", model: null, period: "month", limit_usd: 0.05 }] });
  });

  it("a response stored on one replica is continued and read on the other, by its own key only", async () => {
    const owner = { authorization: `Bearer ${(await trpc(a.url, cookieA, "keys.create", { name: "responses" })).data.secret}` };
    const other = { authorization: `Bearer ${(await trpc(a.url, cookieA, "keys.create", { name: "other" })).data.secret}` };
    const post = (server: RunningServer, body: unknown, headers: Record<string, string>) =>
      fetch(`${server.url}/v1/responses`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
    const first = (await (await post(a, { model: "m", input: "remember 42" }, owner)).json()) as any;
    expect(first.status).toBe("completed");
    const second = await post(b, { model: "m", input: "what number?", previous_response_id: first.id }, owner);
    expect(second.status).toBe(200);
    expect(up.requests.at(-1)!.body.messages.map((m: any) => [m.role, m.content])).toEqual([
      ["user", "remember 42"],
      ["assistant", "ok"],
      ["user", "what number?"],
    ]);
    expect((await fetch(`${b.url}/v1/responses/${first.id}`, { headers: owner })).status).toBe(200);
    expect((await fetch(`${b.url}/v1/responses/${first.id}`, { headers: other })).status).toBe(404);
    expect((await post(b, { model: "m", input: "x", previous_response_id: first.id }, other)).status).toBe(404);
  });

  it("a dashboard session signed out on one replica is ended on the other", async () => {
    const cookie = await signIn(a.url, PASSWORD);
    expect((await trpc(b.url, cookie, "keys.list", {}, "query")).status).toBe(200); // sessions live in the database
    const out = await fetch(`${a.url}/api/admin/logout`, { method: "POST", redirect: "manual", headers: { cookie, origin: a.url } });
    expect(out.status).toBe(303);
    expect((await trpc(b.url, cookie, "keys.list", {}, "query")).status).toBe(401);
    expect((await trpc(a.url, cookieA, "keys.list", {}, "query")).status).toBe(200); // only that session ended
  });

  it("a user disabled on one replica is signed out on the other at once, and cannot sign in on either", async () => {
    const { id } = await newUser(a.url, cookieA, { email: "replica-user@example.com", role: "viewer" }, "replica user password");
    const onB = await signIn(b.url, "replica user password", "replica-user@example.com");
    expect((await trpc(b.url, onB, "me", {}, "query")).status).toBe(200);
    expect((await trpc(a.url, cookieA, "users.disable", { id, disabled: true })).status).toBe(200);
    expect((await trpc(b.url, onB, "me", {}, "query")).status).toBe(401);
    await expect(signIn(b.url, "replica user password", "replica-user@example.com")).rejects.toThrow(/sign-in failed/);
    await expect(signIn(a.url, "replica user password", "replica-user@example.com")).rejects.toThrow(/sign-in failed/);
  });

  it("a load run across both replicas loses no log row", async () => {
    const { secret } = (await trpc(a.url, cookieA, "keys.create", { name: "load" })).data;
    const n = 400;
    let next = 0;
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < n) {
          const i = next++;
          const res = await chat(i % 2 ? a : b, { model: "load", stream: i % 3 === 0 }, { authorization: `Bearer ${secret}` });
          await res.arrayBuffer();
          statuses.push(res.status);
        }
      }),
    );
    expect(statuses.filter((s) => s === 200).length).toBe(n);
    const codes = await Promise.all([a.stop(), b.stop()]); // graceful: both flush their pending rows
    expect(codes, `${a.output().slice(-800)}\n${b.output().slice(-800)}`).toEqual([0, 0]);
    const store = await openStore({ url: databaseUrl });
    try {
      expect(await store.logs.count({ model: "load" })).toBe(n);
    } finally {
      await store.close();
    }
  });
});
