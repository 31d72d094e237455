#!/usr/bin/env node
/**
 * Request-log completeness under load: N requests through the production server, a graceful shutdown, then
 * exactly N rows must be in the database. Runs on the embedded PGlite by default; `--postgres` uses a fresh
 * database on the local PostgreSQL (127.0.0.1:5432), `--db <url>` any database (rows are counted from the run's start).
 *
 *   node bench/log-rows.mjs [--requests 5000] [--concurrency 50] [--postgres | --db <url>]
 * Prints the figures and exits non-zero when a row is missing or extra.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const opt = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1];
};
const N = Number(opt("requests", 5000));
const CONCURRENCY = Number(opt("concurrency", 50));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const port = () => 32000 + Math.floor(Math.random() * 2000);

const db = await import(join(ROOT, "packages/db/dist/index.js"));
let databaseUrl = opt("db", null);
let dropDatabase = async () => {};
if (process.argv.includes("--postgres")) {
  const pg = createRequire(join(ROOT, "packages/db/package.json"))("pg");
  const name = `ifr_bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: "postgresql://postgres@127.0.0.1:5432/test" });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  databaseUrl = `postgresql://postgres@127.0.0.1:5432/${name}`;
  dropDatabase = async () => {
    const c = new pg.Client({ connectionString: "postgresql://postgres@127.0.0.1:5432/test" });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  };
}
databaseUrl ??= `pglite:${mkdtempSync(join(tmpdir(), "ifr-logrows-"))}`;

const upstreamPort = port();
const upstream = spawn(process.execPath, [join(ROOT, "bench/lib/fake-upstream.mjs"), String(upstreamPort), "5", "10", "1"], { stdio: "ignore" });
const config = join(mkdtempSync(join(tmpdir(), "ifr-logrows-cfg-")), "interference.yaml");
writeFileSync(config, `providers:\n  - { id: up, type: openai, base_url: "http://127.0.0.1:${upstreamPort}/v1", models: [gpt-4o-mini] }\n`);
const gwPort = port();
const server = spawn(process.execPath, [join(ROOT, "apps/web/dist/server.js")], {
  cwd: join(ROOT, "apps/web"),
  env: { ...process.env, PORT: String(gwPort), HOST: "127.0.0.1", NODE_ENV: "production", INTERFERENCE_CONFIG: config, DATABASE_URL: databaseUrl },
  stdio: ["ignore", "pipe", "pipe"],
});
let out = "";
server.stdout.on("data", (d) => (out += d));
server.stderr.on("data", (d) => (out += d));
const base = `http://127.0.0.1:${gwPort}`;
for (let i = 0; ; i++) {
  if (server.exitCode !== null || i > 600) throw new Error(`server did not start:\n${out}`);
  if (
    await fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    )
  )
    break;
  await sleep(100);
}

const started = new Date(Date.now() - 1000);
const statuses = new Map();
let next = 0;
const t0 = performance.now();
async function worker() {
  while (next < N) {
    const i = next++;
    const stream = i % 4 === 0;
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o-mini", stream, messages: [{ role: "user", content: `request ${i}` }] }),
    });
    await res.arrayBuffer();
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  }
}
await Promise.all(Array.from({ length: CONCURRENCY }, worker));
const seconds = (performance.now() - t0) / 1000;

// Graceful shutdown right after the last answer: pending rows must be flushed, not lost.
const exited = new Promise((r) => server.once("exit", r));
server.kill("SIGTERM");
const code = await exited;
upstream.kill();

const store = await db.openStore({ url: databaseUrl });
const rows = await store.logs.count({ from: started });
await store.close();
await dropDatabase();

const ok = rows === N;
console.log(`requests sent      ${N} (concurrency ${CONCURRENCY}, a quarter streamed) in ${seconds.toFixed(1)} s = ${Math.round(N / seconds)} req/s`);
console.log(`statuses           ${JSON.stringify(Object.fromEntries(statuses))}`);
console.log(`server exit code   ${code} (SIGTERM right after the last response)`);
console.log(
  `log rows           ${rows} in ${databaseUrl.startsWith("pglite:") ? "PGlite" : "PostgreSQL"}  ${ok ? "= N: no row lost" : `≠ N: ${N - rows} missing`}`,
);
process.exit(ok ? 0 : 1);
