#!/usr/bin/env node
/**
 * CPU per request-log row for each way of writing a batch, in one run: rows arrive in bursts like a server's
 * under load and go through the real LogWriter into a fresh database.
 *   PGlite: COPY (what the embedded default uses) with the log's own time-ordered ids and with random (v4) ids,
 *   COPY into the table without its secondary indexes (what they cost), and the JSON insert; PostgreSQL, when reachable: the JSON insert. --prefill writes that many rows first (untimed),
 *   as in a log that has been filling for a while.
 *
 *   node bench/log-insert.mjs [--rows 30000] [--burst 150] [--rounds 2] [--prefill 0]
 */
import { mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const opt = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const ROWS = opt("rows", 30_000);
const BURST = opt("burst", 150);
const ROUNDS = opt("rounds", 2);
const PREFILL = opt("prefill", 0);
const db = await import(join(ROOT, "packages/db/dist/index.js"));
const { uuidv7 } = await import(join(ROOT, "packages/core/dist/logging/ids.js"));
const { PrismaClient } = await import(join(ROOT, "packages/db/dist/generated/prisma/client.js"));
const requireDb = createRequire(join(ROOT, "packages/db/package.json"));
const { PrismaPGlite } = requireDb("pglite-prisma-adapter");
const { PrismaPg } = requireDb("@prisma/adapter-pg");
const pg = requireDb("pg");

const entry = (i, id) => ({
  id,
  time: new Date(),
  apiKeyId: i % 3 ? "key_1" : null,
  method: "POST",
  route: "/v1/chat/completions",
  model: "gpt-4o-mini",
  requestedProviders: null,
  attempts: [{ provider: "up", outcome: "served", status: 200, latency_ms: 50 }],
  provider: "up",
  servedModel: "gpt-4o-mini",
  status: i % 50 ? 200 : 502,
  stream: i % 4 === 0,
  latencyMs: 51.5,
  ttftMs: i % 4 === 0 ? 12 : null,
  promptTokens: 9,
  completionTokens: 7,
  totalTokens: 16,
  cost: 0.0000207,
  costEstimated: false,
  error: i % 50 ? null : "HTTP 502: upstream failed",
});

/** CPU microseconds per row through a LogWriter with the given batch insert. */
async function measure(insert, id = () => uuidv7()) {
  for (let i = 0; i < PREFILL; i += 500) await insert(Array.from({ length: Math.min(500, PREFILL - i) }, (_, j) => entry(i + j, id())));
  const writer = new db.LogWriter(insert);
  const rows = Array.from({ length: ROWS }, (_, i) => entry(i, id()));
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < rows.length; i += BURST) {
    for (const r of rows.slice(i, i + BURST)) writer.write(r);
    await new Promise((r) => setImmediate(r));
  }
  await writer.flush(60_000);
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / rows.length;
}

async function pglite() {
  const lite = await db.openPGlite(join(mkdtempSync(join(tmpdir(), "bench-log-")), "db"));
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(lite) });
  await db.migrate(prisma, db.MIGRATIONS_DIR);
  return {
    lite,
    prisma,
    close: async () => {
      await prisma.$disconnect();
      await lite.close();
    },
  };
}

const results = {};
const add = (name, us) => (results[name] ??= []).push(us);
for (let round = 0; round < ROUNDS; round++) {
  for (const kind of ["copy", "copy-v4", "copy-no-indexes", "json"]) {
    const d = await pglite();
    if (kind === "json") add("PGlite, JSON insert", await measure(db.jsonBatchInsert(d.prisma)));
    else if (kind === "copy-no-indexes") {
      // What the log's secondary indexes (the dashboard's filters and listing) cost per row: a diagnostic.
      const { rows } = await d.lite.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'RequestLog' AND indexname NOT LIKE '%_pkey'`);
      for (const { indexname } of rows) await d.lite.query(`DROP INDEX "${indexname}"`);
      add(`PGlite, COPY, without its ${rows.length} secondary indexes`, await measure(db.pgliteCopyInsert(d.lite)));
    } else if (kind === "copy") add("PGlite, COPY", await measure(db.pgliteCopyInsert(d.lite)));
    else add("PGlite, COPY, v4 ids", await measure(db.pgliteCopyInsert(d.lite), () => crypto.randomUUID()));
    await d.close();
  }
  const adminUrl = process.env.BENCH_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
  } catch {
    continue; // no PostgreSQL here
  }
  const name = `ifr_bench_log_${Date.now().toString(36)}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url.toString() }) });
  await db.migrate(prisma, db.MIGRATIONS_DIR);
  add("PostgreSQL, JSON insert", await measure(db.jsonBatchInsert(prisma)));
  await prisma.$disconnect();
  await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
  await admin.end();
}
console.log(
  `${ROWS} rows per run${PREFILL ? ` into a log of ${PREFILL} rows` : ""}, arriving ${BURST} at a time; CPU of this process (the database's too, for PGlite)`,
);
for (const [name, runs] of Object.entries(results)) console.log(`  ${name.padEnd(26)} ${runs.map((us) => `${us.toFixed(1)} µs/row`).join(", ")}`);
