/**
 * What the admin API and the sign-in routes share about people: where an invitation link points, and the SSO
 * settings in force (the owner's on the dashboard over the config file's `sso:` section).
 */
import { checkProviderUrl, GatewayError, isAllowListed, parseAllowList } from "@interference/core";
import type { UserRecord } from "@interference/db";
import type { Runtime } from "@/lib/runtime";
import { domainAllowed, oidcConfiguration, roleFromGroups, ssoSettingsSchema, type ResolvedSso, type SsoSettings } from "./sso";

/** The dashboard's own origin: PUBLIC_URL, else what the browser asked for. */
export function publicOrigin(headers: Headers): string {
  if (process.env.PUBLIC_URL) return process.env.PUBLIC_URL.replace(/\/+$/, "");
  const proto = headers.get("x-forwarded-proto") === "https" ? "https" : "http";
  return `${proto}://${headers.get("x-forwarded-host") ?? headers.get("host") ?? "localhost"}`;
}

export const inviteUrl = (headers: Headers, token: string) => `${publicOrigin(headers)}/invite/${token}`;

const SSO_SETTING = "sso";

/** The SSO settings in force, or null when SSO is off. A config-file section that does not parse is reported and ignored. */
export async function loadSso(runtime: Runtime): Promise<ResolvedSso | null> {
  const stored = await runtime.store.settings.get(SSO_SETTING);
  if (stored) {
    const parsed = ssoSettingsSchema.safeParse(JSON.parse(stored));
    if (parsed.success) return { settings: parsed.data, source: "dashboard" };
  }
  if (!runtime.config.sso) return null;
  const parsed = ssoSettingsSchema.safeParse(runtime.config.sso);
  if (!parsed.success) {
    console.error(
      `[interference] sso: in the config file is not valid, single sign-on is off: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
    return null;
  }
  return { settings: parsed.data, source: "file" };
}

/**
 * The owner's settings, stored once the issuer answers its discovery (null: the dashboard's settings go, and the
 * file's, if any, apply). An empty client secret keeps the one stored. An issuer the dashboard sets must be a
 * public address unless allow-listed (PROVIDER_URL_ALLOWLIST).
 */
export async function saveSso(runtime: Runtime, input: SsoSettings | null): Promise<ResolvedSso | null> {
  if (!input) {
    await runtime.store.settings.set(SSO_SETTING, "");
    return loadSso(runtime);
  }
  const current = await loadSso(runtime);
  const settings = { ...input, client_secret: input.client_secret || (current?.source === "dashboard" ? current.settings.client_secret : "") };
  const allowList = parseAllowList(process.env.PROVIDER_URL_ALLOWLIST);
  if (!isAllowListed(new URL(settings.issuer), allowList)) {
    try {
      await checkProviderUrl(settings.issuer, allowList);
    } catch (err) {
      throw new GatewayError(400, "invalid_request_error", "sso_issuer_refused", `issuer: refused: ${(err as Error).message}`);
    }
  }
  const resolved: ResolvedSso = { settings, source: "dashboard" };
  try {
    await oidcConfiguration(resolved);
  } catch (err) {
    throw new GatewayError(400, "invalid_request_error", "sso_discovery_failed", `issuer: its discovery document could not be read: ${(err as Error).message}`);
  }
  await runtime.store.settings.set(SSO_SETTING, JSON.stringify(settings));
  return resolved;
}

/** The settings as the dashboard shows them: the secret only as set or not. */
export function ssoView(sso: ResolvedSso | null) {
  if (!sso) return null;
  const { client_secret, ...rest } = sso.settings;
  return { ...rest, clientSecretSet: client_secret !== "", source: sso.source };
}

/** Why an SSO sign-in was refused, as the sign-in page says it (codes, never text from the request). */
export type SsoRefusal = "sso-domain" | "sso-no-access" | "sso-disabled" | "invite-mismatch";

/**
 * The user an identity the issuer vouched for signs in as. Their groups decide their role and teams when the
 * mapping matches (applied again at every sign-in, so a person removed from a group loses that role, or access,
 * at their next one); a person invited by an owner keeps the role the owner gave them. Anyone else is refused.
 */
export async function ssoUser(
  runtime: Runtime,
  sso: ResolvedSso,
  identity: { subject: string; email: string; groups: string[] },
  invite: string | undefined,
): Promise<{ user: UserRecord } | { refused: SsoRefusal; userId?: string }> {
  const { users, teams, sessions } = runtime.store;
  if (!domainAllowed(sso.settings, identity.email)) return { refused: "sso-domain" };
  let user = (await users.bySsoSubject(identity.subject)) ?? (await users.byEmail(identity.email));
  if (invite) {
    // Looked at first, used only by the person it names: opened under another email, the link stays good.
    const invited = await users.invite(invite);
    if (!invited || invited.email !== identity.email || !(await users.invite(invite, { consume: true }))) return { refused: "invite-mismatch" };
    user = invited;
  }
  if (user?.disabledAt) return { refused: "sso-disabled", userId: user.id };
  const teamIdByName = new Map((await teams.list()).map((t) => [t.name, t.id]));
  const mapped = roleFromGroups(sso.settings, identity.groups, teamIdByName);
  if (mapped && (!user || user.roleSource === "sso")) {
    user = user
      ? await users.update(user.id, { role: mapped.role, teams: mapped.teams, roleSource: "sso" })
      : await users.create({ email: identity.email, role: mapped.role, teams: mapped.teams, roleSource: "sso", createdById: null });
  } else if (!mapped && (!user || user.roleSource === "sso")) {
    // Their groups no longer give them anything: no way in, and any session they still hold ends now.
    if (user) await sessions.revokeUser(user.id);
    return { refused: "sso-no-access", ...(user ? { userId: user.id } : {}) };
  }
  if (!user) return { refused: "sso-no-access" };
  if (!user.sso) await users.linkSso(user.id, identity.subject);
  return { user: (await users.get(user.id))! };
}
