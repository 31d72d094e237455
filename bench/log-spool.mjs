#!/usr/bin/env node
// What LOG_SPOOL_DIR costs on the request path: LogWriter.write() with and without the spool, rows the size of a
// real chat request's, arriving a burst per turn of the event loop as a server's answers do (the spool writes
// each turn's rows in one synchronous write at its end: one row a turn is a quiet server, 25 a loaded one), in
// alternating rounds; CPU of the whole turn is counted. The database insert is a no-op.
//   node bench/log-spool.mjs [--rows 50000] [--rounds 6]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { LogWriter } from "../packages/db/dist/index.js";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const ROWS = arg("rows", 50_000);
const ROUNDS = arg("rounds", 6);
const row = () => ({
  id: randomUUID(),
  time: new Date(),
  apiKeyId: "key_0123456789abcdef",
  teamId: null,
  method: "POST",
  route: "/v1/chat/completions",
  model: "gpt-4o-mini",
  requestedProviders: "openai groq",
  attempts: [{ provider: "openai", outcome: "served", status: 200, latency_ms: 231 }],
  provider: "openai",
  servedModel: "gpt-4o-mini-2024-07-18",
  status: 200,
  stream: true,
  latencyMs: 412,
  ttftMs: 180,
  promptTokens: 812,
  completionTokens: 143,
  totalTokens: 955,
  cost: 0.0002076,
  costEstimated: false,
  audioSeconds: null,
  audioBytes: null,
  error: null,
});

async function round(spool, burst) {
  const dir = spool ? mkdtempSync(join(tmpdir(), "spool-bench-")) : undefined;
  const writer = new LogWriter(async () => {}, dir ? { spoolDir: dir } : {});
  const rows = Array.from({ length: ROWS }, row);
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < rows.length; i += burst) {
    for (let j = i; j < Math.min(i + burst, rows.length); j++) writer.write(rows[j]);
    await new Promise((r) => setImmediate(r)); // the turn ends: the spool writes what it was given
  }
  const cpu = process.cpuUsage(cpu0);
  await writer.flush();
  if (dir) rmSync(dir, { recursive: true, force: true });
  return (cpu.user + cpu.system) / ROWS; // µs per row
}

const BURSTS = [1, 25];
const results = Object.fromEntries(
  BURSTS.flatMap((b) => [
    [`off ${b}`, []],
    [`on ${b}`, []],
  ]),
);
for (let i = 0; i < ROUNDS; i++) {
  for (const burst of BURSTS) {
    for (const mode of i % 2 ? ["on", "off"] : ["off", "on"]) results[`${mode} ${burst}`].push(await round(mode === "on", burst));
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`LogWriter.write(), ${ROWS} rows a round, ${ROUNDS} alternating rounds (median µs of CPU per row):`);
for (const burst of BURSTS) {
  const off = median(results[`off ${burst}`]);
  const on = median(results[`on ${burst}`]);
  console.log(
    `  ${String(burst).padStart(2)} row(s) a turn: without spool ${off.toFixed(2)} µs   with spool ${on.toFixed(2)} µs   (+${(on - off).toFixed(2)} µs a request)`,
  );
}
