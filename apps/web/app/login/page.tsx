import { getRuntime } from "@/lib/runtime";
import { loadSso } from "@/lib/admin/people";

export const dynamic = "force-dynamic";
export const metadata = { title: "Sign in" };

const MESSAGES: Record<string, string> = {
  "wrong-password": "Wrong email or password.",
  "too-many-attempts": "Too many attempts: wait a minute.",
  expired: "Your session has ended (it expired, you signed out elsewhere, or your account was disabled): sign in again.",
  "sso-off": "Single sign-on is not set up.",
  "sso-unreachable": "The identity provider could not be reached: try again, or sign in with a password.",
  "sso-failed": "The identity provider's answer did not pass the checks (state, audience, nonce, signature or expiry): sign in again.",
  "sso-domain": "Your email's domain may not sign in here.",
  "sso-no-access": "None of your groups gives you access here: ask an owner to invite you, or to add your group.",
  "sso-disabled": "Your account is disabled: ask an owner.",
  "invite-mismatch": "This invitation is for another email, or it has expired or been used.",
};

export default async function Login({ searchParams }: { searchParams: Promise<{ error?: string }> }) {
  const { error } = await searchParams;
  const sso = await loadSso(await getRuntime());
  return (
    <main style={{ maxWidth: 380, marginTop: 80 }}>
      <h1>Interference</h1>
      <p className="muted">Dashboard sign-in</p>
      {error && (
        <p className="bad" role="alert">
          {MESSAGES[error] ?? "Sign-in failed."}
        </p>
      )}
      {sso && (
        <p>
          <a className="button primary" href="/api/auth/sso/start" style={{ display: "block", textAlign: "center" }}>
            {sso.settings.label}
          </a>
        </p>
      )}
      <form method="post" action="/api/admin/login" className="card" style={{ display: "flex", flexDirection: "column", gap: 12 }}>
        <label htmlFor="email">Email</label>
        <input id="email" name="email" type="text" autoComplete="username" placeholder="blank for the first owner" />
        <label htmlFor="password">Password</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required autoFocus />
        <button className={sso ? undefined : "primary"} type="submit">
          Sign in
        </button>
      </form>
      <p className="muted">
        The first owner signs in with the email left blank and ADMIN_PASSWORD, or the password printed in the server log on first start; others with the email
        and password they chose from their invitation.
      </p>
    </main>
  );
}
