"use client";
import { useCallback, useEffect, useState } from "react";
import { trpc } from "@/lib/trpc/client";
import { BudgetList, BudgetsEditor, toRows, toRules, usd, type BudgetRow } from "../budgets";
import ErrorAlert from "../error-alert";

type Team = Awaited<ReturnType<typeof trpc.teams.list.query>>[number];

/** The team form: a new team (no id) or an existing one. */
type Draft = { id?: string; name: string; budgets: BudgetRow[] };

export default function TeamsView() {
  const [teams, setTeams] = useState<Team[] | null>(null);
  const [draft, setDraft] = useState<Draft>({ name: "", budgets: [] });
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => trpc.teams.list.query().then(setTeams, (e) => setError(e.message)), []);
  useEffect(() => void load(), [load]);

  const save = () => {
    setError(null);
    const budgets = toRules(draft.budgets);
    const done = draft.id ? trpc.teams.update.mutate({ id: draft.id, name: draft.name, budgets }) : trpc.teams.create.mutate({ name: draft.name, budgets });
    done.then(
      () => (setDraft({ name: "", budgets: [] }), load()),
      (e) => setError(e.message),
    );
  };

  return (
    <>
      <h1>Teams</h1>
      <p className="muted">
        A team groups API keys: their requests count in the team&apos;s spend and budgets as well as their own. Put a key in a team on the API keys page.
      </p>
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
        <BudgetsEditor rows={draft.budgets} onChange={(budgets) => setDraft({ ...draft, budgets })} />
        <button className="primary" type="submit">
          {draft.id ? "Save" : "Create team"}
        </button>
        {draft.id && (
          <button type="button" onClick={() => setDraft({ name: "", budgets: [] })}>
            Cancel
          </button>
        )}
      </form>
      <ErrorAlert error={error} />
      {teams && teams.length === 0 && <p className="muted">No teams yet.</p>}
      {teams && teams.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Team</th>
              <th>Keys</th>
              <th>Spend and budgets</th>
              <th>Created</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {teams.map((t) => (
              <tr key={t.id} data-team={t.name}>
                <td>
                  {t.name}
                  <div className="muted">{t.id}</div>
                </td>
                <td>{t.keyCount}</td>
                <td data-spend>
                  {usd(t.spentMonthUsd)} this month · {usd(t.spentTotalUsd)} in total
                  <BudgetList budgets={t.budgetStatus} alertPercent={t.alertPercent} />
                </td>
                <td>{new Date(t.createdAt).toLocaleString()}</td>
                <td>
                  <button onClick={() => setDraft({ id: t.id, name: t.name, budgets: toRows(t.budgets) })}>Edit</button>
                  <button
                    onClick={() => {
                      if (!window.confirm(`Delete team ${t.name}? Its ${t.keyCount} key(s) stay, in no team; its past spend stays in the logs.`)) return;
                      void trpc.teams.remove.mutate({ id: t.id }).then(load, (e) => setError(e.message));
                    }}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
