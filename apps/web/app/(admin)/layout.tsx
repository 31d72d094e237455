import type { ReactNode } from "react";
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { getRuntime } from "@/lib/runtime";
import { isValidSession, SESSION_COOKIE } from "@/lib/admin/session";
import Nav from "./nav";

export const dynamic = "force-dynamic";

export default async function AdminLayout({ children }: { children: ReactNode }) {
  const { store } = await getRuntime();
  if (!(await isValidSession(store, (await cookies()).get(SESSION_COOKIE)?.value))) redirect("/login");
  return (
    <>
      <header className="top">
        <a className="brand" href="/overview">
          Interference
        </a>
        <Nav />
        <form method="post" action="/api/admin/logout" style={{ display: "flex", gap: 8 }}>
          <button type="submit">Sign out</button>
          <button type="submit" formAction="/api/admin/logout?everywhere=1" title="End every dashboard session, on every replica">
            Sign out everywhere
          </button>
        </form>
      </header>
      <main>{children}</main>
    </>
  );
}
