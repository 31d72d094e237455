/**
 * Single sign-on for the dashboard: OpenID Connect, authorization code with PKCE, through openid-client (an
 * OpenID-certified client: discovery, signature, issuer, audience, expiry and nonce checks are its own).
 *
 * Settings come from the config file's `sso:` section (trusted, like the rest of the file) or from the owner on
 * the dashboard (stored in the database, secret write-only; it wins over the file). An issuer set on the
 * dashboard is fetched like any URL the gateway did not get from its file: public addresses only (checked and
 * pinned per connection) unless allow-listed (PROVIDER_URL_ALLOWLIST), no redirects, bounded answers.
 */
import * as oidc from "openid-client";
import { Agent, fetch as undiciFetch } from "undici";
import { z } from "zod";
import { isIP } from "node:net";
import { guardedLookup, isAllowListed, isSpecialAddress, parseAllowList } from "@interference/core";
import { TEAM_ROLES, USER_ROLES, type TeamRole, type UserRole } from "@interference/db";
import { readBounded } from "@/lib/form";

export const ssoSettingsSchema = z.strictObject({
  /** The issuer's URL, as its discovery document names it. */
  issuer: z.url({ protocol: /^https?$/, error: "issuer: an http(s) URL" }),
  client_id: z.string().trim().min(1, "client_id: required").max(500),
  /** Empty on the dashboard's form: keep the stored one (write-only). A public client (PKCE only) has none. */
  client_secret: z.string().max(2000).default(""),
  /** Only these email domains may sign in; empty: any the issuer vouches for. */
  allowed_domains: z.array(z.string().trim().toLowerCase().min(1).max(253)).max(100).default([]),
  /** The scopes asked for: many providers send groups only for a scope of their own ("groups" at Okta and Dex). */
  scopes: z
    .string()
    .trim()
    .regex(/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/, "scopes: names separated by spaces")
    .refine((s) => s.split(" ").includes("openid"), "scopes: must include openid")
    .default("openid email profile"),
  /** The ID token claim holding the person's groups. */
  groups_claim: z.string().trim().min(1).max(100).default("groups"),
  /** Group → role (and for team users, a team by name and their place in it). The most powerful match wins. */
  role_mappings: z
    .array(
      z.strictObject({
        group: z.string().trim().min(1).max(200),
        role: z.enum(USER_ROLES),
        team: z.string().trim().min(1).max(100).optional(),
        team_role: z.enum(TEAM_ROLES).default("member"),
      }),
    )
    .max(200)
    .default([]),
  /** The sign-in button's words. */
  label: z.string().trim().min(1).max(60).default("Sign in with SSO"),
});
export type SsoSettings = z.infer<typeof ssoSettingsSchema>;

const RANK: Record<UserRole, number> = { owner: 4, admin: 3, viewer: 2, team: 1 };

/**
 * The role and teams a person's groups give them, or null when no group maps to anything. Team mappings name
 * teams; one that names a team that does not exist is skipped.
 */
export function roleFromGroups(
  settings: Pick<SsoSettings, "role_mappings">,
  groups: readonly string[],
  teamIdByName: ReadonlyMap<string, string>,
): { role: UserRole; teams: Array<{ id: string; role: TeamRole }> } | null {
  const matched = settings.role_mappings.filter((m) => groups.includes(m.group));
  const teams = new Map<string, TeamRole>();
  let role: UserRole | null = null;
  for (const m of matched) {
    if (m.role === "team") {
      const id = m.team ? teamIdByName.get(m.team) : undefined;
      if (!id) continue;
      if (teams.get(id) !== "lead") teams.set(id, m.team_role);
    }
    if (!role || RANK[m.role] > RANK[role]) role = m.role;
  }
  if (!role || (role === "team" && !teams.size)) return null;
  return { role, teams: [...teams].map(([id, r]) => ({ id, role: r })) };
}

/** The groups in a claim: a list of strings, or one string. */
export function groupsOf(claims: Record<string, unknown>, claim: string): string[] {
  const value = claims[claim];
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((g): g is string => typeof g === "string") : [];
}

const MAX_ANSWER_BYTES = 1024 * 1024;
const TIMEOUT_MS = 10_000;

/** Reads at most MAX_ANSWER_BYTES of an answer, then hands openid-client a Response it can read again. */
async function bounded(res: Response): Promise<Response> {
  const bytes = await readBounded(res.body, MAX_ANSWER_BYTES);
  if (!bytes) throw new Error(`the identity provider's answer is larger than ${MAX_ANSWER_BYTES} bytes`);
  return new Response(bytes.length ? new Uint8Array(bytes) : null, { status: res.status, statusText: res.statusText, headers: res.headers });
}

let guardedAgent: Agent | undefined;
let plainAgent: Agent | undefined;

/**
 * The fetch openid-client uses: guarded (public addresses only, the name resolved once and pinned for the
 * connection) for a dashboard-set issuer, bounded and timed always, redirects never followed.
 */
export function ssoFetch(trusted: boolean): oidc.CustomFetch {
  const dispatcher = trusted ? (plainAgent ??= new Agent()) : (guardedAgent ??= new Agent({ connect: { lookup: guardedLookup() } }));
  return async (url, options) => {
    if (!trusted) {
      const target = new URL(url);
      if (target.protocol !== "https:" && target.protocol !== "http:") throw new Error(`refused to fetch a ${target.protocol} URL`);
      // An address written in the URL is connected to without a lookup, so the guard's lookup never sees it: check it here.
      const host = target.hostname.replace(/^\[|\]$/g, "");
      if (isIP(host) && isSpecialAddress(host)) throw new Error(`refused to fetch ${target.host}: an internal address`);
    }
    const res = await undiciFetch(url, {
      method: options.method,
      headers: options.headers as Record<string, string>,
      body: options.body as string | undefined,
      redirect: "manual",
      signal: AbortSignal.timeout(TIMEOUT_MS),
      dispatcher,
    });
    return bounded(res as unknown as Response);
  };
}

export interface ResolvedSso {
  settings: SsoSettings;
  /** Where they came from: the file's are trusted, the dashboard's go through the URL guard. */
  source: "file" | "dashboard";
}

/** Whether the issuer may be fetched without the guard: the file's, or allow-listed. */
const trustedIssuer = (sso: ResolvedSso) =>
  sso.source === "file" || isAllowListed(new URL(sso.settings.issuer), parseAllowList(process.env.PROVIDER_URL_ALLOWLIST));

const configurations = new Map<string, { at: number; config: Promise<oidc.Configuration> }>();
/** Discovery is fetched again after this (keys rotate; the document may change). */
const DISCOVERY_TTL_MS = 10 * 60_000;

/** The issuer's configuration for these settings (discovery cached for a while; a failure is not cached). */
export function oidcConfiguration(sso: ResolvedSso): Promise<oidc.Configuration> {
  const { issuer, client_id, client_secret } = sso.settings;
  const cacheKey = JSON.stringify([issuer, client_id, client_secret, sso.source]);
  const hit = configurations.get(cacheKey);
  if (hit && Date.now() - hit.at < DISCOVERY_TTL_MS) return hit.config;
  const trusted = trustedIssuer(sso);
  const url = new URL(issuer);
  const config = oidc
    .discovery(
      url,
      client_id,
      client_secret ? { client_secret } : { token_endpoint_auth_method: "none" },
      client_secret ? oidc.ClientSecretPost(client_secret) : oidc.None(),
      {
        [oidc.customFetch]: ssoFetch(trusted),
        // Plain HTTP only where the issuer is trusted (a local test issuer, an internal IdP the file names).
        ...(url.protocol === "http:" && trusted ? { execute: [oidc.allowInsecureRequests] } : {}),
      },
    )
    .catch((err: unknown) => {
      configurations.delete(cacheKey);
      throw err;
    });
  configurations.set(cacheKey, { at: Date.now(), config });
  return config;
}

/** What the browser keeps between leaving for the issuer and coming back (an HttpOnly cookie, ten minutes). */
export const SSO_FLOW_COOKIE = "ifr_sso";
export const SSO_FLOW_TTL_S = 600;
const flowSchema = z.object({ verifier: z.string(), state: z.string(), nonce: z.string(), invite: z.string().optional(), next: z.string().optional() });
export type SsoFlow = z.infer<typeof flowSchema>;

export const encodeFlow = (flow: SsoFlow) => Buffer.from(JSON.stringify(flow)).toString("base64url");
export function decodeFlow(value: string | undefined): SsoFlow | null {
  if (!value || value.length > 4096) return null;
  try {
    const parsed = flowSchema.safeParse(JSON.parse(Buffer.from(value, "base64url").toString("utf8")));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The URL to send the browser to, and the flow to keep for its return. */
export async function beginSignIn(sso: ResolvedSso, redirectUri: string, invite?: string): Promise<{ url: URL; flow: SsoFlow }> {
  const config = await oidcConfiguration(sso);
  const verifier = oidc.randomPKCECodeVerifier();
  const flow: SsoFlow = { verifier, state: oidc.randomState(), nonce: oidc.randomNonce(), ...(invite ? { invite } : {}) };
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: sso.settings.scopes,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state: flow.state,
    nonce: flow.nonce,
  });
  return { url, flow };
}

/** The person the issuer vouches for, after every check: state, PKCE, the ID token's signature, issuer, audience, expiry, nonce. */
export async function finishSignIn(sso: ResolvedSso, currentUrl: URL, flow: SsoFlow): Promise<{ subject: string; email: string; groups: string[] }> {
  const config = await oidcConfiguration(sso);
  const tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
    pkceCodeVerifier: flow.verifier,
    expectedState: flow.state,
    expectedNonce: flow.nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  if (!claims) throw new Error("the identity provider sent no ID token");
  const email = typeof claims.email === "string" ? claims.email.trim().toLowerCase() : "";
  if (!email) throw new Error("the identity provider sent no email for this person (ask for the email scope)");
  if (claims.email_verified === false) throw new Error(`the identity provider has not verified ${email}`);
  return { subject: `${config.serverMetadata().issuer}|${claims.sub}`, email, groups: groupsOf(claims, sso.settings.groups_claim) };
}

/** Whether an email's domain may sign in. */
export const domainAllowed = (settings: Pick<SsoSettings, "allowed_domains">, email: string) =>
  !settings.allowed_domains.length || settings.allowed_domains.includes(email.slice(email.lastIndexOf("@") + 1));
