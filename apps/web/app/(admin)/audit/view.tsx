"use client";
import { useCallback, useEffect, useState } from "react";
import { trpc } from "@/lib/trpc/client";
import ErrorAlert from "../error-alert";

type Page = Awaited<ReturnType<typeof trpc.audit.list.query>>;
type Row = Page["rows"][number];

const ACTIONS = [
  ["", "anything"],
  ["signin", "sign-ins and failed sign-ins"],
  ["signout", "sign-outs"],
  ["providers.", "providers"],
  ["routing.", "routing"],
  ["keys.", "API keys"],
  ["teams.", "teams and budgets"],
  ["cache.", "response cache"],
  ["users.", "users and roles"],
  ["invite.", "invitations accepted"],
  ["sso.", "single sign-on settings"],
] as const;

type Filter = { text: string; action: string; from: string; to: string };
const EMPTY: Filter = { text: "", action: "", from: "", to: "" };

/** The filter as the admin API and the export take it (local date-times as instants). */
function query(f: Filter) {
  return {
    ...(f.text.trim() ? { text: f.text.trim() } : {}),
    ...(f.action ? { action: f.action } : {}),
    ...(f.from ? { from: new Date(f.from).toISOString() } : {}),
    ...(f.to ? { to: new Date(f.to).toISOString() } : {}),
  };
}

const show = (v: unknown) => (v === null || v === undefined ? "∅" : typeof v === "string" ? v : JSON.stringify(v));

function Changes({ changes }: { changes: Row["changes"] }) {
  if (!changes) return <span className="muted">—</span>;
  return (
    <ul className="plain">
      {Object.entries(changes).map(([field, { before, after }]) => (
        <li key={field}>
          <code>{field}</code>: {show(before)} → {show(after)}
        </li>
      ))}
    </ul>
  );
}

/** Every change made in the dashboard and every sign-in, newest first; append-only, kept AUDIT_RETENTION_DAYS. */
export default function AuditView() {
  const [filter, setFilter] = useState<Filter>(EMPTY);
  const [applied, setApplied] = useState<Filter>(EMPTY);
  const [rows, setRows] = useState<Row[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback((f: Filter, cursor: string | null) => {
    setError(null);
    trpc.audit.list.query({ ...query(f), cursor, limit: 50 }).then(
      (page) => (setRows((old) => (cursor ? [...(old ?? []), ...page.rows] : page.rows)), setNext(page.nextCursor)),
      (e: Error) => (setError(e.message), setRows(null), setNext(null)),
    );
  }, []);
  useEffect(() => load(applied, null), [applied, load]);
  const exportUrl = (format: string) => `/api/admin/audit/export?${new URLSearchParams({ format, ...query(applied) }).toString()}`;

  return (
    <>
      <h1>Audit log</h1>
      <p className="muted">
        Who changed what, when and from where: every change made in the dashboard, and every sign-in. Secrets show only as changed. Rows cannot be edited or
        deleted; they are kept for AUDIT_RETENTION_DAYS (default 365).
      </p>
      <form
        className="card row"
        aria-label="audit filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(filter);
        }}
      >
        <label>
          Who or what (email, target)
          <input name="text" value={filter.text} onChange={(e) => setFilter({ ...filter, text: e.target.value })} />
        </label>
        <label>
          Action
          <select name="action" value={filter.action} onChange={(e) => setFilter({ ...filter, action: e.target.value })}>
            {ACTIONS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          From
          <input name="from" type="datetime-local" value={filter.from} onChange={(e) => setFilter({ ...filter, from: e.target.value })} />
        </label>
        <label>
          To
          <input name="to" type="datetime-local" value={filter.to} onChange={(e) => setFilter({ ...filter, to: e.target.value })} />
        </label>
        <button className="primary" type="submit">
          Filter
        </button>
        <a className="button" href={exportUrl("csv")} download>
          Export CSV
        </a>
        <a className="button" href={exportUrl("jsonl")} download>
          Export JSON lines
        </a>
      </form>
      <ErrorAlert error={error} />
      {rows && rows.length === 0 && <p className="muted">Nothing matches.</p>}
      {rows && rows.length > 0 && (
        <table className="cards">
          <thead>
            <tr>
              <th>When</th>
              <th>Who</th>
              <th>What</th>
              <th>Changes</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-audit={r.action}>
                <td data-label="When">{new Date(r.time).toLocaleString()}</td>
                <td data-label="Who">
                  {r.actorEmail ?? <span className="muted">unknown</span>}
                  {r.address && <div className="muted">{r.address}</div>}
                </td>
                <td data-label="What">
                  <code>{r.action}</code>
                  {r.target && <div className="muted">{r.target}</div>}
                </td>
                <td data-label="Changes">
                  <Changes changes={r.changes} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next && (
        <button type="button" onClick={() => load(applied, next)}>
          Older
        </button>
      )}
    </>
  );
}
