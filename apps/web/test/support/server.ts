/** Starts the real built gateway (apps/web/dist/server.js) as a child process on a free port. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const WEB_DIR = fileURLToPath(new URL("../..", import.meta.url));

export interface RunningServer {
  url: string;
  port: number;
  output: () => string;
  /** Sends SIGTERM and waits for the process to exit; resolves with its exit code. */
  stop(): Promise<number | null>;
  process: ChildProcess;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export function writeConfig(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), "interference-test-"));
  const path = join(dir, "interference.yaml");
  writeFileSync(path, yaml);
  return path;
}

export interface StartOptions {
  config?: string;
  port?: number;
  env?: Record<string, string>;
  /** "custom" = dist/server.js (production); "next" = `next start` alone (route handlers). */
  mode?: "custom" | "next";
}

/** Waits until nothing listens on `port` (a fixed port, like the seed examples' 1337, may be held by a parallel run). */
async function waitForPortFree(port: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once("error", () => resolve(false));
      s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
    });
    if (free) return;
    if (Date.now() > deadline) throw new Error(`port ${port} stayed busy for ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function startServer(opts: StartOptions = {}): Promise<RunningServer> {
  if (opts.port) await waitForPortFree(opts.port);
  const port = opts.port ?? (await freePort());
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: "127.0.0.1",
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    INTERFERENCE_CONFIG: opts.config ?? writeConfig("providers: []\n"),
    // Each server its own embedded database (PGlite is single-process); tests pass a postgres:// URL to share one.
    DATABASE_URL: `pglite:${mkdtempSync(join(tmpdir(), "interference-db-"))}`,
    // One process, as each test expects of a "replica"; workers.e2e.test.ts asks for more.
    WORKERS: "1",
    ...opts.env,
  };
  const args =
    opts.mode === "next"
      ? [join(WEB_DIR, "node_modules/next/dist/bin/next"), "start", "-p", String(port), "-H", "127.0.0.1"]
      : [join(WEB_DIR, "dist/server.js")];
  const child = spawn(process.execPath, args, { cwd: WEB_DIR, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited early (${child.exitCode}):\n${out}`);
    try {
      // The custom server listens once it is ready: its liveness route says so (not /v1, which needs a key once
      // keys exist). `next start` alone listens early and starts the gateway at its first /v1 request.
      const res = await fetch(`${url}${opts.mode === "next" ? "/v1/providers" : "/healthz"}`);
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (Date.now() >= deadline) throw new Error(`server did not start:\n${out}`);
  return {
    url,
    port,
    process: child,
    output: () => out,
    stop: () =>
      new Promise((resolve) => {
        // Already gone (exited, or killed by a signal: then no exit event will come again).
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once("exit", (code) => resolve(code));
        child.kill("SIGTERM");
      }),
  };
}
