/** Sign-out: ends this session (or, with ?everywhere=1, every session) in the database, then clears the cookie. */
import { getRuntime } from "@/lib/runtime";
import { clearSessionCookie, cookieFrom, isValidSession, sameOrigin } from "@/lib/admin/session";

export const dynamic = "force-dynamic";

export async function POST(request: Request): Promise<Response> {
  // A cross-site page must not be able to sign the admin out (or out everywhere).
  if (!sameOrigin(request.headers)) return new Response("Cross-site request refused.\n", { status: 403, headers: { "content-type": "text/plain" } });
  const { store } = await getRuntime();
  const token = cookieFrom(request.headers.get("cookie"));
  if (token && new URL(request.url).searchParams.get("everywhere") === "1" && (await isValidSession(store, token))) await store.sessions.revokeAll();
  else if (token) await store.sessions.revoke(token);
  return new Response(null, { status: 303, headers: { location: "/login", "set-cookie": clearSessionCookie } });
}
