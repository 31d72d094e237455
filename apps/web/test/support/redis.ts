/** Redis for tests: a redis-server of a test's own, on its own port, stopped by PID; and whether the shared one on 6379 answers. */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createConnection } from "node:net";

export const redisServerBinary = spawnSync("sh", ["-c", "command -v redis-server"]).stdout.toString().trim();

export async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(redisServerBinary, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((r) => {
      const s = createConnection(port, "127.0.0.1");
      s.once("connect", () => (s.destroy(), r(true)));
      s.once("error", () => r(false));
    });
    if (up) return child;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("redis-server did not start");
}

export const stopRedis = (child: ChildProcess) =>
  new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : (child.once("exit", () => r()), child.kill("SIGKILL"))));

/** Whether the machine's own Redis answers on 127.0.0.1:6379 (tests that share it need it; CI=true requires it). */
export const redisReachable = () =>
  new Promise<boolean>((resolve) => {
    const s = createConnection(6379, "127.0.0.1");
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
