import { describe, expect, it } from "vitest";
import { availableParallelism } from "node:os";
import { coresAvailable, planWorkers } from "../lib/workers";

const shared = { DATABASE_URL: "postgresql://u@db:5432/ifr", REDIS_URL: "redis://r:6379" };

describe("planWorkers", () => {
  it("runs one per core by default where the database and Redis are shared", () => {
    expect(planWorkers(shared, 4)).toEqual({ count: 4, why: "WORKERS=auto: one per core (4)" });
    expect(planWorkers({ ...shared, DATABASE_URL: "postgres://u@db/ifr", WORKERS: "auto" }, 2)).toMatchObject({ count: 2 });
  });

  it("runs one process by default on the embedded database or without Redis", () => {
    expect(planWorkers({}, 8)).toMatchObject({ count: 1 });
    expect(planWorkers({ DATABASE_URL: "pglite:/data", REDIS_URL: "redis://r" }, 8)).toMatchObject({ count: 1 });
    expect(planWorkers({ DATABASE_URL: shared.DATABASE_URL }, 8)).toMatchObject({ count: 1 });
  });

  it("takes a number, and refuses more than one where the stores are not shared", () => {
    expect(planWorkers({ ...shared, WORKERS: "3" }, 2)).toEqual({ count: 3, why: "WORKERS=3" });
    expect(planWorkers({ WORKERS: "1" }, 2)).toEqual({ count: 1, why: "WORKERS=1" });
    expect(planWorkers({ WORKERS: "2", REDIS_URL: "redis://r" }, 2)).toEqual({
      error: expect.stringContaining("WORKERS=2 needs DATABASE_URL on PostgreSQL and REDIS_URL"),
    });
  });

  it("refuses what is not a count", () => {
    for (const bad of ["0", "-1", "two", "1.5", "1000"]) expect(planWorkers({ ...shared, WORKERS: bad }, 2)).toHaveProperty("error");
  });
});

describe("coresAvailable", () => {
  it("is the CPU count, capped by a cgroup CPU quota", () => {
    const cpus = availableParallelism();
    expect(coresAvailable("max 100000\n")).toBe(cpus);
    expect(coresAvailable(null)).toBe(cpus);
    expect(coresAvailable("50000 100000")).toBe(1); // half a core still runs one worker
    expect(coresAvailable(`${cpus * 100000 * 4} 100000`)).toBe(cpus); // a quota above the machine's CPUs
    if (cpus >= 2) expect(coresAvailable("200000 100000")).toBe(2);
  });
});
