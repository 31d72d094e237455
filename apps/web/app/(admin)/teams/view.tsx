"use client";
import { useCallback, useEffect, useState } from "react";
import { trpc } from "@/lib/trpc/client";
import { BudgetList, BudgetsEditor, toRows, toRules, usd, type BudgetRow } from "../budgets";
import ErrorAlert from "../error-alert";
import PurgeCacheButton from "../purge-cache";
import { actsAs, useMe } from "../me";

type Team = Awaited<ReturnType<typeof trpc.teams.list.query>>[number];

/** The team form: a new team (no id) or an existing one. */
type Draft = { id?: string; name: string; budgets: BudgetRow[]; cache: "" | "on" | "off" };
const NEW: Draft = { name: "", budgets: [], cache: "" };
const cacheValue = (c: Draft["cache"]) => (c === "on" ? true : c === "off" ? false : null);

export default function TeamsView() {
  const [teams, setTeams] = useState<Team[] | null>(null);
  const [draft, setDraft] = useState<Draft>(NEW);
  const [error, setError] = useState<string | null>(null);
  const [purged, setPurged] = useState<string | null>(null);
  const me = useMe();
  /** Teams and their budgets are an admin's to change; team users see their own. */
  const manages = actsAs(me, "owner", "admin");
  const load = useCallback(() => trpc.teams.list.query().then(setTeams, (e) => setError(e.message)), []);
  useEffect(() => void load(), [load]);

  const save = () => {
    setError(null);
    const budgets = toRules(draft.budgets);
    const cache = cacheValue(draft.cache);
    const done = draft.id
      ? trpc.teams.update.mutate({ id: draft.id, name: draft.name, budgets, cache })
      : trpc.teams.create.mutate({ name: draft.name, budgets, cache });
    done.then(
      () => (setDraft(NEW), load()),
      (e) => setError(e.message),
    );
  };

  return (
    <>
      <h1>Teams</h1>
      <p className="muted">
        A team groups API keys: their requests count in the team&apos;s spend and budgets as well as their own. Put a key in a team on the API keys page.
      </p>
      {manages && (
        <form
          className="card row"
          aria-label={draft.id ? "team settings" : "new team"}
          onSubmit={(e) => {
            e.preventDefault();
            save();
          }}
        >
          <label>
            {draft.id ? "Name" : "New team"}
            <input name="name" value={draft.name} required maxLength={100} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
          </label>
          <label title="Whether the team's keys may be answered from the response cache (a key's own setting comes first)">
            Response cache
            <select name="cache" value={draft.cache} onChange={(e) => setDraft({ ...draft, cache: e.target.value as Draft["cache"] })}>
              <option value="">as the config says</option>
              <option value="on">on</option>
              <option value="off">off</option>
            </select>
          </label>
          <BudgetsEditor rows={draft.budgets} onChange={(budgets) => setDraft({ ...draft, budgets })} />
          <button className="primary" type="submit">
            {draft.id ? "Save" : "Create team"}
          </button>
          {draft.id && (
            <button type="button" onClick={() => setDraft(NEW)}>
              Cancel
            </button>
          )}
        </form>
      )}
      <ErrorAlert error={error} />
      {purged && (
        <p className="notice" role="status" data-purged>
          {purged}
        </p>
      )}
      {teams && teams.length === 0 && <p className="muted">No teams yet.</p>}
      {teams && teams.length > 0 && (
        <table className="cards">
          <thead>
            <tr>
              <th>Team</th>
              <th>Keys</th>
              <th>People</th>
              <th>Spend and budgets</th>
              <th>Created</th>
              <th>
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {teams.map((t) => (
              <tr key={t.id} data-team={t.name}>
                <td data-label="Team">
                  {t.name}
                  <div className="muted">{t.id}</div>
                </td>
                <td data-label="Keys" data-keys>
                  {t.keys.length === 0 && <span className="muted">none</span>}
                  {t.keys.map((k) => (
                    <div key={k.id} className={k.revoked ? "muted" : undefined} data-team-key={k.name}>
                      <a href={`/logs?apiKeyId=${encodeURIComponent(k.id)}`} title="This key's requests in the log">
                        {k.name}
                      </a>{" "}
                      <span className="muted">{k.revoked ? "revoked" : `${usd(k.monthUsd)} this month`}</span>
                    </div>
                  ))}
                  {t.cache !== null && <div className="muted">response cache {t.cache ? "on" : "off"}</div>}
                </td>
                <td data-label="People" data-members>
                  {t.members.length === 0 && <span className="muted">none</span>}
                  {t.members.map((m) => (
                    <div key={m.id} className={m.disabled ? "muted" : undefined}>
                      {m.email} <span className="muted">{m.role}</span>
                      {m.disabled && <span className="muted"> (disabled)</span>}
                    </div>
                  ))}
                </td>
                <td data-label="Spend and budgets" data-spend>
                  {usd(t.spentMonthUsd)} this month · {usd(t.spentTotalUsd)} in total
                  <BudgetList budgets={t.budgetStatus} alertPercent={t.alertPercent} />
                </td>
                <td data-label="Created">{new Date(t.createdAt).toLocaleString()}</td>
                <td data-label="Actions">
                  {manages && (
                    <button
                      onClick={() =>
                        setDraft({ id: t.id, name: t.name, budgets: toRows(t.budgets), cache: t.cache === true ? "on" : t.cache === false ? "off" : "" })
                      }
                    >
                      Edit
                    </button>
                  )}
                  {(manages || me?.teams.some((m) => m.id === t.id && m.role === "lead")) && (
                    <PurgeCacheButton
                      owner="team"
                      id={t.id}
                      name={t.name}
                      title="Delete the answers the response cache shares within this team (with cache scope: team)"
                      onDone={setPurged}
                      onError={setError}
                    />
                  )}
                  {manages && (
                    <button
                      onClick={() => {
                        if (!window.confirm(`Delete team ${t.name}? Its ${t.keyCount} key(s) stay, in no team; its past spend stays in the logs.`)) return;
                        void trpc.teams.remove.mutate({ id: t.id }).then(load, (e) => setError(e.message));
                      }}
                    >
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
