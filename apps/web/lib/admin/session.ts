/**
 * Admin sign-in: one admin password (ADMIN_PASSWORD, or generated on first run and printed once, stored only as a
 * scrypt hash) and server-side sessions (the cookie holds a random token, the database its hash: see
 * packages/db/src/sessions.ts), so signing out ends a session on every replica. Changing the password ends every
 * session. Hashing runs on libuv's thread pool (async scrypt), never on the thread that serves /v1.
 */
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import type { Store } from "@interference/db";

export const SESSION_COOKIE = "ifr_session";
const SESSION_TTL_MS = 12 * 3600_000;
const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

async function hashPassword(password: string, salt = randomBytes(16)): Promise<string> {
  return `scrypt$${salt.toString("base64url")}$${(await scryptAsync(password, salt, 32)).toString("base64url")}`;
}

async function checkPassword(password: string, stored: string): Promise<boolean> {
  const [, salt, hash] = stored.split("$");
  if (!salt || !hash) return false;
  const actual = await scryptAsync(password, Buffer.from(salt, "base64url"), 32);
  const expected = Buffer.from(hash, "base64url");
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

// On globalThis: Next bundles this module into several chunks, and every copy must agree.
const CACHE = Symbol.for("interference.adminPasswordHash");
type Holder = { [CACHE]?: Promise<string> };

/** The admin password's hash, created on first run and kept in the database (shared by replicas). */
export function adminPasswordHash(store: Store, env = process.env): Promise<string> {
  const g = globalThis as Holder;
  return (g[CACHE] ??= (async () => {
    let passwordHash = await store.settings.get("admin_password_hash");
    if (env.ADMIN_PASSWORD) {
      // Re-hash only when the password changed, which ends every session made with the old one.
      if (!passwordHash || !(await checkPassword(env.ADMIN_PASSWORD, passwordHash))) {
        passwordHash = await hashPassword(env.ADMIN_PASSWORD);
        await store.settings.set("admin_password_hash", passwordHash);
        await store.sessions.revokeAll();
      }
    } else if (!passwordHash) {
      const generated = randomBytes(12).toString("base64url");
      passwordHash = await hashPassword(generated);
      await store.settings.set("admin_password_hash", passwordHash);
      console.log(
        `[interference] dashboard admin password, generated on this first start and shown only now: ${generated}\n` +
          "[interference] to choose your own, set ADMIN_PASSWORD and restart (signing in with it then replaces this one)",
      );
    }
    return passwordHash;
  })());
}

export async function verifyPassword(store: Store, password: string): Promise<boolean> {
  return checkPassword(password, await adminPasswordHash(store));
}

export async function newSessionCookie(store: Store, secure: boolean): Promise<string> {
  const token = await store.sessions.create(SESSION_TTL_MS);
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_TTL_MS / 1000}${secure ? "; Secure" : ""}`;
}

export const clearSessionCookie = `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;

export function isValidSession(store: Store, token: string | undefined): Promise<boolean> {
  return store.sessions.isActive(token);
}

export function cookieFrom(header: string | null, name = SESSION_COOKIE): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return v.join("=");
  }
  return undefined;
}

/**
 * Whether a form post comes from the dashboard's own pages: browsers send Origin (or Sec-Fetch-Site) with every
 * POST, and a cross-site page cannot forge either.
 */
export function sameOrigin(headers: Headers): boolean {
  const site = headers.get("sec-fetch-site");
  if (site) return site === "same-origin";
  const origin = headers.get("origin");
  const host = headers.get("x-forwarded-host") ?? headers.get("host");
  if (!origin || !host) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** The client's address as server.ts found it (socket, or X-Forwarded-For behind TRUSTED_PROXIES). */
export const CLIENT_ADDRESS_HEADER = "x-interference-client-address";

/**
 * Failed sign-ins per client address: 5 a minute, then refused until the minute is over. Bounded: past
 * MAX_TRACKED addresses the expired ones go, then the oldest.
 */
const WINDOW_MS = 60_000;
const MAX_FAILURES = 5;
const MAX_TRACKED = 10_000;

export class SignInLimiter {
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Takes one attempt for `address`, counted as a failure until `succeeded` says otherwise: counted before the
   * password is checked, so guesses sent all at once cannot pass the limit while their hashes run.
   */
  take(address: string): boolean {
    const now = this.now();
    const f = this.failures.get(address);
    if (f && now - f.since <= WINDOW_MS) {
      if (f.count >= MAX_FAILURES) return false;
      f.count++;
      return true;
    }
    this.failures.delete(address);
    if (this.failures.size >= MAX_TRACKED) this.prune(now);
    this.failures.set(address, { count: 1, since: now });
    return true;
  }

  /** The attempt `take` counted was the right password: it is not a failure. */
  succeeded(address: string): void {
    const f = this.failures.get(address);
    if (f && --f.count <= 0) this.failures.delete(address);
  }

  get size(): number {
    return this.failures.size;
  }

  private prune(now: number): void {
    for (const [k, f] of this.failures) if (now - f.since > WINDOW_MS) this.failures.delete(k);
    // Still full: the oldest tenth goes (a Map iterates in insertion order), so the scan is paid once per
    // thousand new addresses rather than on every one.
    for (const k of this.failures.keys()) {
      if (this.failures.size < MAX_TRACKED * 0.9) break;
      this.failures.delete(k);
    }
  }
}

const LIMITER = Symbol.for("interference.signInLimiter");
export const signInLimiter: SignInLimiter = ((globalThis as { [LIMITER]?: SignInLimiter })[LIMITER] ??= new SignInLimiter());
