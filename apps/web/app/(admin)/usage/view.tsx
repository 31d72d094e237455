"use client";
/**
 * Usage over time, per provider, model, key or team: spend, requests, tokens and errors, drawn with Recharts (a
 * well-kept React charting library that works with React 19: time axes, tooltips, legends, responsive sizing),
 * buckets fitted to the range (minutes for an hour), the top spenders first.
 */
import { useEffect, useMemo, useState } from "react";
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { trpc } from "@/lib/trpc/client";
import { axisFormat, COLORS, duration, money, peak, slots, tickFor, tooltipStyle } from "../charts";
import ErrorAlert from "../error-alert";

type Usage = Awaited<ReturnType<typeof trpc.usage.query>>;
type GroupBy = "provider" | "apiKey" | "model" | "team" | "endUser" | "tag";
const GROUP_NAMES: Record<GroupBy, string> = { provider: "provider", model: "model", apiKey: "API key", team: "team", endUser: "end user", tag: "tag" };
/** The log filter that finds a group's requests (the catch-all groups have none). */
const LOG_FILTER: Partial<Record<GroupBy, string>> = {
  provider: "provider",
  model: "model",
  apiKey: "apiKeyId",
  team: "teamId",
  endUser: "endUser",
  tag: "tag",
};
type Metric = "cost" | "requests" | "tokens" | "errors" | "p95Ms" | "cacheHits" | "cacheSaved";

const RANGES = [
  { minutes: 15, label: "15 minutes" },
  { minutes: 60, label: "1 hour" },
  { minutes: 24 * 60, label: "24 hours" },
  { minutes: 7 * 24 * 60, label: "7 days" },
  { minutes: 30 * 24 * 60, label: "30 days" },
];
const METRICS: Array<{ key: Metric; label: string }> = [
  { key: "cost", label: "Spend (USD)" },
  { key: "requests", label: "Requests" },
  { key: "tokens", label: "Tokens" },
  { key: "errors", label: "Errors (status ≥ 400)" },
  { key: "p95Ms", label: "Latency p95" },
  { key: "cacheHits", label: "Response cache hits" },
  { key: "cacheSaved", label: "Saved by the cache (USD)" },
];
const isUsd = (metric: Metric) => metric === "cost" || metric === "cacheSaved";
const hitRate = (t: { cacheHits: number; cacheLookups: number }) => (t.cacheLookups ? `${((t.cacheHits / t.cacheLookups) * 100).toFixed(1)}%` : "–");
export default function UsageView() {
  const [groupBy, setGroupBy] = useState<GroupBy>("provider");
  const [minutes, setMinutes] = useState(24 * 60);
  const [data, setData] = useState<Usage | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    trpc.usage.query({ minutes, groupBy }).then(
      (d) => current && setData(d),
      (e: Error) => current && setError(e.message),
    );
    return () => void (current = false);
  }, [minutes, groupBy]);

  const view = useMemo(() => {
    if (!data) return null;
    // Top spenders first (then by requests): the legend's and the table's order.
    const totals = new Map<
      string,
      { label: string; cost: number; requests: number; tokens: number; errors: number; cacheHits: number; cacheLookups: number; cacheSaved: number }
    >();
    for (const b of data.buckets) {
      const t = totals.get(b.group) ?? { label: b.label, cost: 0, requests: 0, tokens: 0, errors: 0, cacheHits: 0, cacheLookups: 0, cacheSaved: 0 };
      totals.set(b.group, {
        label: b.label,
        cost: t.cost + b.cost,
        requests: t.requests + b.requests,
        tokens: t.tokens + b.tokens,
        errors: t.errors + b.errors,
        cacheHits: t.cacheHits + b.cacheHits,
        cacheLookups: t.cacheLookups + b.cacheLookups,
        cacheSaved: t.cacheSaved + b.cacheSaved,
      });
    }
    const groups = [...totals.entries()].sort(([, a], [, b]) => b.cost - a.cost || b.requests - a.requests);
    // Every bucket of the range, empty ones included, so the time axis is the range itself.
    const end = Date.now();
    const times = slots(end - minutes * 60_000, end, data.bucket);
    const byKey = new Map(data.buckets.map((b) => [`${new Date(b.t).getTime()}|${b.group}`, b]));
    // A latency is unknown, not zero, where a group had no requests: the line breaks there.
    const empty = (metric: Metric) => (metric === "p95Ms" ? null : 0);
    const series = (metric: Metric) =>
      times.map((t) => Object.fromEntries([["t", t], ...groups.map(([g]) => [g, byKey.get(`${t}|${g}`)?.[metric] ?? empty(metric)])]));
    return { groups, series };
  }, [data, minutes]);

  const tick = tickFor(data?.bucket);
  const label = (name: unknown) => view?.groups.find(([g]) => g === name)?.[1].label ?? String(name);
  /** One precision per axis, from the largest value it shows (stacked bars: the largest stack). */
  const format = (metric: Metric) =>
    axisFormat(
      isUsd(metric) ? "usd" : metric === "p95Ms" ? "duration" : "count",
      view
        ? peak(
            view.series(metric),
            view.groups.map(([g]) => g),
            metric !== "p95Ms",
          )
        : 0,
    );
  /** Grid, time axis, value axis, tooltip and legend: the same on every chart. */
  const axes = (metric: Metric) => [
    <CartesianGrid key="grid" strokeDasharray="3 3" stroke="var(--line)" vertical={false} />,
    // Every bucket of the range is a slot, so the category axis is an even time axis.
    <XAxis key="x" dataKey="t" tickFormatter={tick} stroke="var(--muted)" fontSize={12} minTickGap={24} />,
    <YAxis key="y" tickFormatter={format(metric)} stroke="var(--muted)" fontSize={12} width={64} allowDecimals={isUsd(metric)} />,
    <Tooltip
      key="tip"
      labelFormatter={(t) => new Date(Number(t)).toLocaleString()}
      formatter={(v, name) => [isUsd(metric) ? `$${Number(v).toFixed(6)}` : metric === "p95Ms" ? duration(Number(v)) : String(v), label(name)]}
      contentStyle={tooltipStyle}
    />,
    <Legend key="legend" formatter={label} />,
  ];

  return (
    <>
      <h1>Usage</h1>
      <div className="row card">
        <label>
          Per
          <select name="groupBy" value={groupBy} onChange={(e) => setGroupBy(e.target.value as GroupBy)}>
            {(Object.keys(GROUP_NAMES) as GroupBy[]).map((g) => (
              <option key={g} value={g}>
                {GROUP_NAMES[g]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Over the last
          <select name="range" value={minutes} onChange={(e) => setMinutes(Number(e.target.value))}>
            {RANGES.map((r) => (
              <option key={r.minutes} value={r.minutes}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        {data && <span className="muted">one point per {data.bucket}</span>}
      </div>
      <ErrorAlert error={error} />
      {view && view.groups.length === 0 && <p className="muted">No requests in this period.</p>}
      {view && view.groups.length > 0 && (
        <>
          <table aria-label="top spenders" tabIndex={0}>
            <thead>
              <tr>
                <th>{GROUP_NAMES[groupBy]}</th>
                <th>Spend</th>
                <th>Requests</th>
                <th>Tokens</th>
                <th>Errors</th>
                <th>Cache hit rate</th>
                <th>Saved</th>
              </tr>
            </thead>
            <tbody>
              {view.groups.map(([g, t]) => (
                <tr key={g} data-group={g}>
                  <td title={g}>
                    {g.startsWith("(") || !LOG_FILTER[groupBy] ? (
                      t.label
                    ) : (
                      <a href={`/logs?${new URLSearchParams({ [LOG_FILTER[groupBy]]: g }).toString()}`} title={`${t.label}: its requests in the log`}>
                        {t.label}
                      </a>
                    )}
                  </td>
                  <td>{money(t.cost)}</td>
                  <td>{t.requests}</td>
                  <td>{t.tokens}</td>
                  <td className={t.errors ? "bad" : undefined}>{t.errors}</td>
                  <td title={`${t.cacheHits} of ${t.cacheLookups} lookups`}>{hitRate(t)}</td>
                  <td>{t.cacheHits ? money(t.cacheSaved) : "–"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {METRICS.filter((m) => !m.key.startsWith("cache") || view.groups.some(([, t]) => t.cacheLookups > 0)).map((m) => (
            <section className="card" key={m.key} aria-label={m.label} data-chart={m.key}>
              <h2>{m.label}</h2>
              <ResponsiveContainer width="100%" height={220}>
                {/* Counts stack as bars; a latency is per group, so each group is a line of its own. */}
                {m.key === "p95Ms" ? (
                  <LineChart data={view.series(m.key)} margin={{ top: 8, right: 16, bottom: 0, left: 8 }}>
                    {axes(m.key)}
                    {view.groups.map(([g], i) => (
                      <Line key={g} dataKey={g} stroke={COLORS[i % COLORS.length]} dot={{ r: 2 }} isAnimationActive={false} />
                    ))}
                  </LineChart>
                ) : (
                  <BarChart data={view.series(m.key)} margin={{ top: 8, right: 16, bottom: 0, left: 8 }}>
                    {axes(m.key)}
                    {view.groups.map(([g], i) => (
                      <Bar key={g} dataKey={g} stackId="1" fill={COLORS[i % COLORS.length]} isAnimationActive={false} />
                    ))}
                  </BarChart>
                )}
              </ResponsiveContainer>
            </section>
          ))}
        </>
      )}
    </>
  );
}
