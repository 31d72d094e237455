/**
 * Dashboard sign-in: a form post with an email (blank: the first owner) and a password; sets the session cookie
 * and goes to the first page the user's role may open. Every attempt is in the audit log (never the password).
 */
import { getRuntime } from "@/lib/runtime";
import { CLIENT_ADDRESS_HEADER, isSecure, newSessionCookie, signIn, signInLimiter } from "@/lib/admin/session";
import { homeOf } from "@/lib/admin/access";
import { readForm } from "@/lib/form";

export const dynamic = "force-dynamic";

export async function POST(request: Request): Promise<Response> {
  const { store } = await getRuntime();
  // Set by the server from the socket (or X-Forwarded-For behind TRUSTED_PROXIES); under `next dev` it is absent.
  const address = request.headers.get(CLIENT_ADDRESS_HEADER) ?? "unknown";
  const back = (error: string, status = 303) => new Response(null, { status, headers: { location: `/login?error=${error}` } });
  if (!signInLimiter.take(address)) return back("too-many-attempts");
  const text = await readForm(request).catch(() => null);
  if (text === null) return new Response("Sign-in form too large.\n", { status: 413, headers: { "content-type": "text/plain", connection: "close" } });
  const form = new URLSearchParams(text);
  const password = form.get("password");
  const email = (form.get("email") ?? "").slice(0, 320);
  const signedIn = password ? await signIn(store, email, password) : null;
  if (!signedIn) {
    await store.audit.append({ actorId: null, actorEmail: email.trim().toLowerCase() || null, address, action: "signin.failed", target: null, changes: null });
    return back("wrong-password");
  }
  signInLimiter.succeeded(address);
  const { user, generation } = signedIn;
  await store.audit.append({ actorId: user.id, actorEmail: user.email, address, action: "signin", target: `user:${user.id}`, changes: null });
  const cookie = await newSessionCookie(store, isSecure(request), generation, user.id);
  return new Response(null, { status: 303, headers: { location: homeOf(user), "set-cookie": cookie } });
}
