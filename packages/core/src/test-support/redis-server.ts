/**
 * A redis-server of a test's own, on a free loopback port, stopped by its PID: for outage tests, which must not
 * touch the shared Redis at 6379. `installed` says whether redis-server is there (CI=true requires it).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const redisInstalled = spawnSync("redis-server", ["--version"]).status === 0;
if (!redisInstalled && process.env.CI === "true") throw new Error("CI=true needs redis-server (scripts/setup.sh --test installs it)");

export async function freePort(): Promise<number> {
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

export async function until(check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** One redis-server on `port`, keeping its data in a folder of its own: a restart finds what it held when stopped. */
export class OwnRedis {
  private child: ChildProcess | null = null;
  private readonly dir = mkdtempSync(join(tmpdir(), "own-redis-"));

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  async start(): Promise<void> {
    const args = ["--port", String(this.port), "--bind", "127.0.0.1", "--dir", this.dir, "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no"];
    this.child = spawn("redis-server", args, { stdio: "ignore" });
    await until(() => listening(this.port));
  }

  /** Killed outright (SIGKILL): an outage, not a shutdown. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    const exited = new Promise((r) => child.once("exit", r));
    process.kill(child.pid!, "SIGKILL");
    await exited;
  }
}
