/** Rules of the dashboard's sign-in: hashing off the request thread, a bounded guess limiter. */
import { describe, expect, it } from "vitest";
import type { Store } from "@interference/db";
import { SignInLimiter, verifyPassword } from "../lib/admin/session";

describe("sign-in rules", () => {
  it("checks the password on the thread pool: the event loop keeps turning while scrypt runs", async () => {
    const settings = new Map<string, string>();
    let revoked = 0;
    const store = {
      settings: { get: async (k: string) => settings.get(k) ?? null, set: async (k: string, v: string) => void settings.set(k, v) },
      sessions: { revokeAll: async () => ++revoked },
    } as unknown as Store;
    process.env.ADMIN_PASSWORD = "pw-for-this-test";
    expect(await verifyPassword(store, "pw-for-this-test")).toBe(true);
    expect(revoked).toBe(1); // a new password hash ends the sessions made with the old one
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 0);
    const checks = await Promise.all(Array.from({ length: 8 }, () => verifyPassword(store, "wrong")));
    clearInterval(ticker);
    expect(checks.every((ok) => !ok)).toBe(true);
    expect(ticks).toBeGreaterThan(2); // scryptSync would have held the loop for all eight
  });

  it("limits guesses per address and stays bounded however many addresses guess", () => {
    let now = 0;
    const limiter = new SignInLimiter(() => now);
    // Taken before the password is checked: five at once use up the minute, whatever their hashes say later.
    expect(Array.from({ length: 8 }, () => limiter.take("a"))).toEqual([true, true, true, true, true, false, false, false]);
    expect(limiter.take("b")).toBe(true);
    limiter.succeeded("b"); // the right password is not a failure
    for (let i = 0; i < 5; i++) expect(limiter.take("b")).toBe(true);
    expect(limiter.take("b")).toBe(false);
    now = 61_000;
    expect(limiter.take("a")).toBe(true);
    for (let i = 0; i < 25_000; i++) limiter.take(`10.0.${i >> 8}.${i & 255}`);
    expect(limiter.size).toBeLessThanOrEqual(10_000);
  });
});
