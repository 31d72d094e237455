"use client";
import { useCallback, useEffect, useState } from "react";
import { trpc } from "@/lib/trpc/client";

type Page = Awaited<ReturnType<typeof trpc.logs.list.query>>;
type Row = Page["rows"][number];
const FILTERS = ["provider", "model", "status", "apiKeyId", "from", "to"] as const;

export default function LogsView() {
  const [filter, setFilter] = useState<Record<string, string>>({});
  const [rows, setRows] = useState<Row[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [detail, setDetail] = useState<Row | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(
    (from: string | null, append: boolean) =>
      trpc.logs.list.query({ ...filter, cursor: from, limit: 50 }).then(
        (page) => {
          setRows((r) => (append ? [...r, ...page.rows] : page.rows));
          setCursor(page.nextCursor);
        },
        (e) => setError(e.message),
      ),
    [filter],
  );
  useEffect(() => void load(null, false), [load]);

  return (
    <>
      <h1>Request logs</h1>
      <form className="row card" onSubmit={(e) => (e.preventDefault(), void load(null, false))} aria-label="filters">
        {FILTERS.map((f) => (
          <label key={f}>
            {f === "apiKeyId" ? "API key id" : f}
            <input
              name={f}
              type={f === "from" || f === "to" ? "datetime-local" : "text"}
              placeholder={f === "status" ? "200, 4xx, 5xx" : ""}
              value={filter[f] ?? ""}
              onChange={(e) => setFilter({ ...filter, [f]: e.target.value })}
            />
          </label>
        ))}
        <button className="primary" type="submit">
          Filter
        </button>
      </form>
      {error && <p className="bad">{error}</p>}
      {detail && (
        <div className="card" aria-label="request detail">
          <div className="row" style={{ justifyContent: "space-between" }}>
            <h2>Request {detail.id}</h2>
            <button onClick={() => setDetail(null)}>Close</button>
          </div>
          <p>
            {new Date(detail.time).toLocaleString()} · {detail.method} {detail.route} · status {detail.status} · {detail.latencyMs} ms
            {detail.ttftMs != null && ` · first token ${detail.ttftMs} ms`}
          </p>
          <p>
            Model {detail.model ?? "(default)"} → {detail.servedModel ?? "–"} · requested providers: {detail.requestedProviders ?? "(any)"} · key{" "}
            {detail.apiKeyId ?? "none"}
          </p>
          <h3>Providers tried</h3>
          <ol>
            {detail.attempts.map((a, i) => (
              <li key={i} className={a.outcome === "served" ? "good" : a.outcome === "failed" ? "bad" : "muted"}>
                {a.provider}: {a.outcome}
                {a.reason ? ` — ${a.reason}` : ""}
                {a.latency_ms != null ? ` (${a.latency_ms} ms)` : ""}
              </li>
            ))}
          </ol>
          {detail.error && <p className="bad">Error: {detail.error}</p>}
          <p className="muted">
            Tokens: {detail.promptTokens ?? "–"} in, {detail.completionTokens ?? "–"} out · cost {usd(detail.cost, detail.costEstimated)}
          </p>
        </div>
      )}
      <table>
        <thead>
          <tr>
            <th>Time</th>
            <th>Route</th>
            <th>Model</th>
            <th>Provider</th>
            <th>Status</th>
            <th>Latency</th>
            <th>Tokens</th>
            <th>Cost</th>
            <th>Key</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} onClick={() => setDetail(r)} style={{ cursor: "pointer" }} data-log={r.id}>
              <td>{new Date(r.time).toLocaleString()}</td>
              <td>
                {r.route}
                {r.stream && <span className="pill">stream</span>}
              </td>
              <td>{r.model ?? <span className="muted">default</span>}</td>
              <td>{r.provider ?? <span className="bad">none</span>}</td>
              <td className={r.status >= 400 ? "bad" : "good"}>{r.status}</td>
              <td>{r.latencyMs} ms</td>
              <td>{r.totalTokens ?? "–"}</td>
              <td>{usd(r.cost, r.costEstimated)}</td>
              <td className="muted">{r.apiKeyId ?? "–"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 && <p className="muted">No requests match.</p>}
      {cursor && (
        <button style={{ marginTop: 12 }} onClick={() => void load(cursor, true)}>
          Older
        </button>
      )}
    </>
  );
}

/** "$0.000092", "≈$0.0004" for a cut stream's estimate, "–" when the model has no price. */
function usd(cost: number | null, estimated: boolean): string {
  if (cost === null) return "–";
  if (cost > 0 && cost < 0.000001) return `${estimated ? "≈" : ""}<$0.000001`;
  const digits = cost >= 0.01 ? 4 : 6;
  return `${estimated ? "≈" : ""}$${cost.toFixed(digits).replace(/0+$/, "").replace(/\.$/, "")}`;
}
