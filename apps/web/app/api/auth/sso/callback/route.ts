/**
 * GET /api/auth/sso/callback: the identity provider's answer. openid-client checks state, PKCE and the ID token
 * (signature, issuer, audience, expiry, nonce); then the person's groups (or their invite) decide their role, and
 * a session starts. Every outcome is in the audit log.
 */
import { getRuntime } from "@/lib/runtime";
import { CLIENT_ADDRESS_HEADER, cookieFrom, isSecure, newSessionCookie, SSO_GENERATION } from "@/lib/admin/session";
import { homeOf } from "@/lib/admin/access";
import { loadSso, publicOrigin, ssoUser } from "@/lib/admin/people";
import { decodeFlow, finishSignIn, SSO_FLOW_COOKIE } from "@/lib/admin/sso";

export const dynamic = "force-dynamic";

const clearFlow = `${SSO_FLOW_COOKIE}=; Path=/api/auth/sso; HttpOnly; SameSite=Lax; Max-Age=0`;

/** An error with its causes, as openid-client nests them ("unexpected JWT claim value encountered: unexpected JWT \"aud\" …"). */
function describe(err: unknown): string {
  const parts: string[] = [];
  for (let e = err as { message?: string; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.message === "string" && !parts.includes(e.message)) parts.push(e.message);
  }
  return parts.join(": ").slice(0, 500) || "sign-in failed";
}

export async function GET(request: Request): Promise<Response> {
  const runtime = await getRuntime();
  const { store } = runtime;
  const address = request.headers.get(CLIENT_ADDRESS_HEADER);
  const back = (error: string, detail: string, email: string | null = null, actorId: string | null = null) =>
    store.audit
      .append({ actorId, actorEmail: email, address, action: "signin.failed", target: "sso", changes: { reason: { before: null, after: detail } } })
      .then(() => new Response(null, { status: 303, headers: { location: `/login?error=${error}`, "set-cookie": clearFlow } }));
  const sso = await loadSso(runtime);
  if (!sso) return back("sso-off", "single sign-on is off");
  const flow = decodeFlow(cookieFrom(request.headers.get("cookie"), SSO_FLOW_COOKIE));
  if (!flow) return back("sso-failed", "no sign-in in progress in this browser (or it took over ten minutes)");
  // The URL the provider sent the browser to, on the origin the redirect_uri named (the server may see another host).
  const url = new URL(request.url);
  const current = new URL(`${publicOrigin(request.headers)}/api/auth/sso/callback${url.search}`);
  let identity;
  try {
    identity = await finishSignIn(sso, current, flow);
  } catch (err) {
    const message = describe(err);
    console.warn(`[interference] sso: sign-in refused: ${message}`);
    return back("sso-failed", message);
  }
  const outcome = await ssoUser(runtime, sso, identity, flow.invite);
  if ("refused" in outcome) return back(outcome.refused, outcome.refused, identity.email, outcome.userId ?? null);
  const { user } = outcome;
  await store.audit.append({ actorId: user.id, actorEmail: user.email, address, action: "signin.sso", target: `user:${user.id}`, changes: null });
  const cookie = await newSessionCookie(store, isSecure(request), SSO_GENERATION, user.id);
  const headers = new Headers({ location: homeOf(user) });
  headers.append("set-cookie", cookie);
  headers.append("set-cookie", clearFlow);
  return new Response(null, { status: 303, headers });
}
