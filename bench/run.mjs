#!/usr/bin/env node
/**
 * Side-by-side gateway benchmark, in one run on this machine, against one fake OpenAI upstream (fixed latency;
 * streaming mode), the same load for each target:
 *   direct                 the upstream itself, no gateway: its own latency under this load, which overheads are measured from
 *   floor                  a bare node:http pass-through proxy: the least any Node gateway can cost
 *   core                   Interference's /v1 handler alone on node:http (no Next.js, no database)
 *   interference           the production server as `pnpm start` runs it, logging on, embedded PGlite
 *   interference-postgres  the same with its log and metadata on the local PostgreSQL (skipped when unreachable)
 *   portkey, litellm       the peers
 *
 *   pnpm bench [--duration 10] [--levels 1,50,200] [--targets direct,floor,core,interference,...]
 *              [--latency 50] [--chunks 50] [--gap 10] [--sse 1000] [--rate 1000] [--cpu-levels 50,200]
 *              [--loader wrk|autocannon] [--no-cache]
 * Peers are installed on first use: Portkey and autocannon into bench/.deps (npm), LiteLLM into bench/.venv (pip;
 * or set LITELLM_BIN to an installed `litellm`). The closed-loop levels use wrk (Debian's package, installed on
 * first use where apt-get can) when it is there, else autocannon: on a 2-core machine, a load generator in C leaves
 * the targets the CPU that autocannon, a Node program, would take from them.
 * Then the CPU-bound levels: the upstream answers at once, and each Node target's event-loop delay (p99, max) is
 * read during each level (bench/lib/loop-monitor.cjs, preloaded).
 * Prints tables (req/s, latency, overhead, the target's CPU per request, RSS) and writes bench/results/latest.json.
 */
import { spawn, execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..");
const opt = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1];
};
const DURATION = Number(opt("duration", 10));
const LEVELS = opt("levels", "1,50,200").split(",").map(Number);
const TARGETS = opt("targets", "direct,floor,core,interference,interference-postgres,portkey,litellm").split(",");
const LATENCY = Number(opt("latency", 50));
const CHUNKS = Number(opt("chunks", 50));
const GAP = Number(opt("gap", 10));
const SSE = Number(opt("sse", 1000));
const OPEN_RATE = Number(opt("rate", 1000)); // 0 skips the open-loop level
// CPU-bound levels: the same targets with the upstream answering at once, where throughput is the gateway's own
// CPU per request and a stalled event loop shows. 0 skips them.
const CPU_LEVELS = opt("cpu-levels", "50,200").split(",").map(Number).filter(Boolean);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------- peers, installed on first use ----------
const DEPS = join(HERE, ".deps");
/**
 * Portkey 1.15.2 declares @hono/node-server ^1.3.3, but from 1.14 on that package's Response keeps the upstream
 * fetch's immutable headers, and Portkey's streams fail with "TypeError: immutable" (Portkey-AI/gateway#1389): the
 * last version its streams work with is pinned.
 */
const HONO_NODE_SERVER = "1.13.8";
function ensureNpmDeps() {
  const hono = join(DEPS, "node_modules/@hono/node-server/package.json");
  const pinned = existsSync(hono) && JSON.parse(readFileSync(hono, "utf8")).version === HONO_NODE_SERVER;
  if (existsSync(join(DEPS, "node_modules/autocannon")) && existsSync(join(DEPS, "node_modules/@portkey-ai/gateway")) && pinned) return;
  mkdirSync(DEPS, { recursive: true });
  writeFileSync(join(DEPS, "package.json"), JSON.stringify({ private: true, overrides: { "@hono/node-server": HONO_NODE_SERVER } }));
  console.log("[bench] installing autocannon and @portkey-ai/gateway into bench/.deps");
  execFileSync("npm", ["install", "--prefix", DEPS, "--no-save", "--no-audit", "--no-fund", "autocannon@8.0.0", "@portkey-ai/gateway@1.15.2"], {
    stdio: "inherit",
  });
}
const VENV = join(HERE, ".venv");
function ensureLiteLLM() {
  if (process.env.LITELLM_BIN) return process.env.LITELLM_BIN; // an existing install
  const bin = join(VENV, "bin/litellm");
  if (existsSync(bin)) return bin;
  console.log("[bench] installing litellm[proxy] into bench/.venv (a few minutes, once)");
  try {
    execFileSync("python3", ["-m", "venv", VENV], { stdio: "inherit" });
    execFileSync(join(VENV, "bin/pip"), ["install", "--quiet", "litellm[proxy]"], { stdio: "inherit" });
    return bin;
  } catch (err) {
    console.log(`[bench] LiteLLM could not be installed (${err.message}); skipping it`);
    return null;
  }
}

function onPath(cmd) {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
/** wrk, from Debian's packages, installed here on first use when apt-get can; null means autocannon is used. */
function ensureWrk() {
  if (opt("loader", "wrk") !== "wrk") return null;
  if (onPath("wrk")) return "wrk";
  if (process.getuid?.() === 0 && onPath("apt-get")) {
    console.log("[bench] installing wrk (Debian's package)");
    try {
      execFileSync("apt-get", ["install", "-y", "-qq", "wrk"], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
      if (onPath("wrk")) return "wrk";
    } catch {}
  }
  console.log("[bench] wrk is not installed and could not be: closed-loop levels use autocannon");
  return null;
}

// ---------- processes ----------
/** A port free right now, chosen by the system: a fixed range can fall among the load generator's own ephemeral
 * ports (32768 and up on Linux), and a target that cannot listen then never comes up. */
function port() {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port: free } = probe.address();
      probe.close(() => resolve(free));
    });
  });
}

const LOOP_DIR = mkdtempSync(join(tmpdir(), "bench-loop-"));
let started = 0;

function start(cmd, args, { env = {}, ready, cwd } = {}) {
  // Node targets carry the event-loop monitor; it writes here when signalled.
  const loopFile = cmd === process.execPath ? join(LOOP_DIR, `${++started}.json`) : null;
  const monitor = loopFile
    ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require ${join(HERE, "lib/loop-monitor.cjs")}`.trim(), LOOP_MONITOR_FILE: loopFile }
    : {};
  const child = spawn(cmd, args, { env: { ...process.env, ...monitor, ...env }, cwd, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  return { child, loopFile, log: () => log, ready: ready ?? (async () => undefined) };
}

/** The target's event-loop delay since the last call (null for a target without the monitor). */
async function loopDelay(proc) {
  if (!proc.loopFile || proc.child.exitCode !== null) return null;
  rmSync(proc.loopFile, { force: true });
  proc.child.kill("SIGUSR2");
  for (let i = 0; i < 50 && !existsSync(proc.loopFile); i++) await sleep(20);
  try {
    return JSON.parse(readFileSync(proc.loopFile, "utf8"));
  } catch {
    return null;
  }
}

/** The fake upstream's latency (and the gap between stream chunks) from now on. */
const setUpstreamLatency = (ms, gap = GAP) =>
  fetch(`http://127.0.0.1:${upPort}/__bench/latency`, { method: "POST", body: JSON.stringify({ ms, gap }) }).then((r) => r.text());

/** Waits until `url` answers below 500; fails early when `proc` (the target being waited for) exits. */
async function waitHttp(url, { init, timeoutMs = 120_000, proc } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc && proc.child.exitCode !== null) throw new Error(`the target exited (${proc.child.exitCode}):\n${proc.log().slice(-2000)}`);
    try {
      const res = await fetch(url, init);
      if (res.status < 500) return;
    } catch {}
    await sleep(200);
  }
  if (proc) await stop(proc);
  throw new Error(`${url} did not come up${proc ? `:\n${proc.log().slice(-2000)}` : ""}`);
}

/** Peak resident memory since start (VmHWM) of a process and its descendants, in MB. */
function peakRssMb(pid, field = "VmHWM") {
  let total = 0;
  const visit = (p) => {
    try {
      const status = readFileSync(`/proc/${p}/status`, "utf8");
      total += Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
      for (const t of readFileSync(`/proc/${p}/task/${p}/children`, "utf8").trim().split(/\s+/).filter(Boolean)) visit(t);
    } catch {}
  };
  visit(pid);
  return total / 1024;
}

function stop(proc) {
  return new Promise((resolve) => {
    if (proc.child.exitCode !== null) return resolve();
    proc.child.once("exit", () => resolve());
    try {
      process.kill(-proc.child.pid, "SIGTERM");
    } catch {
      proc.child.kill("SIGTERM");
    }
    setTimeout(() => proc.child.kill("SIGKILL"), 5000).unref();
  });
}

// ---------- targets ----------
const body = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello." }] });
const streamBody = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello." }], stream: true });
/**
 * The other public APIs, CPU-bound: Responses and Messages served natively (an openai provider with
 * `responses_api` speaks Responses, an anthropic one Messages), and Chat Completions and Responses translated for
 * the anthropic provider. The floor and the upstream itself forward each as it is (the fake upstream answers every
 * path in its own shape); Portkey is told the row's provider family by header, LiteLLM by the model's entry in its
 * config. A row a target answers with anything but a 200 is reported as not served, with the answer's first words.
 */
/** Alternating user and assistant turns of code and prose, about `bytes` long in all. */
function longConversation(bytes) {
  const turn = 'Here is the function again, with the fix:\n```ts\nexport function add(a: number, b: number): number {\n  return a + b; // "sum"\n}\n```\n';
  const turns = 40;
  return Array.from({ length: turns }, (_, i) => ({ role: i % 2 ? "assistant" : "user", content: turn.repeat(Math.ceil(bytes / turns / turn.length)) }));
}

const API_ROWS = [
  {
    name: "responses (native)",
    family: "openai",
    path: "/responses",
    body: JSON.stringify({ model: "gpt-4o-mini", input: "Say hello.", store: false }),
  },
  {
    // OpenAI's default, so what an SDK call that leaves `store` out costs: the response kept for previous_response_id.
    name: "responses, stored (native)",
    family: "openai",
    path: "/responses",
    body: JSON.stringify({ model: "gpt-4o-mini", input: "Say hello.", store: true }),
  },
  {
    name: "messages (native)",
    family: "anthropic",
    path: "/messages",
    body: JSON.stringify({ model: "claude-bench", max_tokens: 64, messages: [{ role: "user", content: "Say hello." }] }),
    headers: { "anthropic-version": "2023-06-01" },
  },
  {
    // A coding assistant's turn: the whole conversation so far (about 100 KB) sent again with each request.
    name: "messages, 100 KB prompt (native)",
    family: "anthropic",
    path: "/messages",
    body: JSON.stringify({ model: "claude-bench", max_tokens: 64, messages: longConversation(100 * 1024) }),
    headers: { "anthropic-version": "2023-06-01" },
  },
  {
    // The chat row again, after an admin opened the dashboard: Next's request storages were used, and the server
    // turns them off again 1 s after the dashboard's last response (apps/web/lib/dashboard-storage.ts). Only the
    // Interference targets serve a dashboard; the others run the plain chat row here.
    name: "chat, after a dashboard page",
    family: "openai",
    path: "/chat/completions",
    body,
    afterDashboard: true,
  },
  {
    name: "chat → anthropic (translated)",
    family: "anthropic",
    path: "/chat/completions",
    body: JSON.stringify({ model: "claude-bench", max_tokens: 64, messages: [{ role: "user", content: "Say hello." }] }),
  },
  {
    name: "responses → anthropic (translated)",
    family: "anthropic",
    path: "/responses",
    body: JSON.stringify({ model: "claude-bench", input: "Say hello.", max_output_tokens: 64, store: false }),
  },
];

async function startTarget(name, upstreamPort) {
  const p = await port();
  const upstream = `http://127.0.0.1:${upstreamPort}/v1`;
  const url = `http://127.0.0.1:${p}/v1/chat/completions`;
  if (name === "direct") {
    // The upstream itself: its process is shared with every other target and stopped only at the end.
    return { proc: upstreamProc, url: `http://127.0.0.1:${upstreamPort}/v1/chat/completions`, headers: { "content-type": "application/json" }, shared: true };
  }
  if (name === "floor") {
    const proc = start(process.execPath, [join(HERE, "lib/floor-proxy.mjs"), String(p), String(upstreamPort)]);
    await waitHttp(`http://127.0.0.1:${p}/`, { init: { method: "GET" }, proc });
    return { proc, url, headers: { "content-type": "application/json" } };
  }
  if (name === "core") {
    const proc = start(process.execPath, [join(HERE, "lib/core-server.mjs"), String(p), upstream]);
    await waitHttp(`http://127.0.0.1:${p}/v1/providers`, { proc });
    return { proc, url, headers: { "content-type": "application/json" } };
  }
  if (name === "interference" || name === "interference-postgres") {
    const dir = mkdtempSync(join(tmpdir(), "bench-"));
    writeFileSync(
      join(dir, "interference.yaml"),
      `providers:\n  - { id: up, type: openai, base_url: "${upstream}", api_key: sk-bench, models: [gpt-4o-mini], responses_api: true }\n  - { id: anth, type: anthropic, base_url: "${upstream}", api_key: sk-ant-bench, models: [claude-bench] }\n`,
    );
    const databaseUrl = name === "interference" ? `pglite:${join(dir, "db")}` : await freshPostgres();
    if (!databaseUrl) return null;
    const proc = start(process.execPath, [join(ROOT, "apps/web/dist/server.js")], {
      env: {
        PORT: String(p),
        HOST: "127.0.0.1",
        NODE_ENV: "production",
        INTERFERENCE_CONFIG: join(dir, "interference.yaml"),
        DATABASE_URL: databaseUrl,
        // As `pnpm start` runs on its embedded database: the log spool on, beside the data folder.
        ...(name === "interference" ? { LOG_SPOOL_DIR: join(dir, "log-spool") } : {}),
      },
    });
    await waitHttp(`http://127.0.0.1:${p}/v1/providers`, { proc });
    return { proc, url, headers: { "content-type": "application/json" }, dashboardUrl: `http://127.0.0.1:${p}` };
  }
  if (name === "portkey") {
    const proc = start(process.execPath, [join(DEPS, "node_modules/@portkey-ai/gateway/build/start-server.js"), `--port=${p}`, "--headless"], {
      env: { TRUSTED_CUSTOM_HOSTS: "127.0.0.1,localhost" },
    });
    await waitHttp(`http://127.0.0.1:${p}/`, { proc });
    return {
      proc,
      url,
      headers: { "content-type": "application/json", "x-portkey-provider": "openai", "x-portkey-custom-host": upstream, authorization: "Bearer sk-bench" },
      headersFor: (family) => ({ "x-portkey-provider": family }),
    };
  }
  if (name === "litellm") {
    const bin = ensureLiteLLM();
    if (!bin) return null;
    const dir = mkdtempSync(join(tmpdir(), "bench-litellm-"));
    writeFileSync(
      join(dir, "config.yaml"),
      // LiteLLM adds /v1/messages to an anthropic api_base itself.
      `model_list:\n  - model_name: gpt-4o-mini\n    litellm_params:\n      model: openai/gpt-4o-mini\n      api_base: ${upstream}\n      api_key: sk-bench\n` +
        `  - model_name: claude-bench\n    litellm_params:\n      model: anthropic/claude-bench\n      api_base: ${upstream.replace(/\/v1$/, "")}\n      api_key: sk-ant-bench\n`,
    );
    const proc = start(bin, ["--config", join(dir, "config.yaml"), "--port", String(p), "--host", "127.0.0.1", "--num_workers", "1"], {
      env: { LITELLM_LOG: "ERROR", LITELLM_TELEMETRY: "False", DISABLE_ADMIN_UI: "True", LITELLM_MASTER_KEY: "sk-bench-master-key-0123456789" },
    });
    await waitHttp(`http://127.0.0.1:${p}/health/liveliness`, { timeoutMs: 180_000, proc });
    return { proc, url, headers: { "content-type": "application/json", authorization: "Bearer sk-bench-master-key-0123456789" } };
  }
  throw new Error(`unknown target ${name}`);
}

/** A new database on the PostgreSQL at BENCH_POSTGRES_URL (default: the local one), or null when unreachable. */
const benchDatabases = [];
const pg = createRequire(join(ROOT, "packages/db/package.json"))("pg");
const POSTGRES_ADMIN = process.env.BENCH_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
async function freshPostgres() {
  const name = `ifr_bench_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (err) {
    console.log(`[bench] PostgreSQL not reachable (${err.message}): skipping interference-postgres`);
    return null;
  } finally {
    await admin.end().catch(() => {});
  }
  benchDatabases.push(name);
  const url = new URL(POSTGRES_ADMIN);
  url.pathname = `/${name}`;
  return url.toString();
}
async function dropBenchDatabases() {
  if (!benchDatabases.length) return;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN });
  await admin.connect();
  for (const name of benchDatabases) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
  await admin.end();
}

// ---------- load ----------
const require = createRequire(join(ROOT, "packages/core/package.json"));
const { Pool, Agent, request } = require("undici");

/** CPU seconds (user + system) used so far by a process and its descendants. */
function cpuSeconds(pid) {
  const ticks = 100; // USER_HZ on Linux
  let total = 0;
  const visit = (p) => {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1].split(" ");
      total += (Number(fields[11]) + Number(fields[12])) / ticks; // utime, stime
      for (const t of readFileSync(`/proc/${p}/task/${p}/children`, "utf8").trim().split(/\s+/).filter(Boolean)) visit(t);
    } catch {}
  };
  visit(pid);
  return total;
}

/** A wrk script that sends this JSON body with these headers (Lua long strings: nothing to escape). */
function wrkScript(headers, payload) {
  const file = join(mkdtempSync(join(tmpdir(), "bench-wrk-")), "post.lua");
  const lines = [
    `wrk.method = "POST"`,
    `wrk.body = [==[${payload}]==]`,
    ...Object.entries(headers).map(([k, v]) => `wrk.headers[ [==[${k}]==] ] = [==[${v}]==]`),
  ];
  writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

/** wrk's latency figures ("51.63ms", "812.00us", "1.20s") in milliseconds. */
function wrkMs(text) {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text);
  if (!m) return NaN;
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]];
}

async function runWrk(target, connections, seconds = DURATION) {
  const script = wrkScript(target.headers, target.body ?? body);
  const { stdout } = await promisify(execFile)("wrk", ["-t1", `-c${connections}`, `-d${seconds}s`, "--latency", "--timeout", "30s", "-s", script, target.url], {
    maxBuffer: 1 << 20,
  });
  const pct = (p) => wrkMs(new RegExp(`^\\s+${p}%\\s+(\\S+)`, "m").exec(stdout)?.[1] ?? "");
  const total = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const errors = non2xx + (socket ? socket.slice(1).reduce((n, x) => n + Number(x), 0) : 0);
  return { reqPerSec: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0), p50: pct(50), p99: pct(99), errors, total };
}

async function runAutocannon(target, connections, seconds = DURATION) {
  const r = await autocannon({
    url: target.url,
    method: "POST",
    headers: target.headers,
    body: target.body ?? body,
    connections,
    duration: seconds,
    pipelining: 1,
  });
  return { reqPerSec: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx, total: r.requests.total };
}

async function loadJson(target, connections, seconds = DURATION) {
  const cpu0 = cpuSeconds(target.proc.child.pid);
  const r = WRK ? await runWrk(target, connections, seconds) : await runAutocannon(target, connections, seconds);
  // The target's own CPU per request: steadier than req/s on a small shared machine, where the load generator
  // and the upstream compete for the same cores.
  const cpuUsPerReq = ((cpuSeconds(target.proc.child.pid) - cpu0) * 1e6) / Math.max(1, r.total);
  return { ...r, cpuUsPerReq };
}

/** Null when the target answers the request with a 200, else its status and the answer's first words. */
async function notServed(target) {
  try {
    const res = await request(target.url, { method: "POST", headers: target.headers, body: target.body ?? body });
    const text = await res.body.text();
    return res.statusCode === 200 ? null : `${res.statusCode}: ${text.replace(/\s+/g, " ").slice(0, 160)}`;
  } catch (err) {
    return err.message;
  }
}

/**
 * Open loop: requests arrive at a fixed `rate` over up to `connections` connections, each timed on its own. Below
 * the machine's capacity, latency shows what each request costs rather than how long it queued. (autocannon's
 * own rate limit was no use here: it reported latencies under the upstream's fixed 50 ms.)
 */
async function loadOpen(target, rate, connections, seconds) {
  const pool = new Pool(new URL(target.url).origin, { connections, keepAliveTimeout: 30_000 });
  const path = new URL(target.url).pathname;
  const latencies = [];
  let errors = 0;
  const inFlight = new Set();
  let skipped = 0; // arrivals while every connection was busy: the target is not keeping up with the rate
  const tickMs = 10;
  const perTick = (rate * tickMs) / 1000;
  let due = 0;
  const send = () => {
    const t0 = performance.now();
    const p = pool
      .request({ path, method: "POST", headers: target.headers, body })
      .then(async (res) => {
        await res.body.text();
        if (res.statusCode === 200) latencies.push(performance.now() - t0);
        else errors++;
      })
      .catch(() => errors++)
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  const cpu0 = cpuSeconds(target.proc.child.pid);
  const started = performance.now();
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      if (performance.now() - started >= seconds * 1000) {
        clearInterval(timer);
        return resolve();
      }
      for (due += perTick; due >= 1; due--) {
        if (inFlight.size >= connections) skipped++;
        else send();
      }
    }, tickMs);
  });
  await Promise.all(inFlight);
  const cpuUsPerReq = ((cpuSeconds(target.proc.child.pid) - cpu0) * 1e6) / Math.max(1, latencies.length + errors);
  await pool.close();
  const q = (p) => [...latencies].sort((a, b) => a - b)[Math.floor((latencies.length - 1) * p)] ?? NaN;
  return { rate, sent: latencies.length + errors, skipped, errors, p50: q(0.5), p99: q(0.99), cpuUsPerReq };
}

/** Streams for `seconds` with `concurrency` clients: time to first chunk and the gap between chunks. */
async function loadStream(target, concurrency, seconds) {
  const agent = new Agent({ connections: concurrency, keepAliveTimeout: 30_000 });
  const ttfc = [];
  const gaps = [];
  let failures = 0;
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        const t0 = performance.now();
        try {
          const res = await request(target.url, { method: "POST", headers: target.headers, body: streamBody, dispatcher: agent });
          if (res.statusCode !== 200) {
            failures++;
            await res.body.text();
            continue;
          }
          let last = 0;
          let text = "";
          for await (const piece of res.body) {
            const now = performance.now();
            text += piece;
            if (!last) ttfc.push(now - t0);
            else gaps.push(now - last);
            last = now;
          }
          if (!text.includes("[DONE]")) failures++;
        } catch {
          failures++;
        }
      }
    }),
  );
  await agent.close();
  const q = (xs, p) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)] : NaN);
  return { streams: ttfc.length, failures, ttfcP50: q(ttfc, 0.5), ttfcP99: q(ttfc, 0.99), gapMean: gaps.reduce((s, g) => s + g, 0) / (gaps.length || 1) };
}

/** `count` streams open at once against a slow upstream; the target's peak RSS while they are held. */
async function concurrentStreams(target, count) {
  const agent = new Agent({ connections: count + 10, keepAliveTimeout: 30_000 });
  // Resident memory now (VmRSS), sampled while the streams are open: what holding them costs, start-up aside.
  let heldPeak = 0;
  const sampler = setInterval(() => (heldPeak = Math.max(heldPeak, peakRssMb(target.proc.child.pid, "VmRSS"))), 50);
  let done = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: count }, async () => {
      try {
        const res = await request(target.url, {
          method: "POST",
          headers: target.headers,
          body: streamBody,
          dispatcher: agent,
          bodyTimeout: 120_000,
          headersTimeout: 120_000,
        });
        const text = await res.body.text();
        if (res.statusCode === 200 && text.includes("[DONE]")) done++;
        else failed++;
      } catch {
        failed++;
      }
    }),
  );
  clearInterval(sampler);
  await agent.close();
  return { count, completed: done, failed, peakRssMb: peakRssMb(target.proc.child.pid), heldRssMb: heldPeak };
}

// ---------- run ----------
ensureNpmDeps();
const autocannon = createRequire(join(DEPS, "package.json"))("autocannon");
const WRK = ensureWrk();
if (TARGETS.some((t) => t.startsWith("interference") || t === "core") && !existsSync(join(ROOT, "apps/web/dist/server.js"))) {
  throw new Error("build first: pnpm build");
}
const upPort = await port();
const upstreamProc = start(process.execPath, [join(HERE, "lib/fake-upstream.mjs"), String(upPort), String(LATENCY), String(CHUNKS), String(GAP)]);
await waitHttp(`http://127.0.0.1:${upPort}/`, { init: { method: "POST", body: "{}" } });

const results = {
  when: new Date().toISOString(),
  machine: { cpus: (await import("node:os")).availableParallelism(), node: process.version },
  config: { DURATION, LEVELS, LATENCY, CHUNKS, GAP, SSE, OPEN_RATE, CPU_LEVELS, loader: WRK ? "wrk" : "autocannon" },
  targets: {},
};
for (const name of TARGETS) {
  console.log(`[bench] ${name}`);
  let target;
  try {
    target = await startTarget(name, upPort);
  } catch (err) {
    console.log(`[bench] ${name} did not start, left out of this run: ${err.message}`);
    continue;
  }
  if (!target) continue;
  const entry = { json: {}, stream: null, sse: null };
  await loadJson({ ...target }, 10).catch(() => undefined); // warm-up, not reported
  for (const c of LEVELS) {
    entry.json[c] = await loadJson(target, c);
    console.log(
      `  c=${c}: ${entry.json[c].reqPerSec.toFixed(0)} req/s, p50 ${entry.json[c].p50} ms, p99 ${entry.json[c].p99} ms, errors ${entry.json[c].errors}, CPU ${entry.json[c].cpuUsPerReq.toFixed(0)} µs/req`,
    );
  }
  if (OPEN_RATE) {
    entry.open = await loadOpen(target, OPEN_RATE, Math.max(...LEVELS), DURATION);
    console.log(
      `  open loop ${OPEN_RATE} req/s over up to ${Math.max(...LEVELS)} connections: p50 ${entry.open.p50.toFixed(1)} ms, p99 ${entry.open.p99.toFixed(1)} ms, errors ${entry.open.errors}, not sent (all connections busy) ${entry.open.skipped}, CPU ${entry.open.cpuUsPerReq.toFixed(0)} µs/req`,
    );
  }
  entry.stream = await loadStream(target, 50, DURATION);
  console.log(
    `  streams: ${entry.stream.streams} done, TTFC p50 ${entry.stream.ttfcP50.toFixed(1)} ms, gap ${entry.stream.gapMean.toFixed(2)} ms, failures ${entry.stream.failures}`,
  );
  if (name !== "portkey" && name !== "litellm" && name !== "direct") {
    entry.sse = await concurrentStreams(target, SSE);
    console.log(
      `  ${SSE} concurrent streams: ${entry.sse.completed} completed, RSS while held ${entry.sse.heldRssMb.toFixed(0)} MB, peak since start ${entry.sse.peakRssMb.toFixed(0)} MB`,
    );
  }
  if (CPU_LEVELS.length) {
    await setUpstreamLatency(0, 0);
    await loadJson({ ...target }, Math.max(...CPU_LEVELS)).catch(() => undefined); // warm-up at this load, not reported
    entry.cpu = {};
    for (const c of CPU_LEVELS) {
      await loopDelay(target.proc); // starts the figure afresh
      const r = await loadJson(target, c);
      entry.cpu[c] = { ...r, loop: await loopDelay(target.proc) };
      const loop = entry.cpu[c].loop ? `, event-loop delay p99 ${entry.cpu[c].loop.p99Ms} ms, max ${entry.cpu[c].loop.maxMs} ms` : "";
      console.log(`  CPU-bound c=${c}: ${r.reqPerSec.toFixed(0)} req/s, p99 ${r.p99} ms, CPU ${r.cpuUsPerReq.toFixed(0)} µs/req${loop}`);
    }
    entry.apis = {};
    entry.apisNotServed = {};
    const c = Math.min(...CPU_LEVELS);
    const measureApi = async (api) => {
      const apiTarget = {
        ...target,
        url: target.url.replace(/\/chat\/completions$/, api.path),
        headers: { ...target.headers, ...target.headersFor?.(api.family), ...api.headers },
        body: api.body,
      };
      if (api.afterDashboard && target.dashboardUrl) {
        for (const page of ["/login", "/"]) await (await fetch(`${target.dashboardUrl}${page}`)).text();
        await sleep(1500);
      }
      const refusal = await notServed(apiTarget);
      if (refusal) {
        entry.apisNotServed[api.name] = refusal;
        console.log(`  CPU-bound ${api.name}: not served (${refusal})`);
        return;
      }
      await loadJson(apiTarget, c, 2).catch(() => undefined); // warm-up
      const r = await loadJson(apiTarget, c);
      entry.apis[api.name] = r;
      console.log(
        `  CPU-bound ${api.name} c=${c}: ${r.reqPerSec.toFixed(0)} req/s, p99 ${r.p99} ms, CPU ${r.cpuUsPerReq.toFixed(0)} µs/req, errors ${r.errors}`,
      );
    };
    for (const api of API_ROWS.filter((row) => !row.afterDashboard)) await measureApi(api);
    // Streams of CHUNKS chunks with no gap, 50 clients: the CPU a streamed request costs, and its first chunk.
    const cpu0 = cpuSeconds(target.proc.child.pid);
    await loopDelay(target.proc);
    const s = await loadStream(target, 50, DURATION);
    entry.cpuStream = {
      ...s,
      cpuUsPerStream: s.streams ? ((cpuSeconds(target.proc.child.pid) - cpu0) * 1e6) / s.streams : null,
      loop: await loopDelay(target.proc),
    }; // none completed: no figure
    console.log(
      `  CPU-bound streams (${CHUNKS} chunks, no gap, 50 clients): ${s.streams} done, TTFC p50 ${s.ttfcP50.toFixed(2)} ms, CPU ${entry.cpuStream.cpuUsPerStream?.toFixed(0) ?? "-"} µs/stream, failures ${s.failures}`,
    );
    // Last, so that nothing else is measured after the dashboard has been used.
    for (const api of API_ROWS.filter((row) => row.afterDashboard)) await measureApi(api);
    await setUpstreamLatency(LATENCY, GAP);
  }
  entry.peakRssMb = peakRssMb(target.proc.child.pid);
  results.targets[name] = entry;
  if (!target.shared) await stop(target.proc);
}
await stop(upstreamProc);
await dropBenchDatabases();

// ---------- report ----------
const floor = results.targets.floor;
const direct = results.targets.direct;
/** The upstream's own p50 or p99 under the same load (`direct`'s matching measurement when the run has one, else its
 * set latency): what overheads are measured from. */
const upstreamOwn = (directMeasurement, q) => directMeasurement?.[q] ?? LATENCY;
const ms = (x) => (Number.isFinite(x) ? x.toFixed(1) : "-");
const lines = [];
lines.push(
  `Upstream: ${LATENCY} ms per JSON answer; streams of ${CHUNKS} chunks ${GAP} ms apart. ${DURATION} s per level. ${results.machine.cpus} CPUs, Node ${results.machine.node}. Closed-loop load: ${results.config.loader}.`,
);
lines.push(
  direct
    ? "Overhead: a target's latency less the upstream's own at the same level (the `direct` row, no gateway)."
    : `Overhead: a target's latency less the upstream's set ${LATENCY} ms.`,
);
lines.push("");
lines.push("| target | conc. | req/s | p50 ms | p99 ms | overhead p50 | overhead p99 | req/s vs floor | target CPU µs/req | errors | peak RSS MB |");
lines.push("|---|---|---|---|---|---|---|---|---|---|---|");
for (const [name, e] of Object.entries(results.targets)) {
  for (const c of LEVELS) {
    const r = e.json[c];
    const ratio = floor ? (r.reqPerSec / floor.json[c].reqPerSec).toFixed(2) : "-";
    const over = name === "direct" ? ["-", "-"] : [ms(r.p50 - upstreamOwn(direct?.json[c], "p50")), ms(r.p99 - upstreamOwn(direct?.json[c], "p99"))];
    lines.push(
      `| ${name} | ${c} | ${r.reqPerSec.toFixed(0)} | ${ms(r.p50)} | ${ms(r.p99)} | ${over[0]} | ${over[1]} | ${ratio} | ${r.cpuUsPerReq.toFixed(0)} | ${r.errors} | ${e.peakRssMb.toFixed(0)} |`,
    );
  }
}
if (OPEN_RATE) {
  lines.push("");
  lines.push(
    `Open loop: ${OPEN_RATE} req/s arriving at a fixed rate over up to ${Math.max(...LEVELS)} connections (below saturation: latency without queueing).`,
  );
  lines.push("");
  lines.push(
    "| target | p50 ms | p99 ms | overhead p50 | overhead p99 | over the floor p50 | over the floor p99 | target CPU µs/req | errors | not sent: all connections busy |",
  );
  lines.push("|---|---|---|---|---|---|---|---|---|---|");
  for (const [name, e] of Object.entries(results.targets)) {
    if (!e.open) continue;
    const f = floor?.open;
    const over = (k) => (f ? (e.open[k] - f[k]).toFixed(1) : "-");
    const own = (k) => (name === "direct" ? "-" : ms(e.open[k] - upstreamOwn(direct?.open, k)));
    lines.push(
      `| ${name} | ${e.open.p50.toFixed(1)} | ${e.open.p99.toFixed(1)} | ${own("p50")} | ${own("p99")} | ${over("p50")} | ${over("p99")} | ${e.open.cpuUsPerReq.toFixed(0)} | ${e.open.errors} | ${e.open.skipped} |`,
    );
  }
}
lines.push("");
lines.push("| target | streams (50 clients) | time to first chunk p50 ms | p99 ms | mean chunk gap ms | failures |");
lines.push("|---|---|---|---|---|---|");
for (const [name, e] of Object.entries(results.targets)) {
  lines.push(
    `| ${name} | ${e.stream.streams} | ${e.stream.ttfcP50.toFixed(1)} | ${e.stream.ttfcP99.toFixed(1)} | ${e.stream.gapMean.toFixed(2)} | ${e.stream.failures} |`,
  );
}
if (CPU_LEVELS.length) {
  lines.push("");
  lines.push(
    "CPU-bound: the same upstream answering at once, so each target's own CPU per request sets its throughput; event-loop delay measured inside each Node target during the level (`monitorEventLoopDelay`).",
  );
  lines.push("");
  lines.push(
    "| target | conc. | req/s | req/s vs floor | CPU µs/req | CPU vs floor | p50 ms | p99 ms | p99 vs floor | loop delay p99 ms | loop delay max ms | errors |",
  );
  lines.push("|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const [name, e] of Object.entries(results.targets)) {
    for (const c of CPU_LEVELS) {
      const r = e.cpu?.[c];
      if (!r) continue;
      const f = floor?.cpu?.[c];
      const ratio = (x, y) => (f ? (x / y).toFixed(2) : "-");
      lines.push(
        `| ${name} | ${c} | ${r.reqPerSec.toFixed(0)} | ${ratio(r.reqPerSec, f?.reqPerSec)} | ${r.cpuUsPerReq.toFixed(0)} | ${ratio(r.cpuUsPerReq, f?.cpuUsPerReq)} | ${ms(r.p50)} | ${ms(r.p99)} | ${ratio(r.p99, f?.p99)} | ${r.loop ? r.loop.p99Ms : "-"} | ${r.loop ? r.loop.maxMs : "-"} | ${r.errors} |`,
      );
    }
  }
}
if (CPU_LEVELS.length && Object.values(results.targets).some((e) => e.apis)) {
  const c = Math.min(...CPU_LEVELS);
  lines.push("");
  lines.push(
    `CPU-bound, the other APIs at concurrency ${c}: Responses and Messages served natively, Chat Completions and Responses translated for an Anthropic provider; the floor forwards each request as it is.`,
  );
  lines.push("");
  lines.push("| target | API | req/s | req/s vs floor | CPU µs/req | CPU vs floor | p99 ms | errors |");
  lines.push("|---|---|---|---|---|---|---|---|");
  for (const [name, e] of Object.entries(results.targets)) {
    for (const [api, r] of Object.entries(e.apis ?? {})) {
      const f = floor?.apis?.[api];
      lines.push(
        `| ${name} | ${api} | ${r.reqPerSec.toFixed(0)} | ${f ? (r.reqPerSec / f.reqPerSec).toFixed(2) : "-"} | ${r.cpuUsPerReq.toFixed(0)} | ${f ? (r.cpuUsPerReq / f.cpuUsPerReq).toFixed(2) : "-"} | ${ms(r.p99)} | ${r.errors} |`,
      );
    }
    for (const [api, why] of Object.entries(e.apisNotServed ?? {})) {
      lines.push(`| ${name} | ${api} | not served: ${why.replaceAll("|", "\\|")} | - | - | - | - | - |`);
    }
  }
}
if (CPU_LEVELS.length) {
  lines.push("");
  lines.push(`CPU-bound streams: ${CHUNKS} chunks with no gap, 50 clients, ${DURATION} s.`);
  lines.push("");
  lines.push(
    "| target | streams | CPU µs/stream | CPU vs floor | time to first chunk p50 ms | over the floor ms | loop delay p99 ms | loop delay max ms | failures |",
  );
  lines.push("|---|---|---|---|---|---|---|---|---|");
  const f = floor?.cpuStream;
  for (const [name, e] of Object.entries(results.targets)) {
    const s = e.cpuStream;
    if (!s) continue;
    lines.push(
      `| ${name} | ${s.streams} | ${s.cpuUsPerStream?.toFixed(0) ?? "-"} | ${f && s.cpuUsPerStream !== null ? (s.cpuUsPerStream / f.cpuUsPerStream).toFixed(2) : "-"} | ${s.streams ? s.ttfcP50.toFixed(2) : "-"} | ${f && s.streams ? (s.ttfcP50 - f.ttfcP50).toFixed(2) : "-"} | ${s.loop ? s.loop.p99Ms : "-"} | ${s.loop ? s.loop.maxMs : "-"} | ${s.failures} |`,
    );
  }
}
for (const [name, e] of Object.entries(results.targets)) {
  if (e.sse)
    lines.push(
      `\n${name}: ${e.sse.count} concurrent SSE streams, ${e.sse.completed} completed, ${e.sse.failed} failed; RSS while held ${e.sse.heldRssMb.toFixed(0)} MB (peak since start ${e.sse.peakRssMb.toFixed(0)} MB)`,
    );
}
for (const name of ["interference", "interference-postgres"]) {
  const i = results.targets[name];
  if (!i) continue;
  const top = Math.max(...LEVELS);
  const vs = (peer) => (results.targets[peer] ? `${(i.json[top].reqPerSec / results.targets[peer].json[top].reqPerSec).toFixed(2)}×` : "n/a");
  const overFloor = (q) => (floor ? `${(i.json[top][q] - floor.json[top][q]).toFixed(1)} ms` : "n/a");
  lines.push("");
  lines.push(
    `${name} at concurrency ${top}: overhead over the upstream p50 ${ms(i.json[top].p50 - upstreamOwn(direct?.json[top], "p50"))} ms, p99 ${ms(i.json[top].p99 - upstreamOwn(direct?.json[top], "p99"))} ms ` +
      `(over the floor: p50 ${overFloor("p50")}, p99 ${overFloor("p99")}); throughput ${floor ? ((i.json[top].reqPerSec / floor.json[top].reqPerSec) * 100).toFixed(0) : "n/a"}% of the floor; ` +
      `${vs("portkey")} Portkey; ${vs("litellm")} LiteLLM.`,
  );
}
const report = lines.join("\n");
console.log(`\n${report}`);
mkdirSync(join(HERE, "results"), { recursive: true });
writeFileSync(join(HERE, "results/latest.json"), JSON.stringify(results, null, 2));
writeFileSync(join(HERE, "results/latest.md"), report + "\n");
console.log("\nwritten: bench/results/latest.json, bench/results/latest.md");

// Then the response cache's costs and gains (bench/cache.mjs: a hit's and a miss's latency on each store, and the
// CPU a disabled cache adds); --no-cache leaves it out.
if (!process.argv.includes("--no-cache")) {
  console.log("\nThe response cache (bench/cache.mjs):");
  execFileSync(process.execPath, [join(HERE, "cache.mjs")], { stdio: "inherit" });
}
