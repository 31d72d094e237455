/** Signs in to the dashboard's admin API and calls tRPC procedures over plain HTTP, as the browser does. */
export async function signIn(base: string, password: string): Promise<string> {
  const res = await fetch(`${base}/api/admin/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ password }),
    redirect: "manual",
  });
  const cookie = res.headers.get("set-cookie")?.split(";")[0];
  if (!cookie?.startsWith("ifr_session=") || cookie === "ifr_session=") throw new Error(`sign-in failed: ${res.status}`);
  return cookie;
}

export async function trpc<T = any>(
  base: string,
  cookie: string,
  path: string,
  input?: unknown,
  kind: "query" | "mutation" = "mutation",
): Promise<{ status: number; data: T; error?: any }> {
  const url = kind === "query" ? `${base}/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input ?? {}))}` : `${base}/api/trpc/${path}`;
  const res = await fetch(url, {
    method: kind === "query" ? "GET" : "POST",
    headers: { cookie, "content-type": "application/json", "x-interference-csrf": "1" },
    body: kind === "mutation" ? JSON.stringify(input ?? {}) : undefined,
  });
  const body = (await res.json()) as any;
  return { status: res.status, data: body.result?.data, error: body.error };
}
