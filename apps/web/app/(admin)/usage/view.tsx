"use client";
import { useEffect, useState } from "react";
import { trpc } from "@/lib/trpc/client";

type Bucket = Awaited<ReturnType<typeof trpc.usage.query>>[number];
const METRICS = [
  { key: "cost", label: "Spend (USD)", color: "#15803d" },
  { key: "requests", label: "Requests", color: "#4f46e5" },
  { key: "tokens", label: "Tokens", color: "#0891b2" },
  { key: "errors", label: "Errors", color: "#b91c1c" },
] as const;

/** Counts as they are, dollars to a millionth. */
const round = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(6));
type GroupBy = "provider" | "apiKey" | "model" | "team";

/** A bar chart in plain SVG: a few dozen bars need no charting library. */
function Bars({ points, color, label }: { points: Array<{ t: Date; v: number }>; color: string; label: string }) {
  // The tallest bar fills the chart; an empty chart keeps a scale of 1 (dollars are often far below 1).
  const max = Math.max(...points.map((p) => p.v)) || 1;
  const w = 600,
    h = 90,
    bw = points.length ? w / points.length : w;
  return (
    <svg viewBox={`0 0 ${w} ${h + 14}`} width="100%" height={h + 14} role="img" aria-label={label}>
      {points.map((p, i) => (
        <rect key={i} x={i * bw + 1} y={h - (p.v / max) * h} width={Math.max(1, bw - 2)} height={(p.v / max) * h} fill={color}>
          <title>{`${new Date(p.t).toLocaleString()}: ${round(p.v)}`}</title>
        </rect>
      ))}
      <text x={0} y={h + 12} fontSize={10} fill="#6b7280">
        max {round(max)}
      </text>
    </svg>
  );
}

export default function UsageView() {
  const [groupBy, setGroupBy] = useState<GroupBy>("provider");
  const [hours, setHours] = useState(24);
  const [data, setData] = useState<Bucket[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => void trpc.usage.query({ hours, groupBy }).then(setData, (e) => setError(e.message)), [hours, groupBy]);

  // Top spenders first (then by requests): the card order is the ranking.
  const totals = new Map<string, { cost: number; requests: number }>();
  const labels = new Map((data ?? []).map((b) => [b.group, b.label]));
  for (const b of data ?? []) {
    const t = totals.get(b.group) ?? { cost: 0, requests: 0 };
    totals.set(b.group, { cost: t.cost + b.cost, requests: t.requests + b.requests });
  }
  const groups = [...totals.keys()].sort((a, b) => totals.get(b)!.cost - totals.get(a)!.cost || totals.get(b)!.requests - totals.get(a)!.requests);
  const step = hours > 48 ? 86_400_000 : 3_600_000;
  const start = Math.floor((Date.now() - hours * 3_600_000) / step) * step;
  const slots = Array.from({ length: Math.ceil((Date.now() - start) / step) }, (_, i) => start + i * step);

  return (
    <>
      <h1>Usage</h1>
      <div className="row card">
        <label>
          Per
          <select value={groupBy} onChange={(e) => setGroupBy(e.target.value as GroupBy)}>
            <option value="provider">provider</option>
            <option value="apiKey">API key</option>
            <option value="model">model</option>
            <option value="team">team</option>
          </select>
        </label>
        <label>
          Over
          <select value={hours} onChange={(e) => setHours(Number(e.target.value))}>
            <option value={1}>1 hour</option>
            <option value={24}>24 hours</option>
            <option value={168}>7 days</option>
          </select>
        </label>
      </div>
      {error && <p className="bad">{error}</p>}
      {data && groups.length === 0 && <p className="muted">No requests in this period.</p>}
      {groups.map((g) => (
        <div className="card" key={g} data-group={g}>
          <h2>
            <span title={g}>{labels.get(g) || "(no key)"}</span> <span className="muted">${totals.get(g)!.cost.toFixed(6)}</span>
          </h2>
          {METRICS.map((m) => {
            const byT = new Map(data!.filter((b) => b.group === g).map((b) => [new Date(b.t).getTime(), b[m.key]]));
            const total = [...byT.values()].reduce((s, v) => s + v, 0);
            return (
              <div key={m.key}>
                <div className="muted">
                  {m.label}: {round(total)}
                </div>
                <Bars label={`${m.label} for ${g}`} color={m.color} points={slots.map((t) => ({ t: new Date(t), v: byT.get(t) ?? 0 }))} />
              </div>
            );
          })}
        </div>
      ))}
    </>
  );
}
