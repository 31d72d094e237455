import type { ReactNode } from "react";
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { getRuntime } from "@/lib/runtime";
import { currentUser, SESSION_COOKIE } from "@/lib/admin/session";
import { mayCall, PAGES } from "@/lib/admin/access";
import Nav from "./nav";

export const dynamic = "force-dynamic";

export default async function AdminLayout({ children }: { children: ReactNode }) {
  const { store } = await getRuntime();
  const user = await currentUser(store, (await cookies()).get(SESSION_COOKIE)?.value);
  if (!user) redirect("/login");
  // The pages this role may open (the admin API refuses the rest whatever the browser asks).
  const pages = PAGES.filter((p) => mayCall(user, p.needs)).map(({ href, label }) => ({ href, label }));
  return (
    <>
      <header className="top">
        <a className="brand" href="/overview">
          Interference
        </a>
        <Nav pages={pages} />
        <form method="post" action="/api/admin/logout" style={{ display: "flex", gap: 8, alignItems: "center" }}>
          <span className="who" title={`Signed in as ${user.email} (${user.role})`}>
            {user.email} · {user.role}
          </span>
          <button type="submit">Sign out</button>
          <button type="submit" formAction="/api/admin/logout?everywhere=1" title="End every dashboard session of yours, on every replica">
            Sign out everywhere
          </button>
        </form>
      </header>
      <main>{children}</main>
    </>
  );
}
