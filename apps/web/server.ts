/**
 * One process, one port: /v1 goes straight to the gateway's node:http handler (no framework on the hot path),
 * everything else to Next.js (Next's documented custom-server mode). With WORKERS=N, N such processes share the
 * port (lib/workers.ts).
 */
import cluster from "node:cluster";
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { clientAddress, parseTrustedProxies } from "@interference/core";
import { getRuntime } from "./lib/runtime";
import { CLIENT_ADDRESS_HEADER } from "./lib/admin/session";
import { installDashboardStorage } from "./lib/dashboard-storage";
import { planWorkers, runPrimary } from "./lib/workers";

const port = Number(process.env.PORT ?? 1337);
const host = process.env.HOST ?? "0.0.0.0";
const dev = process.env.NODE_ENV === "development";
const dir = fileURLToPath(new URL("..", import.meta.url)); // dist/server.js → apps/web
const shutdownDeadlineMs = Number(process.env.SHUTDOWN_TIMEOUT_MS ?? 10_000);
const drainDelayMs = Number(process.env.SHUTDOWN_DRAIN_DELAY_MS ?? 0);

async function main(): Promise<void> {
  const started = performance.now();
  const workers = planWorkers(process.env);
  if ("error" in workers) throw new Error(workers.error);
  if (cluster.isPrimary && workers.count > 1) return runPrimary(workers.count, workers.why);
  // WebAssembly (embedded PostgreSQL, Prisma's query compiler, undici's HTTP parser) runs on V8's baseline
  // compiler only: ~50 MB less resident memory, and no CPU cost we could measure (README, Benchmarks).
  // Set before any module is compiled; NODE_OPTIONS cannot carry V8 flags like this one.
  setFlagsFromString("--liftoff-only");
  // A full GC once the old generation has grown 30% past what survived the last one, rather than V8's default of
  // letting it double or more: requests' short-lived objects reach the old generation under load, and at 1,000
  // held streams right after a burst the default left 297-398 MB resident. 10% held that to 259-282 MB but ran a
  // full GC every ~300 ms under load, mostly on V8's helper threads: 30% took CPU per JSON request from 261-393 to
  // 218-262 µs (eight alternating pairs) for 268-291 MB held (README, Benchmarks). Read at each GC.
  setFlagsFromString("--heap-growing-percent=30");
  // Before Next loads, which reads it once: its request storages, turned off while the dashboard is idle.
  const dashboard = installDashboardStorage();
  const { default: next } = await import("next");
  const runtime = await getRuntime();
  const app = next({ dev, dir, hostname: host, port });
  await app.prepare();
  const nextHandler = app.getRequestHandler();
  const gatewayListener = runtime.gateway.nodeListener();
  const trustedProxies = parseTrustedProxies(process.env.TRUSTED_PROXIES);

  // Requests being served, so a shutdown knows when the last one is done.
  let inFlight = 0;
  let stopping = false;
  let idle: (() => void) | null = null;
  const server = createServer((req, res) => {
    inFlight++;
    res.once("close", () => {
      inFlight--;
      if (inFlight === 0) idle?.();
    });
    // Draining: each connection closes after its answer, so the load balancer opens a new one, which this
    // replica no longer accepts, and goes to another replica before sending anything.
    if (stopping) res.setHeader("connection", "close");
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    if (runtime.gateway.handles(q === -1 ? url : url.slice(0, q))) return gatewayListener(req, res);
    // The dashboard's sign-in limiter keys on this; whatever a client sent under that name is replaced.
    const forwarded = req.headers["x-forwarded-for"];
    req.headers[CLIENT_ADDRESS_HEADER] = clientAddress(req.socket.remoteAddress, Array.isArray(forwarded) ? forwarded.join(",") : forwarded, trustedProxies);
    dashboard.begin();
    res.once("close", () => dashboard.end());
    nextHandler(req, res).catch((err: unknown) => {
      console.error("[interference] dashboard request failed:", err);
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000; // longer than common load balancers' idle timeout
  server.headersTimeout = 66_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  console.log(`[interference] listening on http://${host}:${port} (ready in ${Math.round(performance.now() - started)} ms)`);

  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    // Not ready from now on; SHUTDOWN_DRAIN_DELAY_MS keeps accepting meanwhile, for load balancers that learn of it
    // by polling /readyz (Kubernetes: or a preStop sleep).
    runtime.gateway.drain();
    console.log(`[interference] ${signal}: not ready; finishing in-flight requests (up to ${shutdownDeadlineMs} ms)`);
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, shutdownDeadlineMs).unref());
    if (drainDelayMs > 0) await Promise.race([new Promise((resolve) => setTimeout(resolve, drainDelayMs)), deadline]);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Idle keep-alive connections stay open until the requests in flight are done: one the load balancer picks
    // meanwhile is served (and then closed) rather than cut as the request arrives.
    const drained = inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (idle = resolve));
    await Promise.race([drained, deadline]);
    server.closeIdleConnections();
    await Promise.race([closed, deadline]);
    server.closeAllConnections();
    const hardStop = setTimeout(() => {
      console.error("[interference] shutdown did not finish: exiting anyway");
      process.exit(1);
    }, 60_000);
    hardStop.unref();
    await runtime.close();
    console.log("[interference] stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((err) => {
  console.error("[interference] failed to start:", err instanceof Error ? err.message : err);
  process.exit(1);
});
