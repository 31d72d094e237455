/** POST /api/admin/invite: an invited person sets their password (the link's token, used once) and is signed in. */
import { getRuntime } from "@/lib/runtime";
import { CLIENT_ADDRESS_HEADER, hashPassword, isSecure, newSessionCookie, sameOrigin, signIn, signInLimiter } from "@/lib/admin/session";
import { homeOf } from "@/lib/admin/access";
import { MIN_PASSWORD_LENGTH, readForm } from "@/lib/form";

export const dynamic = "force-dynamic";

export async function POST(request: Request): Promise<Response> {
  if (!sameOrigin(request.headers)) return new Response("Cross-site request refused.\n", { status: 403, headers: { "content-type": "text/plain" } });
  const { store } = await getRuntime();
  const address = request.headers.get(CLIENT_ADDRESS_HEADER) ?? "unknown";
  const text = await readForm(request).catch(() => null);
  if (text === null) return new Response("Form too large.\n", { status: 413, headers: { "content-type": "text/plain", connection: "close" } });
  const form = new URLSearchParams(text);
  const token = form.get("token") ?? "";
  const password = form.get("password") ?? "";
  const again = (error: string) => new Response(null, { status: 303, headers: { location: `/invite/${encodeURIComponent(token)}?error=${error}` } });
  // Guessing tokens counts against the same limit as guessing passwords.
  if (!signInLimiter.take(address)) return again("too-many-attempts");
  if (password.length < MIN_PASSWORD_LENGTH || password.length > 1000) return again("short-password");
  if (password !== form.get("confirm")) return again("mismatch");
  const user = await store.users.invite(token, { consume: true });
  if (!user || user.disabledAt) return again("expired");
  signInLimiter.succeeded(address);
  await store.users.setPassword(user.id, await hashPassword(password));
  await store.audit.append({
    actorId: user.id,
    actorEmail: user.email,
    address,
    action: "invite.accepted",
    target: `user:${user.id}`,
    changes: { password: { before: null, after: "set" } },
  });
  const signedIn = await signIn(store, user.email, password);
  if (!signedIn) return again("expired");
  const cookie = await newSessionCookie(store, isSecure(request), signedIn.generation, user.id);
  return new Response(null, { status: 303, headers: { location: homeOf(user), "set-cookie": cookie } });
}
