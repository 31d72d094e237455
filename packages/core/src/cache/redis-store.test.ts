/**
 * The response cache in Redis, on a redis-server of the test's own: two gateway replicas share it (one answers,
 * the other hits), the oldest entries are evicted past max_entries, a purge reaches only its scope, and while
 * Redis is down requests are served uncached (200, `miss`), caching again once it is back.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startScriptedOpenAI } from "../test-support/scripted-providers.js";
import { startTestGateway, type TestGateway } from "../test-support/gateway.js";
import type { FakeServer } from "../test-support/fake-server.js";
import { freePort, OwnRedis, redisInstalled, until } from "../test-support/redis-server.js";
import { RedisCacheStore } from "./redis-store.js";
import type { CacheEntry } from "./store.js";

let redis: OwnRedis;
let oa: FakeServer;
const stores: RedisCacheStore[] = [];
let replicas: TestGateway[] = [];

beforeAll(async () => {
  if (!redisInstalled) return;
  redis = new OwnRedis(await freePort());
  await redis.start();
  oa = await startScriptedOpenAI("OA");
  const yaml = `cache: { enabled: true }
providers:
  - { id: oa, type: openai, base_url: "${oa.url}/v1", models: [m] }
`;
  for (let i = 0; i < 2; i++) stores.push(new RedisCacheStore({ url: redis.url, prefix: "cache-test:" }, 1000));
  replicas = await Promise.all(stores.map((cacheStore) => startTestGateway(yaml, { cacheStore })));
});
afterAll(async () => {
  await Promise.all(replicas.map((r) => r.close()));
  await Promise.all(stores.map((s) => s.close()));
  await oa?.close();
  await redis?.stop();
});

async function ask(replica: TestGateway, question: string) {
  const client = new OpenAI({ baseURL: `${replica.url}/v1`, apiKey: "none", maxRetries: 0 });
  const { data, response } = await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: question }] }).withResponse();
  return { text: data.choices[0]!.message.content, cache: response.headers.get("x-interference-cache"), status: response.status };
}

function entry(i: number, scope = "key:k"): CacheEntry {
  const now = Date.now();
  return {
    id: `e${i}`,
    scope,
    namespace: "",
    key: `k${i}`,
    model: "m",
    provider: "oa",
    result: { model: "m", choices: [{ content: [{ type: "text", text: `a${i}` }], finish: "stop" }], usage: { inputTokens: 1, outputTokens: 1 } },
    cost: null,
    createdAt: now + i,
    expiresAt: now + 60_000,
  };
}

describe.skipIf(!redisInstalled)("the response cache in Redis", () => {
  it("is shared by replicas: one answers, the other replays it", async () => {
    const q = `shared ${Math.random()}`;
    const first = await ask(replicas[0]!, q);
    expect(first.cache).toBe("miss");
    await until(async () => (await ask(replicas[1]!, q)).cache === "hit", 2000);
    const calls = oa.requests.length;
    expect(await ask(replicas[1]!, q)).toMatchObject({ text: first.text, cache: "hit" });
    expect(oa.requests.length).toBe(calls);
  });

  it("evicts the oldest entries past max_entries, and purges one scope only", async () => {
    const small = new RedisCacheStore({ url: redis.url, prefix: "cache-evict:" }, 3);
    try {
      await until(() => small.connected);
      for (let i = 0; i < 5; i++) await small.put(entry(i));
      const kept = await Promise.all([0, 1, 2, 3, 4].map(async (i) => (await small.get("key:k", "", `k${i}`))?.id ?? null));
      expect(kept).toEqual([null, null, "e2", "e3", "e4"]);
      await small.put(entry(9, "team:t"));
      expect(await small.purge({ scope: "key:k" })).toBe(2);
      expect(await small.get("key:k", "", "k4")).toBeNull();
      expect((await small.get("team:t", "", "k9"))?.id).toBe("e9");
    } finally {
      await small.close();
    }
  });

  it("serves uncached while Redis is down, never a 500, and caches again when it is back", async () => {
    await redis.stop();
    const q = `outage ${Math.random()}`;
    for (let i = 0; i < 3; i++) expect(await ask(replicas[0]!, q)).toMatchObject({ status: 200, cache: "miss" });
    await redis.start();
    await until(async () => {
      await ask(replicas[0]!, q);
      return (await ask(replicas[0]!, q)).cache === "hit";
    }, 10_000);
  }, 20_000);
});
