/** Signs in to the dashboard's admin API and calls tRPC procedures over plain HTTP, as the browser does. */
export async function signIn(base: string, password: string, email = ""): Promise<string> {
  const res = await fetch(`${base}/api/admin/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ email, password }),
    redirect: "manual",
  });
  return sessionCookie(res);
}

function sessionCookie(res: Response): string {
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0]!)
    .find((c) => c.startsWith("ifr_session="));
  if (!cookie || cookie === "ifr_session=") throw new Error(`sign-in failed: ${res.status} ${res.headers.get("location")}`);
  return cookie;
}

/** Opens an invitation link's form and sets the password, as the invited person would: their session cookie. */
export async function acceptInvite(base: string, url: string, password: string): Promise<string> {
  const token = new URL(url).pathname.split("/").pop()!;
  const res = await fetch(`${base}/api/admin/invite`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: base },
    body: new URLSearchParams({ token, password, confirm: password }),
    redirect: "manual",
  });
  return sessionCookie(res);
}

/** Invites a user as `ownerCookie`'s owner and accepts the invitation: the new user's session cookie and id. */
export async function newUser(
  base: string,
  ownerCookie: string,
  user: { email: string; role: string; teams?: Array<{ id: string; role: string }> },
  password = "a long enough password",
): Promise<{ cookie: string; id: string }> {
  const invited = await trpc(base, ownerCookie, "users.invite", { teams: [], ...user });
  if (invited.status !== 200) throw new Error(`invite failed: ${JSON.stringify(invited.error)}`);
  return { cookie: await acceptInvite(base, invited.data.url, password), id: invited.data.user.id };
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
    headers: { cookie, "content-type": "application/json", "x-interference-csrf": "1", origin: base },
    body: kind === "mutation" ? JSON.stringify(input ?? {}) : undefined,
  });
  const body = (await res.json()) as any;
  return { status: res.status, data: body.result?.data, error: body.error };
}
