#!/usr/bin/env node
// What LOG_SPOOL_DIR costs on the request path: LogWriter.write() with and without the spool (one synchronous
// append of a JSON line per row), rows the size of a real chat request's, in alternating rounds; the database
// insert is a no-op so only the write path is timed.
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

function round(spool) {
  const dir = spool ? mkdtempSync(join(tmpdir(), "spool-bench-")) : undefined;
  const writer = new LogWriter(async () => {}, { flushIntervalMs: 5, batchSize: 500, ...(dir ? { spoolDir: dir } : {}) });
  const rows = Array.from({ length: ROWS }, row);
  const t0 = process.hrtime.bigint();
  for (const r of rows) writer.write(r);
  const ns = Number(process.hrtime.bigint() - t0);
  return writer.flush().then(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    return ns / ROWS / 1000; // µs per row
  });
}

const results = { off: [], on: [] };
for (let i = 0; i < ROUNDS; i++) {
  for (const mode of i % 2 ? ["on", "off"] : ["off", "on"]) results[mode].push(await round(mode === "on"));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`LogWriter.write(), ${ROWS} rows a round, ${ROUNDS} alternating rounds (median µs per row):`);
console.log(
  `  without spool: ${median(results.off).toFixed(2)} µs   with spool: ${median(results.on).toFixed(2)} µs   (+${(median(results.on) - median(results.off)).toFixed(2)} µs a request)`,
);
