/** Sign-out: ends this session (or, with ?everywhere=1, every session of this user) in the database, then clears the cookie. */
import { getRuntime } from "@/lib/runtime";
import { CLIENT_ADDRESS_HEADER, clearSessionCookie, cookieFrom, currentUser, sameOrigin } from "@/lib/admin/session";

export const dynamic = "force-dynamic";

export async function POST(request: Request): Promise<Response> {
  // A cross-site page must not be able to sign the admin out (or out everywhere).
  if (!sameOrigin(request.headers)) return new Response("Cross-site request refused.\n", { status: 403, headers: { "content-type": "text/plain" } });
  const { store } = await getRuntime();
  const token = cookieFrom(request.headers.get("cookie"));
  const user = await currentUser(store, token);
  const everywhere = new URL(request.url).searchParams.get("everywhere") === "1";
  if (user && everywhere) await store.sessions.revokeUser(user.id);
  else if (token) await store.sessions.revoke(token);
  if (user) {
    const address = request.headers.get(CLIENT_ADDRESS_HEADER);
    await store.audit.append({
      actorId: user.id,
      actorEmail: user.email,
      address,
      action: everywhere ? "signout.everywhere" : "signout",
      target: `user:${user.id}`,
      changes: null,
    });
  }
  return new Response(null, { status: 303, headers: { location: "/login", "set-cookie": clearSessionCookie } });
}
