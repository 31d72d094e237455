/**
 * Budgets while Redis is down (issue 26, finding 6): two replicas sharing a Redis of this test's own (started on a
 * free port, stopped by its PID), a $0.10 budget of which the record says $0.02 is spent. With Redis gone, each
 * replica may spend only half of the $0.08 left, so together they stay within the budget (before, each spent up
 * to the whole budget alone). When Redis is back, the counters are seeded again from the record, which holds
 * what both spent meanwhile. Needs redis-server (required when CI=true).
 */
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisBudgetLedger } from "./redis.js";
import type { Budget, Reservation } from "../spend/budget.js";
import { freePort, OwnRedis, redisInstalled as installed, until } from "../test-support/redis-server.js";

let redis: OwnRedis;

/** The durable record: what the request log says was spent (the test adds what it settles, as the log would). */
let recorded = 0.02;
const budget: Budget[] = [{ owner: "key", ownerId: "k", period: "total", limit: 0.1 }];
const replicas: RedisBudgetLedger[] = [];

beforeAll(async () => {
  if (!installed) return;
  redis = new OwnRedis(await freePort());
  await redis.start();
  for (let i = 0; i < 2; i++) replicas.push(new RedisBudgetLedger({ url: redis.url, prefix: "outage-test:" }, async () => recorded));
  await until(() => replicas.every((r) => !r.degraded));
});
afterAll(async () => {
  await Promise.all(replicas.map((r) => r.close()));
  await redis?.stop();
});

/** Reserves $0.01 on `ledger` until refused; settles each at $0.01 and records it. How many were granted. */
async function spendUntilRefused(ledger: RedisBudgetLedger): Promise<number> {
  let granted = 0;
  for (;;) {
    let reservation: Reservation;
    try {
      reservation = await ledger.reserve(budget, 0.01);
    } catch (err) {
      expect(err).toMatchObject({ code: "budget_exceeded" });
      return granted;
    }
    granted++;
    await ledger.settle(reservation, 0.01);
    recorded += 0.01;
    if (granted > 20) return granted;
  }
}

describe.skipIf(!installed)("budgets while Redis is down", () => {
  it("each replica takes its share of what is left, and the counters come back from the record", async () => {
    expect(await Promise.all(replicas.map((r) => r.beat()))).toEqual([2, 2]);
    // One request while Redis is up: its shared counter says $0.03, and Redis keeps that on disk.
    await replicas[0]!.settle(await replicas[0]!.reserve(budget, 0.01), 0.01);
    recorded += 0.01;
    execFileSync("redis-cli", ["-p", String(redis.port), "SAVE"]);
    await redis.stop();
    await until(() => replicas.every((r) => r.degraded));
    // $0.07 left, two replicas: $0.035 each. A replica refuses once its share is reached, so each may pass it by
    // at most one request: four of $0.01 each, $0.08 in all where alone each would have taken seven.
    const granted = await Promise.all(replicas.map(spendUntilRefused));
    expect(granted).toEqual([4, 4]);
    expect(recorded).toBeLessThanOrEqual(0.1 + 2 * 0.01 + 1e-9);

    // Redis back with its counter from before the outage ($0.03): dropped and seeded again from the record.
    await redis.start();
    await until(() => replicas.every((r) => !r.degraded));
    await until(async () => (await replicas[1]!.spent(budget))[0]! > 0.1);
    await expect(replicas[0]!.reserve(budget, 0.01)).rejects.toMatchObject({ code: "budget_exceeded" });
    expect((await replicas[1]!.spent(budget))[0]).toBeCloseTo(recorded, 9);
  }, 30_000);
});
