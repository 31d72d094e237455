/**
 * WORKERS=N: N processes serve one port (node:cluster; the primary accepts connections and hands them round-robin
 * to the workers). Workers share the database and Redis exactly as replicas do, so N > 1 needs both: the embedded
 * database belongs to one process, and without Redis each worker would count rate limits and budgets alone.
 */
import cluster, { type Worker } from "node:cluster";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { clusterMetricsText } from "@interference/core";

type Env = Record<string, string | undefined>;

export type WorkerPlan = { count: number; why: string } | { error: string };

/** Whether the database and Redis are shared stores that several processes can use at once. */
function sharedStores(env: Env): boolean {
  return /^postgres(ql)?:\/\//.test(env.DATABASE_URL ?? "") && Boolean(env.REDIS_URL);
}

/**
 * The cores this process may use: the CPUs it may run on, capped by a cgroup v2 CPU quota (a container's limit,
 * which the CPU count does not show).
 */
export function coresAvailable(cpuMax = readCpuMax()): number {
  const cpus = availableParallelism();
  const [quota, period] = (cpuMax ?? "max").trim().split(/\s+/);
  if (!quota || quota === "max" || !Number(period)) return cpus;
  return Math.max(1, Math.min(cpus, Math.floor(Number(quota) / Number(period))));
}

function readCpuMax(): string | null {
  try {
    return readFileSync("/sys/fs/cgroup/cpu.max", "utf8");
  } catch {
    return null; // not Linux, or cgroup v1: no quota to read
  }
}

/** How many worker processes to run: WORKERS (a number, or `auto`: one per core where the stores allow it). */
export function planWorkers(env: Env, cores = coresAvailable()): WorkerPlan {
  const raw = (env.WORKERS ?? "auto").trim().toLowerCase();
  const shared = sharedStores(env);
  if (raw === "auto" || raw === "") {
    return shared
      ? { count: cores, why: `WORKERS=auto: one per core (${cores})` }
      : { count: 1, why: "WORKERS=auto: one process (several need DATABASE_URL on PostgreSQL and REDIS_URL)" };
  }
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 256) {
    return { error: `WORKERS must be a whole number from 1 to 256, or auto; got "${env.WORKERS}"` };
  }
  const count = Number(raw);
  if (count > 1 && !shared) {
    return {
      error: `WORKERS=${count} needs DATABASE_URL on PostgreSQL and REDIS_URL: workers share the database and count rate limits and budgets through Redis, as replicas do (the embedded database belongs to one process)`,
    };
  }
  return { count, why: `WORKERS=${count}` };
}

/** This process's worker slot (0..N-1), stable across restarts: a restarted worker takes over its slot's log spool. */
export function workerSlot(env: NodeJS.ProcessEnv = process.env): number | null {
  return cluster.isWorker && env.INTERFERENCE_WORKER_SLOT !== undefined ? Number(env.INTERFERENCE_WORKER_SLOT) : null;
}

type Message = { type: "interference:metrics"; id: number } | { type: "interference:metrics-reply"; id: number; text?: string; error?: string };

/** In a worker: the whole cluster's metrics, gathered by the primary (5 s at most). */
export function metricsFromPrimary(): () => Promise<string> {
  let next = 0;
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void }>();
  process.on("message", (m: Message) => {
    if (m?.type !== "interference:metrics-reply") return;
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.text !== undefined) w?.resolve(m.text);
    else w?.reject(new Error(`the primary could not gather the workers' metrics: ${m.error}`));
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = ++next;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error("the primary did not answer for the workers' metrics within 5 s"));
      }, 5000);
      waiting.set(id, {
        resolve: (t) => (clearTimeout(timer), resolve(t)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      process.send!({ type: "interference:metrics", id } satisfies Message);
    });
}

/**
 * The primary: forks the first worker alone (it migrates the database and prints a generated admin password), the
 * others once it listens; restarts a worker that dies (waiting longer each time one dies young); on SIGTERM or
 * SIGINT, passes the signal on and exits once every worker has finished its own graceful shutdown.
 */
export async function runPrimary(count: number, why: string): Promise<void> {
  console.log(`[interference] ${count} worker processes (${why}), primary pid ${process.pid}`);
  let stopping = false;
  let started = false;
  const slots = new Map<Worker, { slot: number; startedAt: number }>();
  const crashes = Array.from({ length: count }, () => 0);

  const fork = (slot: number): Worker => {
    const worker = cluster.fork({ INTERFERENCE_WORKER_SLOT: String(slot) });
    slots.set(worker, { slot, startedAt: Date.now() });
    worker.on("message", (m: Message) => {
      if (m?.type !== "interference:metrics") return;
      clusterMetricsText().then(
        (text) => worker.isConnected() && worker.send({ type: "interference:metrics-reply", id: m.id, text } satisfies Message),
        (err: Error) => worker.isConnected() && worker.send({ type: "interference:metrics-reply", id: m.id, error: err.message } satisfies Message),
      );
    });
    return worker;
  };

  const listening = (worker: Worker) =>
    new Promise<void>((resolve, reject) => {
      worker.once("listening", () => resolve());
      worker.once("exit", (code) => reject(new Error(`the first worker exited before listening (code ${code})`)));
    });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`[interference] ${signal}: stopping ${slots.size} workers`);
    for (const worker of slots.keys()) worker.process.kill(signal);
    if (slots.size === 0) process.exit(0);
  };
  // From the start: a signal while the first worker is still starting stops it too, rather than orphaning it.
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  cluster.on("exit", (worker, code, signal) => {
    const info = slots.get(worker);
    slots.delete(worker);
    if (stopping) {
      if (slots.size === 0) {
        console.log("[interference] all workers stopped");
        process.exit(0);
      }
      return;
    }
    if (!info || !started) return; // the first worker failing to start ends the primary (below)
    // A worker that ran a while restarts after half a second; one that keeps dying young waits longer each time,
    // up to 30 s.
    crashes[info.slot] = Date.now() - info.startedAt < 10_000 ? crashes[info.slot]! + 1 : 0;
    const delayMs = Math.min(30_000, 500 * 2 ** crashes[info.slot]!);
    console.error(`[interference] worker ${info.slot} (pid ${worker.process.pid}) exited (${signal ?? `code ${code}`}): restarting in ${delayMs} ms`);
    setTimeout(() => !stopping && fork(info.slot), delayMs);
  });

  try {
    await listening(fork(0));
  } catch (err) {
    if (stopping) process.exit(0);
    console.error(`[interference] failed to start: ${(err as Error).message}`);
    process.exit(1);
  }
  started = true;
  if (!stopping) for (let slot = 1; slot < count; slot++) fork(slot);
}
