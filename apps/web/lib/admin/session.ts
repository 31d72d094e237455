/**
 * Dashboard sign-in: people with an email, a password (scrypt) or SSO, and a role (see access.ts). The first owner
 * is the account of today's single password: ADMIN_PASSWORD (or a generated one, printed once) signs it in, with
 * the email left blank or as ADMIN_EMAIL (default "admin"). Sessions are server-side (the cookie holds a random
 * token, the database its hash, see packages/db/src/sessions.ts) and belong to a user.
 *
 * Every check reads the database afresh: a user disabled, or a password changed, on one replica ends their
 * sessions on every replica at once. Each session carries the generation of the password it was made under (a
 * fingerprint of the hash; "sso" for an SSO sign-in). A replica started with a first-owner password the database
 * has already replaced does not write it back. Hashing runs on libuv's thread pool (async scrypt), never on the
 * thread that serves /v1.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import type { Store, UserRecord } from "@interference/db";

export const SESSION_COOKIE = "ifr_session";
const SESSION_TTL_MS = 12 * 3600_000;
const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;
/** Where the single admin password's hash lived before accounts: taken over by the first owner. */
const LEGACY_HASH_KEY = "admin_password_hash";
/** The hashes of first-owner passwords replaced, newest first: a replica started with one does not bring it back. */
const SUPERSEDED_KEY = "admin_password_superseded";
const SUPERSEDED_KEPT = 10;
/** The account ADMIN_PASSWORD signs in. */
export const FIRST_OWNER_ID = "usr_first_owner";
/** The generation of sessions made by single sign-on. */
export const SSO_GENERATION = "sso";

export async function hashPassword(password: string, salt = randomBytes(16)): Promise<string> {
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

/** The first owner's row, made on the first start (from the pre-accounts password hash where there is one). */
async function firstOwner(store: Store, env: NodeJS.ProcessEnv): Promise<UserRecord> {
  const existing = await store.users.get(FIRST_OWNER_ID);
  if (existing) return existing;
  try {
    await store.users.create({ id: FIRST_OWNER_ID, email: env.ADMIN_EMAIL || "admin", role: "owner", createdById: null });
    const legacy = await store.settings.get(LEGACY_HASH_KEY);
    if (legacy) await store.users.setPassword(FIRST_OWNER_ID, legacy);
  } catch (err) {
    // Another replica made it first.
    if ((err as { status?: number }).status !== 409) throw err;
  }
  return (await store.users.get(FIRST_OWNER_ID))!;
}

// On globalThis: Next bundles this module into several chunks, and every copy must agree.
const CACHE = Symbol.for("interference.adminPasswordSetUp");
type Holder = { [CACHE]?: Promise<string> };

/**
 * Sets the first owner's password up once per process, at start: ADMIN_PASSWORD when it is new (the old hash
 * goes on the superseded list, and the first owner's sessions end), else the stored one, else a generated one,
 * printed once. A password the database has already replaced is not written back. Returns the hash in force.
 */
export function adminPasswordHash(store: Store, env = process.env): Promise<string> {
  const g = globalThis as Holder;
  return (g[CACHE] ??= (async () => {
    await firstOwner(store, env);
    let passwordHash = (await store.users.credentials(FIRST_OWNER_ID))?.passwordHash ?? null;
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
        await store.users.setPassword(FIRST_OWNER_ID, passwordHash);
        await store.sessions.revokeUser(FIRST_OWNER_ID);
      }
    } else if (!passwordHash) {
      const generated = randomBytes(12).toString("base64url");
      passwordHash = await hashPassword(generated);
      await store.users.setPassword(FIRST_OWNER_ID, passwordHash);
      console.log(
        `[interference] dashboard admin password, generated on this first start and shown only now: ${generated}\n` +
          "[interference] to choose your own, set ADMIN_PASSWORD and restart (signing in with it then replaces this one)",
      );
    }
    return passwordHash;
  })());
}

/** Compared with when there is no user or no password, so a wrong email takes as long as a wrong password. */
let decoy: Promise<string> | undefined;

/**
 * The user an email (blank: the first owner) and password sign in, and the generation their session carries;
 * null for a wrong pair, a disabled user, or one without a password (SSO only, invite not yet accepted).
 */
export async function signIn(store: Store, email: string, password: string): Promise<{ user: UserRecord; generation: string } | null> {
  await adminPasswordHash(store);
  const user = email.trim() ? await store.users.byEmail(email) : await store.users.get(FIRST_OWNER_ID);
  const credentials = user ? await store.users.credentials(user.id) : null;
  if (!user || !credentials?.passwordHash || credentials.disabled) {
    await checkPassword(password, await (decoy ??= hashPassword(randomBytes(16).toString("hex"))));
    return null;
  }
  if (!(await checkPassword(password, credentials.passwordHash))) return null;
  return { user, generation: generationOf(credentials.passwordHash) };
}

export async function newSessionCookie(store: Store, secure: boolean, generation: string, userId: string): Promise<string> {
  const token = await store.sessions.create(SESSION_TTL_MS, generation, userId);
  await store.users.signedIn(userId);
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_TTL_MS / 1000}${secure ? "; Secure" : ""}`;
}

export const clearSessionCookie = `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;

/** Who is signed in: the cookie's session is live, its user enabled, and made under their password in force now. */
export async function currentUser(store: Store, token: string | undefined): Promise<UserRecord | null> {
  const session = await store.sessions.lookup(token);
  if (!session) return null;
  const [user, credentials] = await Promise.all([store.users.get(session.userId), store.users.credentials(session.userId)]);
  if (!user || !credentials || credentials.disabled) return null;
  const current =
    session.generation === SSO_GENERATION ? user.sso : credentials.passwordHash !== null && generationOf(credentials.passwordHash) === session.generation;
  return current ? user : null;
}

/** Whether the request comes over HTTPS (directly, or as the proxy in front says). */
export const isSecure = (request: Request) => request.headers.get("x-forwarded-proto") === "https" || new URL(request.url).protocol === "https:";

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
