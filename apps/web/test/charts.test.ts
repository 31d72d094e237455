/** The charts' value axes: one precision for every tick of an axis, whatever the scale. */
import { describe, expect, it } from "vitest";
import { axisFormat, peak } from "../app/(admin)/charts";

const decimals = (labels: string[]) => new Set(labels.filter((l) => !/^\$?0( s)?$/.test(l)).map((l) => /\.(\d+)/.exec(l)?.[1]?.length ?? 0));

describe("axis labels", () => {
  it("gives every USD tick the same number of decimals, small amounts and large", () => {
    for (const [max, ticks] of [
      [0.00015, [0, 0.00004, 0.00008, 0.00012, 0.00016]],
      [0.001, [0, 0.00025, 0.0005, 0.00075, 0.001]],
      [1, [0, 0.25, 0.5, 0.75, 1]],
      [42, [0, 10, 20, 30, 40, 50]],
    ] as const) {
      const labels = ticks.map(axisFormat("usd", max));
      expect(decimals(labels).size, labels.join(" ")).toBe(1);
      expect(new Set(labels).size, labels.join(" ")).toBe(ticks.length); // ticks stay apart
    }
    expect([0, 0.00004, 0.00008].map(axisFormat("usd", 0.0001))).toEqual(["$0", "$0.000040", "$0.000080"]);
  });

  it("reads latencies in ms below two seconds, in seconds with one decimal above", () => {
    expect([0, 250, 500].map(axisFormat("duration", 600))).toEqual(["0 ms", "250 ms", "500 ms"]);
    expect([0, 1500, 3000, 4500].map(axisFormat("duration", 4000))).toEqual(["0 s", "1.5 s", "3.0 s", "4.5 s"]);
  });

  it("counts in whole numbers, compact with one decimal from ten thousand", () => {
    expect([0, 2500, 5000].map(axisFormat("count", 6000))).toEqual(["0", "2500", "5000"]);
    const labels = [0, 25_000, 50_000, 75_000].map(axisFormat("count", 80_000));
    expect(decimals(labels).size).toBe(1);
  });

  it("finds an axis's peak: the largest stack for bars, the largest value for lines", () => {
    const rows = [
      { a: 1, b: 2 },
      { a: 4, b: null },
    ];
    expect(peak(rows, ["a", "b"], true)).toBe(4);
    expect(peak([{ a: 1, b: 2 }], ["a", "b"], true)).toBe(3);
    expect(peak([{ a: 1, b: 2 }], ["a", "b"], false)).toBe(2);
  });
});
