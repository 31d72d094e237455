/** Admin sign-in: a form post with the password; sets the session cookie and goes to the dashboard. */
import { getRuntime } from "@/lib/runtime";
import { CLIENT_ADDRESS_HEADER, newSessionCookie, passwordGeneration, signInLimiter } from "@/lib/admin/session";

export const dynamic = "force-dynamic";

/** A sign-in form is a few dozen bytes: nothing larger is read. */
const MAX_FORM_BYTES = 4096;

/** The form's text, or null when it is larger than MAX_FORM_BYTES (reading stops there). */
async function readForm(request: Request): Promise<string | null> {
  if (Number(request.headers.get("content-length")) > MAX_FORM_BYTES) return null;
  const reader = request.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_FORM_BYTES) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export async function POST(request: Request): Promise<Response> {
  const { store } = await getRuntime();
  // Set by the server from the socket (or X-Forwarded-For behind TRUSTED_PROXIES); under `next dev` it is absent.
  const address = request.headers.get(CLIENT_ADDRESS_HEADER) ?? "unknown";
  const back = (error: string, status = 303) => new Response(null, { status, headers: { location: `/login?error=${error}` } });
  if (!signInLimiter.take(address)) return back("too-many-attempts");
  const text = await readForm(request).catch(() => null);
  if (text === null) return new Response("Sign-in form too large.\n", { status: 413, headers: { "content-type": "text/plain", connection: "close" } });
  const password = new URLSearchParams(text).get("password");
  const generation = password ? await passwordGeneration(store, password) : null;
  if (!generation) return back("wrong-password");
  signInLimiter.succeeded(address);
  const secure = request.headers.get("x-forwarded-proto") === "https" || new URL(request.url).protocol === "https:";
  return new Response(null, { status: 303, headers: { location: "/overview", "set-cookie": await newSessionCookie(store, secure, generation) } });
}
