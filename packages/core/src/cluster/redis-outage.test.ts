/**
 * Budgets while Redis is down (issue 26, finding 6): two replicas sharing a Redis of this test's own (started on a
 * free port, stopped by its PID), a $0.10 budget of which the record says $0.02 is spent. With Redis gone, each
 * replica may spend only half of the $0.08 left, so together they stay within the budget (before, each spent up
 * to the whole budget alone). When Redis is back, the counters are seeded again from the record, which holds
 * what both spent meanwhile. Needs redis-server (required when CI=true).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisBudgetLedger } from "./redis.js";
import type { Budget, Reservation } from "../spend/budget.js";

const installed = spawnSync("redis-server", ["--version"]).status === 0;
if (!installed && process.env.CI === "true") throw new Error("CI=true needs redis-server (scripts/setup.sh --test installs it)");

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createConnection(port, "127.0.0.1");
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
async function until(check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let port: number,
  redis: ChildProcess | null = null;
/** Redis keeps its data in a folder of its own: a restart finds the counters as they were when it stopped. */
const dir = mkdtempSync(join(tmpdir(), "redis-outage-"));
async function startRedis(): Promise<void> {
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no"];
  redis = spawn("redis-server", args, { stdio: "ignore" });
  await until(() => listening(port));
}
async function stopRedis(): Promise<void> {
  const child = redis!;
  redis = null;
  const exited = new Promise((r) => child.once("exit", r));
  process.kill(child.pid!, "SIGKILL");
  await exited;
}

/** The durable record: what the request log says was spent (the test adds what it settles, as the log would). */
let recorded = 0.02;
const budget: Budget[] = [{ owner: "key", ownerId: "k", period: "total", limit: 0.1 }];
const replicas: RedisBudgetLedger[] = [];

beforeAll(async () => {
  if (!installed) return;
  port = await freePort();
  await startRedis();
  for (let i = 0; i < 2; i++) replicas.push(new RedisBudgetLedger({ url: `redis://127.0.0.1:${port}`, prefix: "outage-test:" }, async () => recorded));
  await until(() => replicas.every((r) => !r.degraded));
});
afterAll(async () => {
  await Promise.all(replicas.map((r) => r.close()));
  if (redis) await stopRedis();
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
    execFileSync("redis-cli", ["-p", String(port), "SAVE"]);
    await stopRedis();
    await until(() => replicas.every((r) => r.degraded));
    // $0.07 left, two replicas: $0.035 each. A replica refuses once its share is reached, so each may pass it by
    // at most one request: four of $0.01 each, $0.08 in all where alone each would have taken seven.
    const granted = await Promise.all(replicas.map(spendUntilRefused));
    expect(granted).toEqual([4, 4]);
    expect(recorded).toBeLessThanOrEqual(0.1 + 2 * 0.01 + 1e-9);

    // Redis back with its counter from before the outage ($0.03): dropped and seeded again from the record.
    await startRedis();
    await until(() => replicas.every((r) => !r.degraded));
    await until(async () => (await replicas[1]!.spent(budget))[0]! > 0.1);
    await expect(replicas[0]!.reserve(budget, 0.01)).rejects.toMatchObject({ code: "budget_exceeded" });
    expect((await replicas[1]!.spent(budget))[0]).toBeCloseTo(recorded, 9);
  }, 30_000);
});
