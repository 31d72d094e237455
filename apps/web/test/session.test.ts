/** Rules of the dashboard's sign-in: hashing off the request thread, a bounded guess limiter. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore, type OpenedStore } from "@interference/db";
import { adminPasswordHash, currentUser, FIRST_OWNER_ID, hashPassword, newSessionCookie, signIn, SignInLimiter } from "../lib/admin/session";

describe("sign-in rules", () => {
  let store: OpenedStore;
  beforeAll(async () => {
    store = await openStore({ url: `pglite:${mkdtempSync(join(tmpdir(), "ifr-session-"))}` });
  });
  afterAll(() => store.close());

  it("checks the password on the thread pool: the event loop keeps turning while scrypt runs", async () => {
    await adminPasswordHash(store, { ...process.env, ADMIN_PASSWORD: "pw-for-this-test" });
    expect((await signIn(store, "", "pw-for-this-test"))?.user.id).toBe(FIRST_OWNER_ID);
    expect((await signIn(store, "ADMIN", "pw-for-this-test"))?.user.role).toBe("owner");
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 0);
    const checks = await Promise.all(Array.from({ length: 8 }, () => signIn(store, "", "wrong")));
    clearInterval(ticker);
    expect(checks.every((ok) => !ok)).toBe(true);
    expect(ticks).toBeGreaterThan(2); // scryptSync would have held the loop for all eight
  });

  it("signs a user in by email; a disabled user, a changed password or an ended session signs no one in", async () => {
    const user = await store.users.create({ email: "Vi@example.com", role: "viewer", createdById: null });
    expect(await signIn(store, "vi@example.com", "anything-at-all")).toBeNull(); // no password yet (invite pending)
    await store.users.setPassword(user.id, await hashPassword("a long password"));
    const signedIn = await signIn(store, " VI@example.com ", "a long password");
    expect(signedIn?.user.email).toBe("vi@example.com");
    expect(await signIn(store, "nobody@example.com", "a long password")).toBeNull();
    const token = (await newSessionCookie(store, false, signedIn!.generation, user.id)).split(";")[0]!.split("=")[1];
    expect((await currentUser(store, token))?.id).toBe(user.id);
    await store.users.setDisabled(user.id, true);
    expect(await currentUser(store, token)).toBeNull();
    expect(await signIn(store, "vi@example.com", "a long password")).toBeNull();
    await store.users.setDisabled(user.id, false);
    expect((await currentUser(store, token))?.id).toBe(user.id);
    await store.users.setPassword(user.id, await hashPassword("another long password"));
    expect(await currentUser(store, token)).toBeNull(); // made under the old password
    expect(await currentUser(store, "not-a-token")).toBeNull();
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
