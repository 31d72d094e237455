import { getRuntime } from "@/lib/runtime";
import { loadSso } from "@/lib/admin/people";
import { MIN_PASSWORD_LENGTH } from "@/lib/form";

export const dynamic = "force-dynamic";
export const metadata = { title: "Accept the invitation" };

const MESSAGES: Record<string, string> = {
  "short-password": `Choose a password of at least ${MIN_PASSWORD_LENGTH} characters.`,
  mismatch: "The two passwords differ.",
  expired: "This invitation has expired or been used: ask for a new one.",
  "too-many-attempts": "Too many attempts: wait a minute.",
};

/** An invitation link: the invited person chooses a password (or signs in by SSO as the invited email). */
export default async function Invite({ params, searchParams }: { params: Promise<{ token: string }>; searchParams: Promise<{ error?: string }> }) {
  const [{ token }, { error }] = await Promise.all([params, searchParams]);
  const runtime = await getRuntime();
  const [user, sso] = await Promise.all([runtime.store.users.invite(token), loadSso(runtime)]);
  return (
    <main style={{ maxWidth: 420, marginTop: 80 }}>
      <h1>Interference</h1>
      {!user || user.disabledAt ? (
        <p className="bad" role="alert">
          This invitation has expired or been used: ask an owner for a new one.
        </p>
      ) : (
        <>
          <p>
            You are invited as <strong>{user.email}</strong> ({user.role === "team" ? user.teams.map((t) => `${t.role} of ${t.name}`).join(", ") : user.role}).
          </p>
          {error && (
            <p className="bad" role="alert">
              {MESSAGES[error] ?? "That did not work."}
            </p>
          )}
          {sso && (
            <p>
              <a className="button" href={`/api/auth/sso/start?invite=${encodeURIComponent(token)}`}>
                {sso.settings.label} as {user.email}
              </a>
            </p>
          )}
          <form method="post" action="/api/admin/invite" className="card" style={{ display: "flex", flexDirection: "column", gap: 12 }}>
            <input type="hidden" name="token" value={token} />
            <label htmlFor="password">Choose a password</label>
            <input id="password" name="password" type="password" autoComplete="new-password" minLength={MIN_PASSWORD_LENGTH} required autoFocus />
            <label htmlFor="confirm">The same again</label>
            <input id="confirm" name="confirm" type="password" autoComplete="new-password" minLength={MIN_PASSWORD_LENGTH} required />
            <button className="primary" type="submit">
              Set password and sign in
            </button>
          </form>
        </>
      )}
    </main>
  );
}
