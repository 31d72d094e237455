#!/usr/bin/env node
/**
 * CPU per stored Responses-API response (`store: true`, OpenAI's default: one save per request, one read per
 * previous_response_id), on PGlite and, when reachable, PostgreSQL: the store's plain SQL (`packages/db/src/sql.ts`)
 * against the same operations through Prisma's query builder, in alternating rounds. For PGlite the CPU is the
 * database's too (it runs in this process); for PostgreSQL it is only this process's.
 *   node bench/stored-responses.mjs [--ops 1500] [--rounds 3]
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
const OPS = opt("ops", 1500);
const ROUNDS = opt("rounds", 3);
const db = await import(join(ROOT, "packages/db/dist/index.js"));
const pg = createRequire(join(ROOT, "packages/db/package.json"))("pg");

/** A fresh database on the PostgreSQL at BENCH_POSTGRES_URL (or 127.0.0.1:5432), or null when none answers. */
async function freshPostgres() {
  const adminUrl = process.env.BENCH_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
  } catch {
    return null;
  }
  const name = `ifr_bench_responses_${Date.now().toString(36)}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

let n = 0;
const stored = () => {
  const id = `resp_${(n++).toString(36)}_${Math.random().toString(36).slice(2)}`;
  return {
    id,
    keyId: n % 2 ? "key_bench" : null,
    createdAt: new Date(),
    expiresAt: new Date(Date.now() + 86_400_000),
    response: {
      id,
      object: "response",
      status: "completed",
      model: "gpt-4o-mini",
      output: [{ type: "message", id: "msg_1", role: "assistant", content: [{ type: "output_text", text: "Hello from the fake upstream.", annotations: [] }] }],
      usage: { input_tokens: 9, output_tokens: 7, total_tokens: 16 },
    },
    inputItems: [{ id: "msg_in", type: "message", role: "user", content: [{ type: "input_text", text: "Say hello." }] }],
    conversation: [
      { role: "user", content: [{ type: "text", text: "Say hello." }] },
      { role: "assistant", content: [{ type: "text", text: "Hello from the fake upstream." }] },
    ],
  };
};

/** The same operations through Prisma's query builder (how the store did them before). */
const viaPrisma = (prisma) => ({
  save: (s) => {
    const data = {
      apiKeyId: s.keyId,
      createdAt: s.createdAt,
      expiresAt: s.expiresAt,
      response: s.response,
      inputItems: s.inputItems,
      conversation: s.conversation,
    };
    return prisma.storedResponse.upsert({ where: { id: s.id }, create: { id: s.id, ...data }, update: data });
  },
  get: (id, keyId) => prisma.storedResponse.findFirst({ where: { id, apiKeyId: keyId, expiresAt: { gt: new Date() } } }),
});

async function cpuPer(fn) {
  const c0 = process.cpuUsage();
  for (let i = 0; i < OPS; i++) await fn(i);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / OPS;
}

/** The same, `AT_ONCE` operations started together each time, as a server with that many requests in flight does. */
const AT_ONCE = 50;
async function cpuPerAtOnce(fn) {
  const c0 = process.cpuUsage();
  for (let i = 0; i < OPS; i += AT_ONCE) await Promise.all(Array.from({ length: AT_ONCE }, (_, j) => fn(i + j)));
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / (Math.ceil(OPS / AT_ONCE) * AT_ONCE);
}

async function measure(name, store) {
  const plain = store.responses;
  const prisma = viaPrisma(store.prisma);
  const saved = [];
  for (let i = 0; i < 200; i++) {
    const s = stored();
    saved.push(s);
    await plain.save(s);
    await prisma.save(stored());
  }
  const runs = { "save, plain SQL": [], "save, Prisma": [], "get, plain SQL": [], "get, Prisma": [], [`save, ${AT_ONCE} at once`]: [] };
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 ? ["Prisma", "plain SQL"] : ["plain SQL", "Prisma"];
    for (const how of order) {
      const s = how === "Prisma" ? prisma : plain;
      runs[`save, ${how}`].push(await cpuPer(() => s.save(stored())));
      runs[`get, ${how}`].push(await cpuPer((i) => s.get(saved[i % saved.length].id, saved[i % saved.length].keyId)));
    }
    // The store's saves of one turn go as one statement: what a busy server pays per save.
    runs[`save, ${AT_ONCE} at once`].push(await cpuPerAtOnce(() => plain.save(stored())));
  }
  console.log(`${name}, ${OPS} operations a round, ${ROUNDS} alternating rounds (µs of CPU each):`);
  for (const [label, us] of Object.entries(runs)) console.log(`  ${label.padEnd(18)} ${us.map((x) => x.toFixed(0)).join(" / ")}`);
}

const lite = await db.openStore({ url: `pglite:${join(mkdtempSync(join(tmpdir(), "bench-responses-")), "db")}` });
await measure("PGlite", lite);
await lite.close();
const postgres = await freshPostgres();
if (postgres) {
  const store = await db.openStore({ url: postgres.url });
  await measure("PostgreSQL", store);
  await store.close();
  await postgres.drop();
} else console.log("PostgreSQL: not reachable, skipped");
process.exit(0);
