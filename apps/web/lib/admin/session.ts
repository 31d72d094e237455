/**
 * Admin sign-in: one admin password (ADMIN_PASSWORD, or generated on first run and printed once, stored only as a
 * scrypt hash in the database the replicas share) and server-side sessions (the cookie holds a random token, the
 * database its hash: see packages/db/src/sessions.ts), so signing out ends a session on every replica.
 *
 * A changed password ends every session made with the old one on every replica, at once: each session carries the
 * generation of the password it was made under (a fingerprint of the hash), and every check compares it with the
 * hash in the database, read afresh, as is the hash a sign-in is checked against. A replica not yet restarted with
 * the new password cannot let the old one in, and a replica started with a password the database has already
 * replaced does not write it back. Hashing runs on libuv's thread pool (async scrypt), never on the thread that
 * serves /v1.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import type { Store } from "@interference/db";

export const SESSION_COOKIE = "ifr_session";
const SESSION_TTL_MS = 12 * 3600_000;
const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;
const HASH_KEY = "admin_password_hash";
/** The hashes of passwords replaced, newest first: a replica started with one of them does not bring it back. */
const SUPERSEDED_KEY = "admin_password_superseded";
const SUPERSEDED_KEPT = 10;

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

/** The generation of a password: what its sessions carry (not the hash itself). */
const generationOf = (hash: string) => createHash("sha256").update(hash).digest("base64url").slice(0, 22);

async function superseded(store: Store): Promise<string[]> {
  try {
    const list = JSON.parse((await store.settings.get(SUPERSEDED_KEY)) ?? "[]") as unknown;
    return Array.isArray(list) ? list.filter((h): h is string => typeof h === "string") : [];
  } catch {
    return [];
  }
}

// On globalThis: Next bundles this module into several chunks, and every copy must agree.
const CACHE = Symbol.for("interference.adminPasswordSetUp");
type Holder = { [CACHE]?: Promise<string> };

/**
 * Sets the admin password up once per process, at start: ADMIN_PASSWORD when it is new (the old hash goes on the
 * superseded list, and every session ends), else the stored one, else a generated one, printed once. A password
 * the database has already replaced is not written back. Returns the hash in force.
 */
export function adminPasswordHash(store: Store, env = process.env): Promise<string> {
  const g = globalThis as Holder;
  return (g[CACHE] ??= (async () => {
    let passwordHash = await store.settings.get(HASH_KEY);
    if (env.ADMIN_PASSWORD) {
      if (!passwordHash || !(await checkPassword(env.ADMIN_PASSWORD, passwordHash))) {
        const old = await superseded(store);
        const stale = await Promise.all(old.map((h) => checkPassword(env.ADMIN_PASSWORD!, h)));
        if (passwordHash && stale.some(Boolean)) {
          console.warn(
            "[interference] ADMIN_PASSWORD on this replica is a password another replica has already replaced: the newer one stays in force. Set the same ADMIN_PASSWORD on every replica.",
          );
          return passwordHash;
        }
        const replaced = passwordHash ? [passwordHash, ...old].slice(0, SUPERSEDED_KEPT) : old;
        passwordHash = await hashPassword(env.ADMIN_PASSWORD);
        await store.settings.set(SUPERSEDED_KEY, JSON.stringify(replaced));
        await store.settings.set(HASH_KEY, passwordHash);
        await store.sessions.revokeAll();
      }
    } else if (!passwordHash) {
      const generated = randomBytes(12).toString("base64url");
      passwordHash = await hashPassword(generated);
      await store.settings.set(HASH_KEY, passwordHash);
      console.log(
        `[interference] dashboard admin password, generated on this first start and shown only now: ${generated}\n` +
          "[interference] to choose your own, set ADMIN_PASSWORD and restart (signing in with it then replaces this one)",
      );
    }
    return passwordHash;
  })());
}

/** The hash in force now, read from the database (another replica may have changed it since this one started). */
async function currentHash(store: Store): Promise<string> {
  return (await store.settings.get(HASH_KEY)) ?? (await adminPasswordHash(store));
}

/** The generation a correct password signs in under, or null for a wrong one. */
export async function passwordGeneration(store: Store, password: string): Promise<string | null> {
  const hash = await currentHash(store);
  return (await checkPassword(password, hash)) ? generationOf(hash) : null;
}

export async function verifyPassword(store: Store, password: string): Promise<boolean> {
  return (await passwordGeneration(store, password)) !== null;
}

export async function newSessionCookie(store: Store, secure: boolean, generation: string): Promise<string> {
  const token = await store.sessions.create(SESSION_TTL_MS, generation);
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_TTL_MS / 1000}${secure ? "; Secure" : ""}`;
}

export const clearSessionCookie = `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;

/** Whether the cookie's session is live, and was made under the password in force now. */
export async function isValidSession(store: Store, token: string | undefined): Promise<boolean> {
  if (!token) return false;
  return store.sessions.isActive(token, generationOf(await currentHash(store)));
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
