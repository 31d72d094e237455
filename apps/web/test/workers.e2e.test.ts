/**
 * WORKERS=2: two processes on one port, sharing PostgreSQL and Redis. Every request is logged exactly once, /metrics
 * counts both workers', a worker killed outright is replaced while the other serves, and SIGTERM stops them all.
 * WORKERS>1 on the embedded database refuses to start. Required when CI=true; skipped without PostgreSQL or Redis.
 */
import { readdirSync, readFileSync, mkdtempSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeServer, sendJson, openaiCompletion, type FakeServer } from "@interference/core/test-support";
import { openStore } from "@interference/db";
import { freshPostgresDatabase, postgresReachable } from "../../../packages/db/src/test-databases.js";
import { startServer, writeConfig, type RunningServer } from "./support/server";
import { redisReachable } from "./support/redis";

const available = (await postgresReachable()) && (await redisReachable());
if (!available && process.env.CI === "true") throw new Error("CI=true needs PostgreSQL (5432) and Redis (6379) on 127.0.0.1");

/** The child processes of `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid;
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

/** One chat request on a connection of its own, so the primary hands each to the next worker in turn. */
const chat = (port: number) =>
  new Promise<number>((resolve, reject) => {
    const body = JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] });
    const req = request(
      { host: "127.0.0.1", port, path: "/v1/chat/completions", method: "POST", agent: false, headers: { "content-type": "application/json" } },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode!));
      },
    );
    req.on("error", reject);
    req.end(body);
  });

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!available)("WORKERS=2 on PostgreSQL and Redis", () => {
  let up: FakeServer, server: RunningServer, databaseUrl: string, dropDb: () => Promise<void>;
  const config = () => writeConfig(`providers:\n  - { id: up, type: openai, base_url: "${up.url}/v1", models: [m] }\n`);

  beforeAll(async () => {
    ({ url: databaseUrl, drop: dropDb } = await freshPostgresDatabase());
    up = await startFakeServer((_q, res) => sendJson(res, 200, openaiCompletion("ok")));
    server = await startServer({
      config: config(),
      env: {
        WORKERS: "2",
        DATABASE_URL: databaseUrl,
        REDIS_URL: "redis://127.0.0.1:6379",
        REDIS_PREFIX: `ifr-test-${randomBytes(4).toString("hex")}:`,
        METRICS_PUBLIC: "true",
        LOG_SPOOL_DIR: mkdtempSync(join(tmpdir(), "interference-spool-")),
        ADMIN_PASSWORD: "workers test password",
      },
    });
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    await up?.close();
    await dropDb?.();
  });

  it("serves from two workers, logs each request once, and /metrics counts them all", async () => {
    expect(server.output()).toContain("2 worker processes (WORKERS=2)");
    await until(() => childrenOf(server.process.pid!).length === 2 && server.output().split("listening on").length === 3);
    const statuses = await Promise.all(Array.from({ length: 40 }, () => chat(server.port)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^interference_requests_total\{route="\/v1\/chat\/completions",provider="up",status="200"\} 40$/m);
    expect(metrics).toMatch(/^interference_circuit_state\{provider="up"\} 0$/m); // the most open of the two, not a sum
  });

  it("replaces a worker killed outright while the other one serves", async () => {
    const before = childrenOf(server.process.pid!);
    process.kill(before[0]!, "SIGKILL");
    await until(() => !childrenOf(server.process.pid!).includes(before[0]!));
    // Meanwhile every connection goes to the survivor.
    expect(await Promise.all(Array.from({ length: 10 }, () => chat(server.port)))).toEqual(Array.from({ length: 10 }, () => 200));
    await until(() => server.output().split("listening on").length === 4, 60_000);
    const after = childrenOf(server.process.pid!);
    expect(after).toHaveLength(2);
    expect(after).toContain(before[1]);
    expect(server.output()).toMatch(/worker \d \(pid \d+\) exited \(SIGKILL\): restarting/);
    expect(await Promise.all(Array.from({ length: 10 }, () => chat(server.port)))).toEqual(Array.from({ length: 10 }, () => 200));
  });

  it("stops every worker on SIGTERM, each flushing its log rows", async () => {
    const workers = childrenOf(server.process.pid!);
    expect(await server.stop()).toBe(0);
    expect(workers.filter((pid) => existsPid(pid))).toEqual([]);
    const store = await openStore({ url: databaseUrl });
    try {
      expect(await store.logs.count({ model: "m" })).toBe(60); // 40 + 10 + 10, none lost, none twice
    } finally {
      await store.close();
    }
  });
});

function existsPid(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("WORKERS on the embedded database", () => {
  it("refuses more than one worker, saying what it needs", async () => {
    const err = await startServer({ env: { WORKERS: "2" } }).then(
      (s) => (void s.stop(), null),
      (e: Error) => e,
    );
    expect(err?.message).toContain("WORKERS=2 needs DATABASE_URL on PostgreSQL and REDIS_URL");
  });
});
