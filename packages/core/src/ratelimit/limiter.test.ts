import { describe, expect, it } from "vitest";
import { GatewayError } from "../errors.js";
import { MemoryRateLimiter } from "./limiter.js";

describe("MemoryRateLimiter", () => {
  it("allows rpm requests per window, then 429 with Retry-After until the next window", async () => {
    let now = 120_000 + 15_000; // 15 s into a window
    const rl = new MemoryRateLimiter(() => now);
    for (let i = 0; i < 3; i++) await rl.check("k", { rpm: 3, tpm: null });
    const err = (await rl.check("k", { rpm: 3, tpm: null }).catch((e) => e)) as GatewayError;
    expect(err.status).toBe(429);
    expect(err.code).toBe("rate_limit_exceeded");
    expect(err.extra.headers!["retry-after"]).toBe("45");
    await rl.check("other", { rpm: 3, tpm: null }); // keys are separate
    now += 45_000;
    await rl.check("k", { rpm: 3, tpm: null });
  });

  it("refuses once the tokens counted reach tpm", async () => {
    const rl = new MemoryRateLimiter(() => 0);
    await rl.check("k", { rpm: null, tpm: 100 });
    rl.addTokens("k", 60, 0);
    await rl.check("k", { rpm: null, tpm: 100 });
    rl.addTokens("k", 60, 0);
    await expect(rl.check("k", { rpm: null, tpm: 100 })).rejects.toMatchObject({ status: 429, message: expect.stringContaining("100 tokens") });
  });

  it("reserves in one step: a reservation is refused once the count has reached tpm, and settles up or down", async () => {
    let now = 0;
    const rl = new MemoryRateLimiter(() => now);
    expect(await rl.reserveTokens("k", 400, 1000)).toBe(0);
    await rl.reserveTokens("k", 400, 1000);
    await rl.reserveTokens("k", 400, 1000); // 800 < 1000 before it: allowed, the overshoot is one estimate
    await expect(rl.reserveTokens("k", 400, 1000)).rejects.toMatchObject({ status: 429 });
    rl.addTokens("k", -1100, 0); // settled: those three used 100 tokens in all
    await rl.reserveTokens("k", 400, 1000);
    now = 60_000;
    rl.addTokens("k", 5000, 0); // a settlement for a window that is over changes nothing
    await rl.reserveTokens("k", 400, 1000);
  });
});
