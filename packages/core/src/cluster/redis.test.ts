/** The Redis rate limiter against the local Redis (127.0.0.1:6379, a prefix of its own): required when CI=true. */
import { randomBytes } from "node:crypto";
import { createConnection } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { windowAt } from "../ratelimit/limiter.js";
import { RedisRateLimiter } from "./redis.js";

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
