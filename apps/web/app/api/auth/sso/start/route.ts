/** GET /api/auth/sso/start[?invite=token]: off to the identity provider, with PKCE, state and nonce kept in a short cookie. */
import { getRuntime } from "@/lib/runtime";
import { isSecure } from "@/lib/admin/session";
import { loadSso, publicOrigin } from "@/lib/admin/people";
import { beginSignIn, encodeFlow, SSO_FLOW_COOKIE, SSO_FLOW_TTL_S } from "@/lib/admin/sso";

export const dynamic = "force-dynamic";

const back = (error: string) => new Response(null, { status: 303, headers: { location: `/login?error=${error}` } });

export async function GET(request: Request): Promise<Response> {
  const runtime = await getRuntime();
  const sso = await loadSso(runtime);
  if (!sso) return back("sso-off");
  const invite = new URL(request.url).searchParams.get("invite")?.slice(0, 200) || undefined;
  try {
    const { url, flow } = await beginSignIn(sso, `${publicOrigin(request.headers)}/api/auth/sso/callback`, invite);
    // Lax, not Strict: the identity provider's redirect back is a cross-site navigation that must carry it.
    const cookie = `${SSO_FLOW_COOKIE}=${encodeFlow(flow)}; Path=/api/auth/sso; HttpOnly; SameSite=Lax; Max-Age=${SSO_FLOW_TTL_S}${isSecure(request) ? "; Secure" : ""}`;
    return new Response(null, { status: 303, headers: { location: url.href, "set-cookie": cookie } });
  } catch (err) {
    console.error(`[interference] sso: the identity provider could not be reached: ${(err as Error).message}`);
    return back("sso-unreachable");
  }
}
