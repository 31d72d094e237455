export const dynamic = "force-dynamic";
export const metadata = { title: "Sign in" };

const MESSAGES: Record<string, string> = {
  "wrong-password": "Wrong password.",
  "too-many-attempts": "Too many attempts: wait a minute.",
  expired: "Your session has ended (it expired, or you signed out elsewhere): sign in again.",
};

export default async function Login({ searchParams }: { searchParams: Promise<{ error?: string }> }) {
  const { error } = await searchParams;
  return (
    <main style={{ maxWidth: 380, marginTop: 80 }}>
      <h1>Interference</h1>
      <p className="muted">Admin sign-in</p>
      <form method="post" action="/api/admin/login" className="card" style={{ display: "flex", flexDirection: "column", gap: 12 }}>
        <label htmlFor="password">Admin password</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required autoFocus />
        {error && <p className="bad">{MESSAGES[error] ?? "Sign-in failed."}</p>}
        <button className="primary" type="submit">
          Sign in
        </button>
      </form>
      <p className="muted">The password is ADMIN_PASSWORD, or the one printed in the server log on first start.</p>
    </main>
  );
}
