"use client";
/**
 * The Overview: how the gateway is doing over a range (15 minutes to 30 days back from now, or a custom one),
 * figures first and then charts over time, refreshing on its own every 5 s while live (pausable).
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { trpc } from "@/lib/trpc/client";
import { axisFormat, COLORS, compact, duration, money, peak, slots, tickFor, tooltipStyle } from "../charts";
import ErrorAlert from "../error-alert";
import { AlertList } from "../alerts/view";

type Overview = Awaited<ReturnType<typeof trpc.overview.query>>;

const RANGES: Record<string, { minutes: number; label: string }> = {
  "15m": { minutes: 15, label: "15 minutes" },
  "1h": { minutes: 60, label: "1 hour" },
  "24h": { minutes: 24 * 60, label: "24 hours" },
  "7d": { minutes: 7 * 24 * 60, label: "7 days" },
  "30d": { minutes: 30 * 24 * 60, label: "30 days" },
};
const REFRESH_MS = 5000;

/** A datetime-local value (the admin's own time) as the instant it means. */
const instant = (local: string) => new Date(local).toISOString();
const percent = (part: number, whole: number) => (whole ? `${((part / whole) * 100).toFixed(1)}%` : "–");

export default function OverviewView() {
  const [range, setRange] = useState("1h");
  /** A custom range as typed (the admin's time), and as applied. */
  const [draft, setDraft] = useState({ from: "", to: "" });
  const [custom, setCustom] = useState<{ from: string; to: string } | null>(null);
  const [live, setLive] = useState(true);
  const [data, setData] = useState<Overview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const latest = useRef(0);

  useEffect(() => {
    const q = new URLSearchParams(window.location.search);
    const r = q.get("range");
    if (r && (r in RANGES || r === "custom")) setRange(r);
    if (r === "custom" && q.get("from")) {
      const applied = { from: q.get("from")!, to: q.get("to") ?? "" };
      setDraft(applied);
      setCustom(applied);
    }
  }, []);

  const [firing, setFiring] = useState<Awaited<ReturnType<typeof trpc.alerts.events.query>>>([]);
  const load = useCallback(() => {
    if (range === "custom" && !custom) return;
    const ticket = ++latest.current;
    const input =
      range === "custom" ? { from: instant(custom!.from), ...(custom!.to ? { to: instant(custom!.to) } : {}) } : { minutes: RANGES[range]!.minutes };
    trpc.overview.query(input).then(
      (d) => {
        if (ticket !== latest.current) return; // an older answer arriving late
        setData(d);
        setError(null);
      },
      (e: Error) => ticket === latest.current && setError(e.message),
    );
    // Alerts still firing, with the figures (a role that may not read them sees none).
    trpc.alerts.events.query({ open: true, limit: 20 }).then(setFiring, () => setFiring([]));
  }, [range, custom]);

  useEffect(() => {
    load();
    const q = new URLSearchParams({ range });
    if (range === "custom" && custom) {
      q.set("from", custom.from);
      if (custom.to) q.set("to", custom.to);
    }
    window.history.replaceState(null, "", `${window.location.pathname}?${q}`);
  }, [load, range, custom]);

  // A custom range is fixed: only "the last …" ranges move with the clock.
  const refreshing = live && range !== "custom";
  useEffect(() => {
    if (!refreshing) return;
    const timer = setInterval(load, REFRESH_MS);
    return () => clearInterval(timer);
  }, [refreshing, load]);

  const series = useMemo(() => {
    if (!data) return [];
    const byTime = new Map(data.series.map((b) => [new Date(b.t).getTime(), b]));
    return slots(new Date(data.from).getTime(), new Date(data.to).getTime(), data.bucket).map((t) => {
      const b = byTime.get(t);
      return {
        t,
        served: b ? b.requests - b.errors : 0,
        errors: b?.errors ?? 0,
        p50: b?.p50Ms ?? null,
        p95: b?.p95Ms ?? null,
        ttft: b?.ttftP50Ms ?? null,
        input: b?.promptTokens ?? 0,
        output: b?.completionTokens ?? 0,
        cost: b?.cost ?? 0,
        cacheHits: b?.cacheHits ?? 0,
        cacheMisses: b ? b.cacheLookups - b.cacheHits : 0,
        cacheSaved: b?.cacheSaved ?? 0,
      };
    });
  }, [data]);
  const tick = tickFor(data?.bucket);
  const total = data?.total;

  /** One chart of the series: stacked bars (counts) or lines (latencies, where a gap is no data, not zero). */
  const chart = (
    label: string,
    key: string,
    unit: "usd" | "count" | "duration",
    kind: "bars" | "lines",
    parts: Array<{ key: string; name: string; color: string }>,
  ) => {
    const format = axisFormat(
      unit,
      peak(
        series,
        parts.map((p) => p.key),
        kind === "bars",
      ),
    );
    const margin = { top: 8, right: 16, bottom: 0, left: 8 };
    const axes = [
      <CartesianGrid key="grid" strokeDasharray="3 3" stroke="var(--line)" vertical={false} />,
      <XAxis key="x" dataKey="t" tickFormatter={tick} stroke="var(--muted)" fontSize={12} minTickGap={24} />,
      <YAxis key="y" tickFormatter={format} stroke="var(--muted)" fontSize={12} width={64} />,
      <Tooltip key="tip" labelFormatter={(t) => new Date(Number(t)).toLocaleString()} contentStyle={tooltipStyle} />,
      <Legend key="legend" />,
    ];
    return (
      <section className="card" aria-label={label} data-chart={key}>
        <h2>{label}</h2>
        <ResponsiveContainer width="100%" height={200}>
          {kind === "bars" ? (
            <BarChart data={series} margin={margin}>
              {axes}
              {parts.map((p) => (
                <Bar key={p.key} dataKey={p.key} name={p.name} stackId="1" fill={p.color} isAnimationActive={false} />
              ))}
            </BarChart>
          ) : (
            <LineChart data={series} margin={margin}>
              {axes}
              {parts.map((p) => (
                <Line key={p.key} dataKey={p.key} name={p.name} stroke={p.color} dot={{ r: 2 }} connectNulls isAnimationActive={false} />
              ))}
            </LineChart>
          )}
        </ResponsiveContainer>
      </section>
    );
  };

  return (
    <>
      {firing.length > 0 && (
        <section className="card firing" aria-label="alerts firing">
          <h2>
            <a href="/alerts">Alerts firing</a>
          </h2>
          <AlertList events={firing} />
        </section>
      )}
      <div className="row" style={{ justifyContent: "space-between" }}>
        <h1>Overview</h1>
        <div className="row">
          <label>
            Over the last
            <select name="range" value={range} onChange={(e) => setRange(e.target.value)}>
              {Object.entries(RANGES).map(([id, r]) => (
                <option key={id} value={id}>
                  {r.label}
                </option>
              ))}
              <option value="custom">custom range…</option>
            </select>
          </label>
          <button
            type="button"
            aria-pressed={refreshing}
            disabled={range === "custom"}
            onClick={() => setLive(!live)}
            title={range === "custom" ? "A custom range does not move: live mode is for the last 15 minutes to 30 days" : undefined}
          >
            {refreshing ? "Pause live" : "Go live"}
          </button>
          <span className="muted" data-updated aria-live="polite">
            {refreshing ? `live · every ${REFRESH_MS / 1000} s` : "paused"}
            {data && ` · updated ${new Date(data.to).toLocaleTimeString()}`}
          </span>
        </div>
      </div>
      {range === "custom" && (
        <form className="row card" aria-label="custom range" onSubmit={(e) => (e.preventDefault(), draft.from && setCustom({ ...draft }))}>
          <label>
            From (your time)
            <input name="from" type="datetime-local" required value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
          </label>
          <label>
            To (your time; empty: now)
            <input name="to" type="datetime-local" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
          </label>
          <button className="primary" type="submit">
            Show
          </button>
        </form>
      )}
      <ErrorAlert error={error} />
      {total && (
        <dl className="tiles" aria-label="figures">
          <div data-stat="requests">
            <dt>Requests</dt>
            <dd>{total.requests.toLocaleString()}</dd>
          </div>
          <div data-stat="error-rate">
            <dt>Error rate</dt>
            <dd className={total.errors ? "bad" : undefined}>{percent(total.errors, total.requests)}</dd>
            <dd className="sub">{total.errors} answered ≥ 400</dd>
          </div>
          <div data-stat="latency">
            <dt>Latency p50 / p95</dt>
            <dd>
              {duration(total.p50Ms)} / {duration(total.p95Ms)}
            </dd>
          </div>
          <div data-stat="ttft">
            <dt>First token p50 / p95</dt>
            <dd>
              {duration(total.ttftP50Ms)} / {duration(total.ttftP95Ms)}
            </dd>
            <dd className="sub">streamed requests</dd>
          </div>
          <div data-stat="spend">
            <dt>Spend</dt>
            <dd>{money(total.cost)}</dd>
          </div>
          <div data-stat="tokens">
            <dt>Tokens in / out</dt>
            <dd>
              {compact(total.promptTokens)} / {compact(total.completionTokens)}
            </dd>
          </div>
          {total.cacheLookups > 0 && (
            <div data-stat="cache">
              <dt>Cache hit rate</dt>
              <dd>{percent(total.cacheHits, total.cacheLookups)}</dd>
              <dd className="sub">
                {total.cacheHits.toLocaleString()} of {total.cacheLookups.toLocaleString()} lookups
              </dd>
              <dd className="sub">saved {money(total.cacheSaved)}</dd>
            </div>
          )}
        </dl>
      )}
      {total && total.requests === 0 && <p className="muted">No requests in this range.</p>}
      {total && total.requests > 0 && (
        <div className="charts">
          {chart("Requests", "requests", "count", "bars", [
            { key: "served", name: "answered < 400", color: COLORS[0]! },
            { key: "errors", name: "errors (≥ 400)", color: COLORS[5]! },
          ])}
          {chart("Latency", "latency", "duration", "lines", [
            { key: "p50", name: "p50", color: COLORS[0]! },
            { key: "p95", name: "p95", color: COLORS[1]! },
            { key: "ttft", name: "first token p50", color: COLORS[2]! },
          ])}
          {chart("Tokens", "tokens", "count", "bars", [
            { key: "input", name: "input", color: COLORS[4]! },
            { key: "output", name: "output", color: COLORS[3]! },
          ])}
          {chart("Spend (USD)", "spend", "usd", "bars", [{ key: "cost", name: "spend", color: COLORS[2]! }])}
          {total.cacheLookups > 0 &&
            chart("Response cache", "cache", "count", "bars", [
              { key: "cacheHits", name: "hits", color: COLORS[0]! },
              { key: "cacheMisses", name: "misses", color: COLORS[1]! },
            ])}
          {total.cacheHits > 0 && chart("Saved by the cache (USD)", "cache-saved", "usd", "bars", [{ key: "cacheSaved", name: "saved", color: COLORS[3]! }])}
        </div>
      )}
    </>
  );
}
