/** Each strategy's choice over made-up histories, with a seeded random source so shares are exact to repeat. */
import { describe, expect, it } from "vitest";
import { EXPLORATION, rank, type Rankable } from "./strategy.js";
import { RouterStats } from "./stats.js";
import { seededRandom as seeded } from "../test-support/random.js";

const row = (id: string, over: Partial<Rankable> = {}): Rankable => ({ id, weight: 1, inFlight: 0, ttftMs: null, tokensPerSecond: null, price: null, ...over });
const ids = (rows: Rankable[]) => rows.map((r) => r.id);
const same = (r: Rankable) => r;

/** How often each id comes first over `n` rankings. */
function firstShares(rows: Rankable[], by: Parameters<typeof rank>[1], n: number, random: () => number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const first = rank(rows, by, same, random).ordered[0]!.id;
    counts[first] = (counts[first] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).map(([id, c]) => [id, c / n]));
}

describe("strategies", () => {
  it("priority keeps the configured order", () => {
    const out = rank([row("a", { ttftMs: 900 }), row("b", { ttftMs: 1 })], "priority", same);
    expect(ids(out.ordered)).toEqual(["a", "b"]);
    expect(out.scores).toEqual({ a: 0, b: 1 });
  });

  it("weighted gives each the first place in proportion to its weight, and orders the rest the same way", () => {
    const rows = [row("a", { weight: 3 }), row("b", { weight: 1 }), row("off", { weight: 0 })];
    const shares = firstShares(rows, "weighted", 20_000, seeded(7));
    expect(shares.a).toBeCloseTo(0.75, 1);
    expect(shares.b).toBeCloseTo(0.25, 1);
    expect(shares.off).toBeUndefined();
    // Weight 0 is last, always: a provider kept only for failover.
    const random = seeded(1);
    for (let i = 0; i < 200; i++) expect(rank(rows, "weighted", same, random).ordered.at(-1)!.id).toBe("off");
  });

  it("least-busy puts the fewest in flight first; ties keep the configured order", () => {
    const out = rank([row("a", { inFlight: 4 }), row("b", { inFlight: 1 }), row("c", { inFlight: 1 }), row("d", { inFlight: 0 })], "least-busy", same);
    expect(ids(out.ordered)).toEqual(["d", "b", "c", "a"]);
    expect(out.scores).toEqual({ a: 4, b: 1, c: 1, d: 0 });
  });

  it("latency puts the lowest time to first token first, an unmeasured provider before all, and explores about 5%", () => {
    const rows = [row("slow", { ttftMs: 300 }), row("fast", { ttftMs: 20 }), row("mid", { ttftMs: 80 })];
    const never = () => 0.99; // never explores
    expect(ids(rank(rows, "latency", same, never).ordered)).toEqual(["fast", "mid", "slow"]);
    expect(ids(rank([...rows, row("new")], "latency", same, never).ordered)[0]).toBe("new");
    const shares = firstShares(rows, "latency", 40_000, seeded(3));
    expect(shares.fast).toBeCloseTo(1 - EXPLORATION, 2);
    expect(shares.mid).toBeCloseTo(EXPLORATION / 2, 2);
    expect(shares.slow).toBeCloseTo(EXPLORATION / 2, 2);
  });

  it("price puts the cheapest first and providers without a price last", () => {
    const out = rank([row("none"), row("dear", { price: 12 }), row("cheap", { price: 0.5 })], "price", same);
    expect(ids(out.ordered)).toEqual(["cheap", "dear", "none"]);
  });

  it("throughput puts the fastest generator first, an unmeasured one before all", () => {
    const out = rank([row("a", { tokensPerSecond: 40 }), row("b", { tokensPerSecond: 120 }), row("c")], "throughput", same);
    expect(ids(out.ordered)).toEqual(["c", "b", "a"]);
  });
});

describe("latency over a simulated history", () => {
  /** Rankables from live RouterStats, as the router builds them. */
  const view = (stats: Record<string, RouterStats>) => (id: string) => row(id, { ttftMs: stats[id]!.ttft.value });

  it("settles on the fastest, and wins a recovered provider its traffic back through exploration", () => {
    const latency: Record<string, number> = { a: 20, b: 80, c: 300 };
    const stats = { a: new RouterStats(), b: new RouterStats(), c: new RouterStats() };
    const random = seeded(11);
    const served = { a: 0, b: 0, c: 0 };
    const send = (n: number) => {
      const counts = { a: 0, b: 0, c: 0 };
      for (let i = 0; i < n; i++) {
        const first = rank(["a", "b", "c"] as const, "latency", view(stats), random).ordered[0]!;
        stats[first].served(latency[first]!);
        counts[first]++;
        served[first]++;
      }
      return counts;
    };
    send(1000);
    expect(served.a / 1000).toBeGreaterThan(0.9);
    // a slows down to 500 ms: within a few hundred requests b (80 ms) leads.
    latency.a = 500;
    send(200);
    expect(send(500).b / 500).toBeGreaterThan(0.9);
    // a recovers: exploration measures it again, and it leads within a few hundred requests.
    latency.a = 20;
    let requests = 0;
    while (rank(["a", "b", "c"], "latency", view(stats), () => 0.99).ordered[0] !== "a" && requests < 5000) {
      send(10);
      requests += 10;
    }
    expect(requests).toBeLessThan(1500);
    expect(send(500).a / 500).toBeGreaterThan(0.9);
  });

  it("counts a failure as at least twice the usual time, so a provider that fails fast never looks fast", () => {
    const stats = new RouterStats();
    stats.served(100);
    stats.failed(5);
    expect(stats.ttft.value).toBeGreaterThan(100);
  });
});
