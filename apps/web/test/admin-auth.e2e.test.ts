/**
 * The dashboard's sign-in and sessions against the real server: a huge sign-in body is refused after a few KB,
 * the guess limiter keys on the socket's address (X-Forwarded-For only from TRUSTED_PROXIES), and sessions end on
 * sign-out for real, the old cookie included.
 */
import { request } from "node:http";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "./support/server";
import { signIn, trpc } from "./support/admin";

const PASSWORD = "correct horse battery staple";
let server: RunningServer, proxied: RunningServer;

beforeAll(async () => {
  [server, proxied] = await Promise.all([
    startServer({ env: { ADMIN_PASSWORD: PASSWORD } }),
    startServer({ env: { ADMIN_PASSWORD: PASSWORD, TRUSTED_PROXIES: "127.0.0.1" } }),
  ]);
});
afterAll(async () => {
  await Promise.all([server?.stop(), proxied?.stop()]);
});

/** A sign-in attempt from a chosen loopback address (Linux routes all of 127/8 to lo). */
function attempt(
  base: string,
  password: string,
  opts: { from?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; location: string; cookie?: string }> {
  const body = new URLSearchParams({ password }).toString();
  const url = new URL(`${base}/api/admin/login`);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: url.port,
        path: url.pathname,
        method: "POST",
        localAddress: opts.from,
        headers: { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body), ...opts.headers },
      },
      (res) => {
        res.resume();
        res.on("end", () =>
          resolve({ status: res.statusCode!, location: String(res.headers.location ?? ""), cookie: res.headers["set-cookie"]?.[0]?.split(";")[0] }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;

describe("sign-in", () => {
  it("refuses a 300 MB sign-in body after a few KB, without the server's memory growing", async () => {
    const before = rssMb(server.process.pid!);
    const url = new URL(`${server.url}/api/admin/login`);
    const result = await new Promise<{ status: number; sentMb: number }>((resolve, reject) => {
      let sent = 0;
      const req = request(
        {
          host: "127.0.0.1",
          port: url.port,
          path: url.pathname,
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", "transfer-encoding": "chunked" },
        },
        (res) => {
          res.resume();
          resolve({ status: res.statusCode!, sentMb: sent / 1024 / 1024 });
          req.destroy();
        },
      );
      req.on("error", (err) => (sent > 0 ? undefined : reject(err)));
      const chunk = Buffer.alloc(1024 * 1024, "a");
      const pump = () => {
        while (sent < 300 * 1024 * 1024 && !req.destroyed) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once("drain", pump);
        }
        if (!req.destroyed) req.end();
      };
      req.write("password=");
      pump();
    });
    expect(result.status).toBe(413);
    expect(result.sentMb).toBeLessThan(100);
    await new Promise((r) => setTimeout(r, 200));
    const grew = rssMb(server.process.pid!) - before;
    console.log(
      `[sign-in] 300 MB body: refused after the client sent ${result.sentMb.toFixed(0)} MB; server RSS ${before.toFixed(0)} → ${(before + grew).toFixed(0)} MB`,
    );
    expect(grew).toBeLessThan(150);
  });

  it("keys the guess limiter on the socket's address: rotating X-Forwarded-For does not help", async () => {
    const results = [];
    for (let i = 0; i < 30; i++) results.push(await attempt(server.url, "wrong", { from: "127.0.0.2", headers: { "x-forwarded-for": `10.1.${i}.1` } }));
    const locked = results.filter((r) => r.location.includes("too-many-attempts")).length;
    expect(locked).toBe(25); // 5 wrong guesses, then refused without checking
    const right = await attempt(server.url, PASSWORD, { from: "127.0.0.2" });
    expect(right.location).toContain("too-many-attempts");
  });

  it("guesses sent all at once cannot pass the limit while their hashes run", async () => {
    const results = await Promise.all(Array.from({ length: 40 }, () => attempt(server.url, "wrong", { from: "127.0.0.6" })));
    expect(results.filter((r) => r.location.includes("wrong-password")).length).toBe(5);
    expect(results.filter((r) => r.location.includes("too-many-attempts")).length).toBe(35);
  });

  it("one client's guesses do not lock out another", async () => {
    for (let i = 0; i < 6; i++) await attempt(server.url, "wrong", { from: "127.0.0.3" });
    const other = await attempt(server.url, PASSWORD, { from: "127.0.0.4" });
    expect(other.status).toBe(303);
    expect(other.location).toBe("/overview");
    expect(other.cookie).toMatch(/^ifr_session=.{20,}/);
  });

  it("believes X-Forwarded-For only from a trusted proxy (TRUSTED_PROXIES)", async () => {
    for (let i = 0; i < 6; i++) await attempt(proxied.url, "wrong", { from: "127.0.0.1", headers: { "x-forwarded-for": "198.51.100.1" } });
    const sameClient = await attempt(proxied.url, PASSWORD, { from: "127.0.0.1", headers: { "x-forwarded-for": "198.51.100.1" } });
    expect(sameClient.location).toContain("too-many-attempts");
    const otherClient = await attempt(proxied.url, PASSWORD, { from: "127.0.0.1", headers: { "x-forwarded-for": "198.51.100.2" } });
    expect(otherClient.location).toBe("/overview");
    // Not a trusted proxy: its header is ignored, and its own address is what counts.
    const untrusted = await attempt(proxied.url, PASSWORD, { from: "127.0.0.5", headers: { "x-forwarded-for": "198.51.100.1" } });
    expect(untrusted.location).toBe("/overview");
  });
});

describe("sessions", () => {
  const logout = (base: string, cookie: string, opts: { origin?: string; everywhere?: boolean } = {}) =>
    fetch(`${base}/api/admin/logout${opts.everywhere ? "?everywhere=1" : ""}`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie, ...(opts.origin ? { origin: opts.origin } : {}) },
    });
  const whoami = async (cookie: string) => (await trpc(server.url, cookie, "keys.list", {}, "query")).status;

  it("serves pages and the admin API as before once the dashboard has idled and its request storages are off", async () => {
    // lib/dashboard-storage.ts disables Next's and React's storages 1 s after the last dashboard response; the next
    // request must enable them again, with each request's own state (session, rendering) intact.
    const cookie = await signIn(server.url, PASSWORD);
    for (let round = 0; round < 3; round++) {
      const [page, keys] = await Promise.all([fetch(`${server.url}/keys`, { headers: { cookie } }), trpc(server.url, cookie, "keys.list", {}, "query")]);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("<html");
      expect(keys.status).toBe(200);
      expect(Array.isArray(keys.data)).toBe(true);
      const signedOut = await fetch(`${server.url}/keys`, { redirect: "manual" });
      expect(signedOut.headers.get("location")).toMatch(/\/login/); // no session: to the sign-in page, as before
      await new Promise((resolve) => setTimeout(resolve, 1_500));
    }
  });

  it("sign-out ends the session for the old cookie too, and needs a same-origin request", async () => {
    const cookie = await signIn(server.url, PASSWORD);
    expect(await whoami(cookie)).toBe(200);
    expect((await logout(server.url, cookie, { origin: "https://evil.example" })).status).toBe(403);
    expect((await logout(server.url, cookie)).status).toBe(403); // no Origin, no Sec-Fetch-Site
    expect(await whoami(cookie)).toBe(200);
    const out = await logout(server.url, cookie, { origin: server.url });
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toContain("Max-Age=0");
    expect(await whoami(cookie)).toBe(401); // the cookie a thief kept is dead
  });

  it("refuses an admin-API change from a foreign or opaque Origin with 403 (Origin: null included), and takes its own", async () => {
    const cookie = await signIn(server.url, PASSWORD);
    const create = (origin?: string) =>
      fetch(`${server.url}/api/trpc/teams.create`, {
        method: "POST",
        headers: { cookie, "content-type": "application/json", "x-interference-csrf": "1", ...(origin !== undefined ? { origin } : {}) },
        body: JSON.stringify({ name: `team-${origin ?? "none"}` }),
      });
    for (const origin of ["null", "https://evil.example", "not a url"]) {
      const res = await create(origin);
      expect(res.status, origin).toBe(403);
      expect(((await res.json()) as any).error.message).toBe("Cross-site request refused.");
    }
    expect((await create(server.url)).status).toBe(200);
  });

  it("sign out everywhere ends every session", async () => {
    const [a, b] = [await signIn(server.url, PASSWORD), await signIn(server.url, PASSWORD)];
    expect(await whoami(b)).toBe(200);
    expect((await logout(server.url, a, { origin: server.url, everywhere: true })).status).toBe(303);
    expect(await whoami(a)).toBe(401);
    expect(await whoami(b)).toBe(401);
  });
});

describe("first start without ADMIN_PASSWORD", () => {
  it("prints the generated password at start-up, before any sign-in, and it signs in", async () => {
    const { ADMIN_PASSWORD: _unset, ...env } = process.env;
    const fresh = await startServer({ env: { ...(env as Record<string, string>), ADMIN_PASSWORD: "" } });
    try {
      const printed = /admin password, generated on this first start and shown only now: (\S+)/.exec(fresh.output())?.[1];
      expect(printed).toMatch(/^[A-Za-z0-9_-]{16}$/);
      expect(fresh.output()).toContain("set ADMIN_PASSWORD and restart");
      // Not printed again on a sign-in attempt.
      expect(await signIn(fresh.url, "wrong").catch(() => null)).toBeFalsy();
      expect(fresh.output().match(/shown only now/g)).toHaveLength(1);
      expect(await signIn(fresh.url, printed!)).toBeTruthy();
    } finally {
      await fresh.stop();
    }
  });
});
