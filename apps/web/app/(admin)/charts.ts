/** What the Overview's and the Usage page's charts share: colours, bucket steps, and how figures read. */

/** Distinct in light and dark, and for the common kinds of colour blindness (Okabe–Ito). */
export const COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999"];
export const STEP_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
export type Bucket = keyof typeof STEP_MS;

/** Totals: to the cent from a dollar, to a millionth below a cent. */
export const money = (v: number) => `$${v.toFixed(v >= 1 ? 2 : v >= 0.01 ? 4 : 6)}`;
export const compact = (v: number) => new Intl.NumberFormat(undefined, { notation: "compact" }).format(v);
/** "171 ms", "1.2 s", "–": latencies as people read them. */
export const duration = (v: number | null) => (v === null ? "–" : v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);

/**
 * A value axis's tick labels, all with one precision: enough decimals to tell apart ticks about a quarter of the
 * largest value apart (Recharts picks round steps near that). "$0.000040, $0.000080", never "$0.00004, $0.00010".
 */
export function axisFormat(unit: "usd" | "count" | "duration", max: number): (v: number) => string {
  const decimalsFor = (top: number) => (top > 0 ? Math.max(0, Math.min(8, Math.ceil(-Math.log10(top / 4)) + 1)) : 0);
  if (unit === "usd") {
    const d = decimalsFor(max);
    return (v) => (v === 0 ? "$0" : `$${v.toFixed(d)}`);
  }
  if (unit === "duration") {
    if (max < 2000) return (v) => `${Math.round(v)} ms`;
    const d = Math.min(1, decimalsFor(max / 1000));
    return (v) => (v === 0 ? "0 s" : `${(v / 1000).toFixed(d)} s`);
  }
  if (max < 10_000) return (v) => String(Math.round(v));
  const fixed = new Intl.NumberFormat(undefined, { notation: "compact", minimumFractionDigits: 1, maximumFractionDigits: 1 });
  return (v) => (v === 0 ? "0" : fixed.format(v));
}

/** The largest value an axis shows: of the stacked sums (bars) or of any one series (lines). */
export function peak(rows: ReadonlyArray<Record<string, unknown>>, keys: readonly string[], stacked: boolean): number {
  let top = 0;
  for (const row of rows) {
    let sum = 0;
    for (const k of keys) {
      const v = Number(row[k] ?? 0) || 0;
      sum = stacked ? sum + v : Math.max(sum, v);
    }
    top = Math.max(top, sum);
  }
  return top;
}

/** Every bucket start from `from` to `to`, empty ones included, so a chart's time axis is the range itself. */
export function slots(from: number, to: number, bucket: Bucket): number[] {
  const step = STEP_MS[bucket];
  const start = Math.floor(from / step) * step;
  return Array.from({ length: Math.max(1, Math.ceil((to - start) / step)) }, (_, i) => start + i * step);
}

/** A time-axis tick in the admin's own time zone: a date for day buckets, a time otherwise. */
export const tickFor = (bucket: Bucket | undefined) => (t: number) =>
  new Date(t).toLocaleString(undefined, bucket === "day" ? { month: "short", day: "numeric" } : { hour: "2-digit", minute: "2-digit" });

export const tooltipStyle = { background: "var(--surface)", border: "1px solid var(--line)", color: "var(--fg)" };
