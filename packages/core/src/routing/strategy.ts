/**
 * Orders the providers that may serve one model: a pure function of the candidates, what was measured of them and
 * a random source, so every strategy can be tested over made-up histories. Ties keep the configured order.
 */
import type { StrategyName } from "./settings.js";
import type { SortName } from "./policy.js";

/** What a strategy may read of a candidate. */
export interface Rankable {
  id: string;
  /** `weighted`: its share against the others' (0: only when no other is left). */
  weight: number;
  inFlight: number;
  /** Decayed time to first token, ms; null: not measured yet. */
  ttftMs: number | null;
  /** Decayed output tokens a second; null: not measured yet. */
  tokensPerSecond: number | null;
  /** USD per million tokens, input and output added; null: no price known. */
  price: number | null;
}

export type RankBy = StrategyName | SortName;

export interface Ranking<T> {
  ordered: T[];
  /** The figure each candidate was ranked by (the unit depends on the strategy); null: none known. */
  scores: Record<string, number | null>;
  /** The candidate put first to measure it again (latency routing's exploration), if one was. */
  explored: string | null;
}

/** The share of `latency`-routed requests sent first to another candidate than the fastest, to keep measuring it. */
export const EXPLORATION = 0.05;

export function rank<T>(items: readonly T[], by: RankBy, view: (item: T) => Rankable, random: () => number = Math.random): Ranking<T> {
  const rows = items.map((item, i) => ({ item, i, r: view(item) }));
  const scores: Record<string, number | null> = {};
  // Sorts by a key where null (unknown) goes first or last as the strategy wants; ties keep the configured order.
  const sortBy = (key: (r: Rankable) => number | null, nullFirst: boolean) => {
    for (const row of rows) scores[row.r.id] = key(row.r);
    const value = (r: Rankable) => key(r) ?? (nullFirst ? -Infinity : Infinity);
    rows.sort((a, b) => value(a.r) - value(b.r) || a.i - b.i);
  };
  let explored: string | null = null;
  switch (by) {
    case "priority":
      for (const row of rows) scores[row.r.id] = row.i;
      break;
    case "weighted": {
      // Exponential races: each draws -ln(u)/weight and the smallest goes first. The first place falls to each in
      // proportion to its weight, and the rest of the order (the failover chain) is weighted the same way.
      const draw = new Map(rows.map((row) => [row, row.r.weight > 0 ? -Math.log(1 - random()) / row.r.weight : Infinity]));
      for (const row of rows) scores[row.r.id] = row.r.weight;
      rows.sort((a, b) => draw.get(a)! - draw.get(b)! || a.i - b.i);
      break;
    }
    case "least-busy":
      sortBy((r) => r.inFlight, false);
      break;
    case "latency":
      // Unmeasured first: a new provider is measured before it is judged.
      sortBy((r) => r.ttftMs, true);
      if (rows.length > 1 && random() < EXPLORATION) {
        const pick = 1 + Math.floor(random() * (rows.length - 1));
        const [row] = rows.splice(pick, 1);
        rows.unshift(row!);
        explored = row!.r.id;
      }
      break;
    case "throughput":
      sortBy((r) => (r.tokensPerSecond === null ? null : -r.tokensPerSecond), true);
      for (const row of rows) scores[row.r.id] = row.r.tokensPerSecond;
      break;
    case "price":
      sortBy((r) => r.price, false);
      break;
  }
  return { ordered: rows.map((row) => row.item), scores, explored };
}
