/**
 * The response cache in the real server (apps/web/dist/server.js), configured in interference.yaml: on the embedded
 * database (exact rows, semantic by pgvector in PGlite, the embedded MiniLM), what the log rows and the
 * dashboard's log detail say of a hit, and DELETE /v1/cache; then two replicas on PostgreSQL and Redis, where one
 * replica's answer is the other's exact hit (Redis) and semantic hit (usearch over the shared table, PostgreSQL
 * here having no pgvector). The second part is required when CI=true and skipped where PostgreSQL or Redis is missing.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeServer, sendJson, openaiCompletion, type FakeServer } from "@interference/core/test-support";
import { freshPostgresDatabase, postgresReachable } from "../../../packages/db/src/test-databases.js";
import { startServer, writeConfig, WEB_DIR, type RunningServer } from "./support/server";
import { redisReachable } from "./support/redis";
import { signIn, trpc } from "./support/admin";

const MODEL = join(WEB_DIR, "../../models/all-MiniLM-L6-v2.F16.gguf");
if (!existsSync(MODEL) && process.env.CI === "true") throw new Error(`CI needs the embedding model at ${MODEL}`);
const shared = (await postgresReachable()) && (await redisReachable());
if (!shared && process.env.CI === "true") throw new Error("CI=true needs PostgreSQL (5432) and Redis (6379) on 127.0.0.1");

const PASSWORD = "cache test password";
let up: FakeServer;
let answers = 0;
beforeAll(async () => {
  up = await startFakeServer((_q, res) => sendJson(res, 200, openaiCompletion(`answer ${++answers}`)));
});
afterAll(async () => {
  await up?.close();
});

const config = () =>
  writeConfig(`cache: { enabled: true, ttl_s: 600, semantic: { enabled: true } }
providers:
  - { id: up, type: openai, base_url: "${up.url}/v1", models: [m], prices: { m: { input: 2, output: 8 } } }
  - { id: local, type: local, embedding_models: [all-minilm-l6-v2], embedding_model_path: "${MODEL}", threads: 1 }
`);

async function ask(server: RunningServer, question: string) {
  const res = await fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", provider: "up", messages: [{ role: "user", content: question }] }),
  });
  const body = (await res.json()) as { choices: Array<{ message: { content: string } }>; usage: Record<string, number> };
  return {
    status: res.status,
    cache: res.headers.get("x-interference-cache"),
    id: res.headers.get("x-request-id")!,
    text: body.choices?.[0]?.message.content,
    usage: body.usage,
  };
}

async function until<T>(check: () => Promise<T | null | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!existsSync(MODEL))("the response cache on the embedded database", () => {
  let server: RunningServer;
  let cookie: string;
  beforeAll(async () => {
    server = await startServer({ config: config(), env: { ADMIN_PASSWORD: PASSWORD } });
    cookie = await signIn(server.url, PASSWORD);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("says at start which stores it uses", () => {
    expect(server.output()).toMatch(/response cache: on \(pglite, semantic: pgvector at 0\.95\), ttl 600 s, per key/);
  });

  it("answers exact and semantic hits, and the log rows and the log detail say what answered and what it saved", async () => {
    const miss = await ask(server, "How do I reverse a list in Python?");
    expect(miss).toMatchObject({ status: 200, cache: "miss" });
    const hit = await ask(server, "How do I reverse a list in Python?");
    expect(hit).toMatchObject({ status: 200, cache: "hit", text: miss.text });
    expect(hit.usage.cost).toBe(0);
    const semantic = await ask(server, "What's the way to reverse a Python list?");
    expect(semantic.cache).toMatch(/^semantic-hit; similarity=0\.9\d+$/);
    expect(semantic.text).toBe(miss.text);

    const row = async (id: string) => (await trpc(server.url, cookie, "logs.get", { id }, "query")).data;
    const first = await until(() => row(miss.id));
    expect(first).toMatchObject({ cache: "miss", provider: "up" });
    expect(first.cost).toBeGreaterThan(0);
    const exact = await until(() => row(hit.id));
    expect(exact).toMatchObject({ cache: "hit", provider: "cache", cost: 0, cacheSaved: first.cost });
    expect(exact.cacheEntryId).toMatch(/^[0-9a-f-]{36}$/);
    const similar = await until(() => row(semantic.id));
    expect(similar).toMatchObject({ cache: "semantic-hit", cacheEntryId: exact.cacheEntryId, cacheSaved: first.cost });
  }, 60_000);

  it("DELETE /v1/cache empties the caller's cache", async () => {
    await ask(server, "What is the capital of Peru?");
    expect((await ask(server, "What is the capital of Peru?")).cache).toBe("hit");
    const res = await fetch(`${server.url}/v1/cache`, { method: "DELETE" });
    expect(((await res.json()) as { deleted: number }).deleted).toBeGreaterThanOrEqual(1);
    expect((await ask(server, "What is the capital of Peru?")).cache).toBe("miss");
  });
});

describe.skipIf(!shared || !existsSync(MODEL))("the response cache shared by replicas on PostgreSQL and Redis", () => {
  let a: RunningServer, b: RunningServer, dropDb: () => Promise<void>;
  beforeAll(async () => {
    const db = await freshPostgresDatabase();
    dropDb = db.drop;
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: "redis://127.0.0.1:6379",
      REDIS_PREFIX: `ifr-cache-${randomBytes(4).toString("hex")}:`,
      ADMIN_PASSWORD: PASSWORD,
    };
    const file = config();
    a = await startServer({ config: file, env });
    b = await startServer({ config: file, env });
  }, 90_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await dropDb?.();
  });

  it("serves one replica's answer from the other, exact through Redis and semantic through the shared table", async () => {
    expect(a.output()).toMatch(/response cache: on \(redis, semantic: usearch at 0\.95\)/);
    const miss = await ask(a, "How many days are there in a leap year?");
    expect(miss.cache).toBe("miss");
    const exact = await until(async () => {
      const r = await ask(b, "How many days are there in a leap year?");
      return r.cache === "hit" && r;
    });
    expect(exact.text).toBe(miss.text);
    // B's usearch index reads the rows other replicas added at most every 2 s: the first lookup after that finds
    // A's entry. (Asked once: a miss here would store B's own answer, and the next ask would be an exact hit.)
    await new Promise((r) => setTimeout(r, 2500));
    const semantic = await ask(b, "How many days does a leap year have?");
    expect(semantic.cache).toMatch(/^semantic-hit; similarity=0\.9\d+$/);
    expect(semantic.text).toBe(miss.text);
  }, 60_000);

  it("applies a model's switch set on one replica's dashboard on the other", async () => {
    const cookie = await signIn(a.url, PASSWORD);
    expect((await trpc(a.url, cookie, "cache.setModel", { model: "m", enabled: false })).status).toBe(200);
    await until(async () => (await ask(b, "Is it off on B?")).cache === "skip");
    expect((await trpc(a.url, cookie, "cache.setModel", { model: "m", enabled: null })).status).toBe(200);
    await until(async () => (await ask(b, "Is it on again on B?")).cache === "miss");
  });
});
