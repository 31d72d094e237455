/** Admin sign-in: a form post with the password; sets the session cookie and goes to the dashboard. */
import { getRuntime } from "@/lib/runtime";
import { newSessionCookie, recordFailedSignIn, signInAllowed, verifyPassword } from "@/lib/admin/session";

export const dynamic = "force-dynamic";

export async function POST(request: Request): Promise<Response> {
  const { store } = await getRuntime();
  const address = request.headers.get("x-forwarded-for")?.split(",")[0]?.trim() || "local";
  const back = (error: string) => new Response(null, { status: 303, headers: { location: `/login?error=${error}` } });
  if (!signInAllowed(address)) return back("too-many-attempts");
  const form = await request.formData().catch(() => null);
  const password = form?.get("password");
  if (typeof password !== "string" || !(await verifyPassword(store, password))) {
    recordFailedSignIn(address);
    return back("wrong-password");
  }
  const secure = request.headers.get("x-forwarded-proto") === "https" || new URL(request.url).protocol === "https:";
  return new Response(null, { status: 303, headers: { location: "/providers", "set-cookie": await newSessionCookie(store, secure) } });
}
