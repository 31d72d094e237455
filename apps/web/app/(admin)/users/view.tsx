"use client";
import { useCallback, useEffect, useState } from "react";
import { trpc } from "@/lib/trpc/client";
import ErrorAlert from "../error-alert";
import SsoSettings from "./sso-settings";

type User = Awaited<ReturnType<typeof trpc.users.list.query>>[number];
type Team = Awaited<ReturnType<typeof trpc.teams.list.query>>[number];
type Role = User["role"];
type Place = { id: string; role: "lead" | "member" };

const ROLES: Array<{ value: Role; label: string; help: string }> = [
  { value: "owner", label: "owner", help: "everything, users and SSO included" },
  { value: "admin", label: "admin", help: "providers, keys, teams, budgets, prices" },
  { value: "viewer", label: "viewer", help: "reads the overview, logs and usage" },
  { value: "team", label: "team lead / member", help: "their teams' keys and logs only" },
];

/** A role and, for team users, their teams: the invite form and each user's edit form. */
function RoleFields({ role, teams, allTeams, onChange }: { role: Role; teams: Place[]; allTeams: Team[]; onChange: (role: Role, teams: Place[]) => void }) {
  const placeOf = (id: string) => teams.find((t) => t.id === id)?.role ?? "";
  const setPlace = (id: string, place: string) =>
    onChange(role, [...teams.filter((t) => t.id !== id), ...(place ? [{ id, role: place as Place["role"] }] : [])]);
  return (
    <>
      <label>
        Role
        <select name="role" value={role} onChange={(e) => onChange(e.target.value as Role, teams)}>
          {ROLES.map((r) => (
            <option key={r.value} value={r.value} title={r.help}>
              {r.label}
            </option>
          ))}
        </select>
      </label>
      {role === "team" &&
        (allTeams.length === 0 ? (
          <span className="muted">Make a team first (Teams page).</span>
        ) : (
          allTeams.map((t) => (
            <label key={t.id}>
              {t.name}
              <select name={`team-${t.name}`} value={placeOf(t.id)} onChange={(e) => setPlace(t.id, e.target.value)}>
                <option value="">not in it</option>
                <option value="member">member</option>
                <option value="lead">lead</option>
              </select>
            </label>
          ))
        ))}
    </>
  );
}

const roleText = (u: Pick<User, "role" | "teams">) =>
  u.role === "team" ? u.teams.map((t) => `${t.role === "lead" ? "lead" : "member"} of ${t.name}`).join(", ") || "team (no team)" : u.role;

export default function UsersView() {
  const [users, setUsers] = useState<User[] | null>(null);
  const [teams, setTeams] = useState<Team[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [invite, setInvite] = useState<{ email: string; role: Role; teams: Place[]; hours: number }>({ email: "", role: "viewer", teams: [], hours: 72 });
  const [link, setLink] = useState<{ email: string; url: string; expiresAt: string } | null>(null);
  const [editing, setEditing] = useState<{ id: string; role: Role; teams: Place[] } | null>(null);
  const load = useCallback(
    () =>
      Promise.all([trpc.users.list.query(), trpc.teams.list.query()]).then(
        ([u, t]) => (setUsers(u), setTeams(t)),
        (e: Error) => setError(e.message),
      ),
    [],
  );
  useEffect(() => void load(), [load]);
  const fail = (e: Error) => setError(e.message);

  return (
    <>
      <h1>Users</h1>
      <p className="muted">
        People who sign in to this dashboard. Invite someone and send them the link (shown once); they choose a password, or sign in by SSO with the invited
        email. Disabling someone ends their sessions at once on every replica; the API keys they made keep working until revoked.
      </p>
      <form
        className="card row"
        aria-label="invite"
        onSubmit={(e) => {
          e.preventDefault();
          setError(null);
          trpc.users.invite
            .mutate(invite)
            .then((r) => (setLink({ email: r.user.email, url: r.url, expiresAt: String(r.expiresAt) }), setInvite({ ...invite, email: "" }), load()), fail);
        }}
      >
        <label>
          Invite (email)
          <input name="email" type="email" required value={invite.email} onChange={(e) => setInvite({ ...invite, email: e.target.value })} />
        </label>
        <RoleFields role={invite.role} teams={invite.teams} allTeams={teams} onChange={(role, t) => setInvite({ ...invite, role, teams: t })} />
        <label>
          Link valid for (hours)
          <input name="hours" type="number" min={1} max={720} value={invite.hours} onChange={(e) => setInvite({ ...invite, hours: Number(e.target.value) })} />
        </label>
        <button className="primary" type="submit">
          Invite
        </button>
      </form>
      {link && (
        <div className="notice" role="status" data-invite-link>
          <p>
            Send this link to {link.email}. It is shown only now, works once, until {new Date(link.expiresAt).toLocaleString()}:
          </p>
          <input readOnly value={link.url} aria-label="invitation link" style={{ width: "100%" }} onFocus={(e) => e.target.select()} />
        </div>
      )}
      <ErrorAlert error={error} />
      {users && (
        <table className="cards">
          <thead>
            <tr>
              <th>User</th>
              <th>Role</th>
              <th>Status</th>
              <th>Last sign-in</th>
              <th>
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id} data-user={u.email}>
                <td data-label="User">
                  {u.email}
                  {u.firstOwner && <div className="muted">first owner (ADMIN_PASSWORD)</div>}
                </td>
                <td data-label="Role">
                  {editing?.id === u.id ? (
                    <form
                      className="row"
                      aria-label={`role of ${u.email}`}
                      onSubmit={(e) => {
                        e.preventDefault();
                        trpc.users.update.mutate(editing).then(() => (setEditing(null), load()), fail);
                      }}
                    >
                      <RoleFields
                        role={editing.role}
                        teams={editing.teams}
                        allTeams={teams}
                        onChange={(role, t) => setEditing({ ...editing, role, teams: t })}
                      />
                      <button className="primary" type="submit">
                        Save
                      </button>
                      <button type="button" onClick={() => setEditing(null)}>
                        Cancel
                      </button>
                    </form>
                  ) : (
                    <>
                      {roleText(u)}
                      {u.roleSource === "sso" && <div className="muted">from SSO groups</div>}
                    </>
                  )}
                </td>
                <td data-label="Status">
                  {u.disabledAt ? <span className="bad">disabled</span> : u.invitePending ? "invited, not signed in yet" : "active"}
                  {u.sso && <div className="muted">signs in by SSO</div>}
                </td>
                <td data-label="Last sign-in">{u.lastSignInAt ? new Date(u.lastSignInAt).toLocaleString() : <span className="muted">never</span>}</td>
                <td data-label="Actions">
                  <button onClick={() => setEditing({ id: u.id, role: u.role, teams: u.teams.map((t) => ({ id: t.id, role: t.role })) })}>Change role</button>
                  {u.invitePending && !u.disabledAt && (
                    <button
                      onClick={() => {
                        trpc.users.invite
                          .mutate({ email: u.email, role: u.role, teams: u.teams.map((t) => ({ id: t.id, role: t.role })), hours: invite.hours })
                          .then((r) => (setLink({ email: r.user.email, url: r.url, expiresAt: String(r.expiresAt) }), load()), fail);
                      }}
                    >
                      New link
                    </button>
                  )}
                  <button
                    onClick={() => {
                      const disabled = !u.disabledAt;
                      if (disabled && !window.confirm(`Disable ${u.email}? Their sessions end now; the API keys they made keep working until you revoke them.`))
                        return;
                      trpc.users.disable.mutate({ id: u.id, disabled }).then(load, fail);
                    }}
                  >
                    {u.disabledAt ? "Enable" : "Disable"}
                  </button>
                  <a href={`/keys?createdById=${encodeURIComponent(u.id)}`}>Their keys</a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <SsoSettings onError={setError} />
    </>
  );
}
