/**
 * Admin sign-in: one admin password (ADMIN_PASSWORD, or generated on first run and printed once, stored only as a
 * scrypt hash), and a signed session cookie (httpOnly, SameSite=Strict). Changing the password ends every session.
 */
import { createHmac, randomBytes, scryptSync, timingSafeEqual } from "node:crypto";
import type { Store } from "@interference/db";

export const SESSION_COOKIE = "ifr_session";
const SESSION_TTL_MS = 12 * 3600_000;

function hashPassword(password: string, salt = randomBytes(16)): string {
  return `scrypt$${salt.toString("base64url")}$${scryptSync(password, salt, 32).toString("base64url")}`;
}

function checkPassword(password: string, stored: string): boolean {
  const [, salt, hash] = stored.split("$");
  if (!salt || !hash) return false;
  const actual = scryptSync(password, Buffer.from(salt, "base64url"), 32);
  const expected = Buffer.from(hash, "base64url");
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

interface AdminSecrets {
  passwordHash: string;
  sessionSecret: string;
}

// On globalThis: Next bundles this module into several chunks, and every copy must sign sessions alike.
const CACHE = Symbol.for("interference.adminSecrets");
type Holder = { [CACHE]?: Promise<AdminSecrets> };

/** The password hash and session key, created on first run and kept in the database (shared by replicas). */
export function adminSecrets(store: Store, env = process.env): Promise<AdminSecrets> {
  const g = globalThis as Holder;
  return (g[CACHE] ??= (async () => {
    let sessionSecret = await store.settings.get("session_secret");
    if (!sessionSecret) {
      sessionSecret = randomBytes(32).toString("base64url");
      await store.settings.set("session_secret", sessionSecret);
    }
    let passwordHash = await store.settings.get("admin_password_hash");
    if (env.ADMIN_PASSWORD) {
      // Re-hash only when the password changed (which ends every session signed with the old hash).
      if (!passwordHash || !checkPassword(env.ADMIN_PASSWORD, passwordHash)) {
        passwordHash = hashPassword(env.ADMIN_PASSWORD);
        await store.settings.set("admin_password_hash", passwordHash);
      }
    } else if (!passwordHash) {
      const generated = randomBytes(12).toString("base64url");
      passwordHash = hashPassword(generated);
      await store.settings.set("admin_password_hash", passwordHash);
      console.log(`[interference] admin password (shown once; set ADMIN_PASSWORD to choose your own): ${generated}`);
    }
    return { passwordHash, sessionSecret };
  })());
}

const sign = (secrets: AdminSecrets, expires: number) =>
  createHmac("sha256", secrets.sessionSecret).update(`${expires}:${secrets.passwordHash}`).digest("base64url");

export async function verifyPassword(store: Store, password: string): Promise<boolean> {
  return checkPassword(password, (await adminSecrets(store)).passwordHash);
}

export async function newSessionCookie(store: Store, secure: boolean): Promise<string> {
  const expires = Date.now() + SESSION_TTL_MS;
  const value = `${expires}.${sign(await adminSecrets(store), expires)}`;
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_TTL_MS / 1000}${secure ? "; Secure" : ""}`;
}

export const clearSessionCookie = `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;

export async function isValidSession(store: Store, cookieValue: string | undefined): Promise<boolean> {
  if (!cookieValue) return false;
  const [expires, mac] = cookieValue.split(".");
  if (!expires || !mac || Number(expires) < Date.now()) return false;
  const expected = Buffer.from(sign(await adminSecrets(store), Number(expires)));
  const given = Buffer.from(mac);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export function cookieFrom(header: string | null, name = SESSION_COOKIE): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return v.join("=");
  }
  return undefined;
}

/** Failed sign-ins per client address: 5 a minute, then refused until the minute is over. */
const failures = new Map<string, { count: number; since: number }>();
export function signInAllowed(address: string): boolean {
  const f = failures.get(address);
  if (!f || Date.now() - f.since > 60_000) return true;
  return f.count < 5;
}
export function recordFailedSignIn(address: string): void {
  const f = failures.get(address);
  if (!f || Date.now() - f.since > 60_000) failures.set(address, { count: 1, since: Date.now() });
  else f.count++;
}
