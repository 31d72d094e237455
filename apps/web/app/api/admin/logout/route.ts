import { clearSessionCookie } from "@/lib/admin/session";

export async function POST(): Promise<Response> {
  return new Response(null, { status: 303, headers: { location: "/login", "set-cookie": clearSessionCookie } });
}
