/**
 * A changed ADMIN_PASSWORD across two replicas sharing one PostgreSQL database (issue 26, finding 4): restarting one
 * replica with the new password ends, on both, every session made with the old one, and the replica not yet
 * restarted no longer lets the old password in. A replica started later with the old password does not bring it
 * back. Needs PostgreSQL at 127.0.0.1:5432 (required when CI=true).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshPostgresDatabase, postgresReachable } from "../../../packages/db/src/test-databases.js";
import { startServer, type RunningServer } from "./support/server";
import { signIn } from "./support/admin";

const available = await postgresReachable();
if (!available && process.env.CI === "true") throw new Error("CI=true needs PostgreSQL at 127.0.0.1:5432");

const OLD = "the old admin password";
const NEW = "the new admin password";
let a: RunningServer, b: RunningServer, databaseUrl: string, dropDb: () => Promise<void>;

/** Whether `cookie` is a live admin session on `server`. */
const signedIn = async (server: RunningServer, cookie: string) =>
  (await fetch(`${server.url}/api/trpc/teams.list?input=%7B%7D`, { headers: { cookie } })).status === 200;
const canSignIn = (server: RunningServer, password: string) =>
  signIn(server.url, password).then(
    () => true,
    () => false,
  );

describe.skipIf(!available)("changing ADMIN_PASSWORD on two replicas", () => {
  beforeAll(async () => {
    ({ url: databaseUrl, drop: dropDb } = await freshPostgresDatabase());
    a = await startServer({ env: { DATABASE_URL: databaseUrl, ADMIN_PASSWORD: OLD } });
    b = await startServer({ env: { DATABASE_URL: databaseUrl, ADMIN_PASSWORD: OLD } });
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await dropDb?.();
  });

  it("ends the old password's sessions everywhere once one replica has the new one, and never brings the old one back", async () => {
    const before = await signIn(b.url, OLD);
    expect(await signedIn(a, before)).toBe(true);
    expect(await signedIn(b, before)).toBe(true);

    // Replica a restarted with the new password; b still runs with the old one in its environment.
    await a.stop();
    a = await startServer({ port: a.port, env: { DATABASE_URL: databaseUrl, ADMIN_PASSWORD: NEW } });
    expect(await signedIn(a, before)).toBe(false);
    expect(await signedIn(b, before)).toBe(false);
    // b reads the password in force from the database: the old one no longer signs in there either.
    expect(await canSignIn(b, OLD)).toBe(false);
    const after = await signIn(b.url, NEW);
    expect(await signedIn(a, after)).toBe(true);

    // b restarted with the old password (a stale deployment): it does not write it back, and says so.
    await b.stop();
    b = await startServer({ port: b.port, env: { DATABASE_URL: databaseUrl, ADMIN_PASSWORD: OLD } });
    expect(b.output()).toContain("a password another replica has already replaced");
    expect(await canSignIn(a, OLD)).toBe(false);
    expect(await canSignIn(b, OLD)).toBe(false);
    expect(await signedIn(a, after)).toBe(true);
    expect(await signedIn(b, after)).toBe(true);
  }, 120_000);
});
