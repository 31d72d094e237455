#!/usr/bin/env node
// How long the dashboard's heaviest queries hold up the request thread, on the embedded database: a log of N rows
// over 24 h, then the overview's summary, the providers' figures and a page of the log, while a 1 ms timer ticks.
// The longest gap between ticks is how long a request arriving meanwhile would have waited.
//   node bench/dashboard-stall.mjs [--rows 100000] [--rounds 2]
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1];
};
const ROWS = Number(arg("rows", 100_000));
const ROUNDS = Number(arg("rounds", 2));
const { openStore } = await import(join(ROOT, "packages/db/dist/index.js"));

const store = await openStore({ url: `pglite:${join(mkdtempSync(join(tmpdir(), "bench-stall-")), "db")}` });
const now = Date.now();
const providers = ["up", "anth", "local"];
for (let i = 0; i < ROWS; i++) {
  store.logWriter.write({
    id: randomUUID(),
    time: new Date(now - Math.floor(Math.random() * 86_400_000)),
    apiKeyId: null,
    teamId: null,
    routing: null,
    method: "POST",
    route: "/v1/chat/completions",
    model: "gpt-4o-mini",
    requestedProviders: null,
    attempts: [],
    provider: providers[i % 3],
    servedModel: "gpt-4o-mini",
    status: i % 50 ? 200 : 502,
    stream: false,
    latencyMs: 20 + (i % 100),
    ttftMs: null,
    promptTokens: 9,
    completionTokens: 7,
    totalTokens: 16,
    cost: 0.0001,
    costEstimated: false,
    audioSeconds: null,
    audioBytes: null,
    error: null,
  });
  if (i % 2000 === 1999) await store.logWriter.flush();
}
await store.logWriter.flush();

for (let round = 1; round <= ROUNDS; round++) {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const t = performance.now();
    longest = Math.max(longest, t - last);
    last = t;
  }, 1);
  await new Promise((r) => setTimeout(r, 20));
  last = performance.now();
  const t0 = performance.now();
  await store.logs.summary({ from: new Date(now - 86_400_000), to: new Date(now), bucket: "hour" });
  const t1 = performance.now();
  await store.logs.providerStats(new Date(now - 86_400_000));
  const t2 = performance.now();
  await store.logs.query({}, null, 50);
  const t3 = performance.now();
  clearInterval(timer);
  longest = Math.max(longest, performance.now() - last);
  const ms = (x) => x.toFixed(0);
  console.log(
    `round ${round}, ${ROWS} rows: summary ${ms(t1 - t0)} ms, provider figures ${ms(t2 - t1)} ms, a page ${ms(t3 - t2)} ms; ` +
      `longest gap between 1 ms ticks ${longest.toFixed(1)} ms`,
  );
}
await store.close();
