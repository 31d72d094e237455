"use client";
import { useCallback, useEffect, useState } from "react";
import { trpc } from "@/lib/trpc/client";
import ErrorAlert from "../error-alert";
import { actsAs, useMe } from "../me";

type Rule = Awaited<ReturnType<typeof trpc.alerts.rules.query>>[number];
type Event = Awaited<ReturnType<typeof trpc.alerts.events.query>>[number];
type Kind = Rule["kind"];

const KINDS: Record<Kind, { label: string; unit: string; provider: boolean; window: boolean; budget?: boolean }> = {
  provider_error_rate: { label: "a provider's error rate", unit: "% of requests", provider: true, window: true },
  provider_p95: { label: "a provider's p95 latency", unit: "ms", provider: true, window: true },
  circuit_open: { label: "a provider's circuit opens", unit: "", provider: true, window: false },
  daily_spend: { label: "spend today (UTC)", unit: "USD", provider: false, window: false },
  budget: { label: "a key's or team's budget", unit: "% spent", provider: false, window: false, budget: true },
};

type Draft = {
  id?: string;
  name: string;
  kind: Kind;
  provider: string;
  budgetOwner: string;
  threshold: string;
  windowMinutes: string;
  minRequests: string;
  webhookUrl: string;
  format: Rule["format"];
};
const NEW: Draft = {
  name: "",
  kind: "provider_error_rate",
  provider: "",
  budgetOwner: "",
  threshold: "20",
  windowMinutes: "5",
  minRequests: "5",
  webhookUrl: "",
  format: "slack",
};

/** Alert rules (a condition, a webhook) and the alerts they fired; every replica checks them, one delivers each. */
export default function AlertsView() {
  const [rules, setRules] = useState<Rule[] | null>(null);
  const [events, setEvents] = useState<Event[]>([]);
  const [providers, setProviders] = useState<string[]>([]);
  /** Keys and teams with budgets, for budget rules: "key:<id>" / "team:<id>" and a name. */
  const [owners, setOwners] = useState<Array<{ value: string; label: string }>>([]);
  const [draft, setDraft] = useState<Draft>(NEW);
  const [error, setError] = useState<string | null>(null);
  const me = useMe();
  const manages = actsAs(me, "owner", "admin");
  const load = useCallback(() => {
    trpc.alerts.rules.query().then(setRules, (e: Error) => setError(e.message));
    trpc.alerts.events.query({ limit: 100 }).then(setEvents, (e: Error) => setError(e.message));
  }, []);
  useEffect(() => {
    load();
    trpc.providers.list.query().then(
      (list) => setProviders(list.map((p) => p.id)),
      () => setProviders([]),
    );
    Promise.all([trpc.keys.list.query(), trpc.teams.list.query()]).then(
      ([keys, teams]) =>
        setOwners([
          ...teams.filter((t) => t.budgets.length).map((t) => ({ value: `team:${t.id}`, label: `team ${t.name}` })),
          ...keys.filter((k) => k.budgets.length && !k.revokedAt).map((k) => ({ value: `key:${k.id}`, label: `key ${k.name}` })),
        ]),
      () => setOwners([]),
    );
    const timer = setInterval(load, 10_000);
    return () => clearInterval(timer);
  }, [load]);
  const kind = KINDS[draft.kind];

  const save = () => {
    setError(null);
    trpc.alerts.save
      .mutate({
        ...(draft.id ? { id: draft.id } : {}),
        name: draft.name,
        kind: draft.kind,
        provider: kind.provider ? draft.provider : null,
        budgetOwner: kind.budget ? draft.budgetOwner : null,
        threshold: kind.unit ? Number(draft.threshold) : 1,
        windowSeconds: Math.round(Number(draft.windowMinutes) * 60),
        minRequests: Number(draft.minRequests),
        webhookUrl: draft.webhookUrl,
        format: draft.format,
      })
      .then(
        () => (setDraft(NEW), load()),
        (e: Error) => setError(e.message),
      );
  };

  return (
    <>
      <h1>Alerts</h1>
      <p className="muted">
        Each rule is checked every 30 s (ALERT_CHECK_SECONDS) on every replica; an alert is sent once when it fires and once when it clears, to a Slack or
        Microsoft Teams incoming webhook, or as JSON.
      </p>
      {manages && (
        <form
          className="card row"
          aria-label={draft.id ? "alert rule" : "new alert rule"}
          onSubmit={(e) => {
            e.preventDefault();
            save();
          }}
        >
          <label>
            Name
            <input name="name" required maxLength={100} value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
          </label>
          <label>
            When
            <select name="kind" value={draft.kind} onChange={(e) => setDraft({ ...draft, kind: e.target.value as Kind })}>
              {(Object.keys(KINDS) as Kind[]).map((k) => (
                <option key={k} value={k}>
                  {KINDS[k].label}
                </option>
              ))}
            </select>
          </label>
          {kind.provider && (
            <label>
              Provider
              <select name="provider" required value={draft.provider} onChange={(e) => setDraft({ ...draft, provider: e.target.value })}>
                <option value="">choose</option>
                {providers.map((p) => (
                  <option key={p} value={p}>
                    {p}
                  </option>
                ))}
              </select>
            </label>
          )}
          {kind.budget && (
            <label>
              Budgets of
              <select name="budgetOwner" required value={draft.budgetOwner} onChange={(e) => setDraft({ ...draft, budgetOwner: e.target.value })}>
                <option value="">choose (keys and teams with budgets)</option>
                {owners.map((o) => (
                  <option key={o.value} value={o.value}>
                    {o.label}
                  </option>
                ))}
              </select>
            </label>
          )}
          {kind.unit && (
            <label>
              Over ({kind.unit})
              <input
                name="threshold"
                type="number"
                min={0}
                step="any"
                required
                value={draft.threshold}
                onChange={(e) => setDraft({ ...draft, threshold: e.target.value })}
              />
            </label>
          )}
          {kind.window && (
            <>
              <label>
                For the last (minutes)
                <input
                  name="window"
                  type="number"
                  min={0.1}
                  step="any"
                  required
                  value={draft.windowMinutes}
                  onChange={(e) => setDraft({ ...draft, windowMinutes: e.target.value })}
                />
              </label>
              <label>
                With at least (requests)
                <input
                  name="minRequests"
                  type="number"
                  min={1}
                  required
                  value={draft.minRequests}
                  onChange={(e) => setDraft({ ...draft, minRequests: e.target.value })}
                />
              </label>
            </>
          )}
          <label>
            Webhook URL
            <input
              name="webhookUrl"
              type="url"
              required={!draft.id}
              placeholder={draft.id ? "set: empty keeps it" : "https://hooks.slack.com/services/…"}
              value={draft.webhookUrl}
              onChange={(e) => setDraft({ ...draft, webhookUrl: e.target.value })}
            />
          </label>
          <label>
            Format
            <select name="format" value={draft.format} onChange={(e) => setDraft({ ...draft, format: e.target.value as Draft["format"] })}>
              <option value="slack">Slack</option>
              <option value="teams">Microsoft Teams</option>
              <option value="json">JSON</option>
            </select>
          </label>
          <button className="primary" type="submit">
            {draft.id ? "Save rule" : "Add rule"}
          </button>
          {draft.id && (
            <button type="button" onClick={() => setDraft(NEW)}>
              Cancel
            </button>
          )}
        </form>
      )}
      <ErrorAlert error={error} />
      {rules && rules.length === 0 && <p className="muted">No alert rules yet.</p>}
      {rules && rules.length > 0 && (
        <table className="cards">
          <thead>
            <tr>
              <th>Rule</th>
              <th>Condition</th>
              <th>Webhook</th>
              <th>
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rules.map((r) => (
              <tr key={r.id} data-rule={r.name}>
                <td data-label="Rule">
                  {r.name}
                  {events.some((e) => e.ruleId === r.id && !e.resolvedAt) && <span className="bad"> · firing</span>}
                </td>
                <td data-label="Condition">
                  {KINDS[r.kind].label}
                  {r.provider ? ` of ${r.provider}` : ""}
                  {r.budgetOwner ? ` of ${owners.find((o) => o.value === r.budgetOwner)?.label ?? r.budgetOwner}` : ""}
                  {KINDS[r.kind].unit && ` over ${r.threshold} ${KINDS[r.kind].unit}`}
                  {KINDS[r.kind].window &&
                    ` for the last ${r.windowSeconds >= 120 ? `${Math.round(r.windowSeconds / 60)} min` : `${r.windowSeconds} s`} (at least ${r.minRequests} request${r.minRequests === 1 ? "" : "s"})`}
                </td>
                <td data-label="Webhook">
                  {r.webhookUrl} <span className="muted">{r.format}</span>
                </td>
                <td data-label="Actions">
                  {manages && (
                    <>
                      <button
                        onClick={() =>
                          setDraft({
                            id: r.id,
                            name: r.name,
                            kind: r.kind,
                            provider: r.provider ?? "",
                            budgetOwner: r.budgetOwner ?? "",
                            threshold: String(r.threshold),
                            windowMinutes: String(r.windowSeconds / 60),
                            minRequests: String(r.minRequests),
                            webhookUrl: "",
                            format: r.format,
                          })
                        }
                      >
                        Edit
                      </button>
                      <button
                        onClick={() => {
                          if (!window.confirm(`Delete the rule ${r.name} and its alerts?`)) return;
                          trpc.alerts.remove.mutate({ id: r.id }).then(load, (e: Error) => setError(e.message));
                        }}
                      >
                        Delete
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Alerts fired</h2>
      {events.length === 0 && <p className="muted">None yet.</p>}
      {events.length > 0 && <AlertList events={events} />}
    </>
  );
}

/** Alerts, newest first: what was seen, when, and when it cleared (the Overview shows the open ones too). */
export function AlertList({ events }: { events: Event[] }) {
  return (
    <ul className="plain alerts">
      {events.map((e) => (
        <li key={e.id} className={e.resolvedAt ? undefined : "bad"} data-alert={e.resolvedAt ? "resolved" : "firing"}>
          <strong>{e.ruleName}</strong>: {e.message} · {new Date(e.firedAt).toLocaleString()}
          {e.resolvedAt ? <span className="muted"> · cleared {new Date(e.resolvedAt).toLocaleString()}</span> : " · firing"}
        </li>
      ))}
    </ul>
  );
}
