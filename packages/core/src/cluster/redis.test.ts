/** The Redis rate limiter and budget ledger against the local Redis (127.0.0.1:6379, a prefix of its own): required when CI=true. */
import { randomBytes } from "node:crypto";
import { createConnection } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { windowAt } from "../ratelimit/limiter.js";
import { RedisBudgetLedger, RedisRateLimiter } from "./redis.js";
import type { Budget, SpendSource } from "../spend/budget.js";

const reachable = await new Promise<boolean>((resolve) => {
  const s = createConnection(6379, "127.0.0.1");
  s.once("connect", () => (s.destroy(), resolve(true)));
  s.once("error", () => resolve(false));
});
if (!reachable && process.env.CI === "true") throw new Error("CI=true needs Redis at 127.0.0.1:6379");

describe.skipIf(!reachable)("RedisRateLimiter", () => {
  const limiter = new RedisRateLimiter({ url: "redis://127.0.0.1:6379", prefix: `ifr-test-${randomBytes(4).toString("hex")}:` });
  afterAll(() => limiter.close());

  it("reserves tokens in one step shared by every replica, refuses once the count reached tpm, and settles", async () => {
    for (let i = 0; i < 50 && limiter.degraded; i++) await new Promise((r) => setTimeout(r, 20));
    expect(limiter.degraded).toBe(false);
    // Counts are per minute: start well inside one, so a window turning over cannot reset them mid-test.
    const { leftMs } = windowAt(Date.now());
    if (leftMs < 5000) await new Promise((r) => setTimeout(r, leftMs + 50));
    const window = windowAt(Date.now()).window;
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => limiter.reserveTokens("k", 210, 1000)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(5); // 0, 210, … 840 before each
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(3);
    // The refused three gave their reservation back; settling the five down to 10 each leaves room again.
    for (let i = 0; i < 5; i++) limiter.addTokens("k", -200, window);
    await new Promise((r) => setTimeout(r, 50));
    await expect(limiter.reserveTokens("k", 210, 1000)).resolves.toBe(window);
    await expect(limiter.check("k", { rpm: null, tpm: 1000 })).resolves.toBeUndefined();
  });
});

describe.skipIf(!reachable)("RedisBudgetLedger", () => {
  const prefix = `ifr-test-${randomBytes(4).toString("hex")}:`;
  const queries: string[] = [];
  // The durable record: $0.40 spent before this month, $0.10 of it this month.
  const source: SpendSource = async (scope, since) => (queries.push(`${scope.owner}:${scope.ownerId}:${since ? "month" : "ever"}`), since ? 0.1 : 0.4);
  const replicas = [0, 1].map(() => new RedisBudgetLedger({ url: "redis://127.0.0.1:6379", prefix }, source));
  afterAll(() => Promise.all(replicas.map((r) => r.close())));

  it("holds a budget across replicas: counters seeded once from the record, one atomic check-and-reserve", async () => {
    for (let i = 0; i < 50 && replicas.some((r) => r.degraded); i++) await new Promise((r) => setTimeout(r, 20));
    const limits: Budget[] = [
      { owner: "key", ownerId: "k", period: "month", limit: 0.5 },
      { owner: "team", ownerId: "t", period: "total", limit: 1 },
    ];
    // Twelve requests of $0.05 reserved at once on two replicas: $0.10 spent this month leaves room for 8.
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => replicas[i % 2]!.reserve(limits, 0.05)));
    const granted = results.filter((r): r is PromiseFulfilledResult<Awaited<ReturnType<RedisBudgetLedger["reserve"]>>> => r.status === "fulfilled");
    expect(granted).toHaveLength(8);
    for (const r of results.filter((r) => r.status === "rejected")) expect((r as PromiseRejectedResult).reason).toMatchObject({ code: "budget_exceeded" });
    expect(granted.every((g) => g.value.shared)).toBe(true);
    // Each counter started from the record; replicas racing to seed it agree (SET NX keeps the first).
    expect(new Set(queries)).toEqual(new Set(["key:k:month", "team:t:ever"]));
    expect(await replicas[1]!.spent(limits)).toEqual([0.5, 0.8]);
    // Settled at $0.01 each, the eight give back $0.32.
    await Promise.all(granted.map((g, i) => replicas[i % 2]!.settle(g.value, 0.01)));
    const [month, total] = await replicas[0]!.spent(limits);
    expect(month).toBeCloseTo(0.18, 9);
    expect(total).toBeCloseTo(0.48, 9);
  });
});
