#!/usr/bin/env node
// What tracing costs the gateway per request: the core handler called in-process (as bench/handler.mjs does),
// its provider answering from memory, with tracing off (no tracer: the default) and on (the OpenTelemetry SDK as
// apps/web sets it up: every span recorded and batched, the exporter here discarding the batches instead of
// sending them), in alternating rounds. CPU µs per request, median of the rounds.
// With --baseline DIR (a built checkout from before tracing existed), its core runs in the same rounds too: the
// "off" figure against a handler with no tracing code at all.
//   node bench/tracing.mjs [--requests 100000] [--rounds 6] [--baseline /tmp/before]
import { createRequire } from "node:module";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createGateway, parseConfig } from "../packages/core/dist/index.js";
import { completion } from "./lib/completion.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const fromWeb = createRequire(join(ROOT, "apps/web/package.json"));
const { TracerProvider, BatchSpanProcessor } = fromWeb("@opentelemetry/sdk-trace");
const opt = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const REQUESTS = opt("requests", 100_000);
const baselineIndex = process.argv.indexOf("--baseline");
const baseline = baselineIndex === -1 ? null : await import(join(process.argv[baselineIndex + 1], "packages/core/dist/index.js"));
const ROUNDS = opt("rounds", 6);

const adapter = () => ({ native: { chat: { send: async () => JSON.parse(completion), async *stream() {} } } });
let exported = 0;
const discard = { export: (spans, done) => ((exported += spans.length), done({ code: 0 })), shutdown: async () => {} };
const provider = new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter: discard, maxQueueSize: 65536, maxExportBatchSize: 4096 })] });

const make = (tracer, create = createGateway) =>
  create({
    config: parseConfig(`providers:\n  - { id: up, type: openai, base_url: "http://127.0.0.1:9/v1", models: [gpt-4o-mini] }\n`),
    adapters: { openai: adapter },
    logSink: { write: () => {} },
    ...(tracer ? { tracer } : {}),
  });
const gateways = { ...(baseline ? { baseline: make(null, baseline.createGateway) } : {}), off: make(null), on: make(provider.getTracer("bench")) };
const body = Buffer.from(JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello." }] }));
const request = () => {
  const controller = new AbortController();
  return {
    method: "POST",
    path: "/v1/chat/completions",
    query: new URLSearchParams(),
    headers: { "content-type": "application/json", traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
    readBody: async () => body,
    signal: controller.signal,
    abort: (r) => controller.abort(r),
  };
};

async function round(gateway, n) {
  const cpu0 = process.cpuUsage();
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next++ < n) if ((await gateway.handle(request())).status !== 200) throw new Error("not 200");
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / n;
}

const modes = Object.keys(gateways);
const results = Object.fromEntries(modes.map((m) => [m, []]));
for (const g of Object.values(gateways)) await round(g, REQUESTS / 4); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  for (const mode of r % 2 ? [...modes].reverse() : modes) results[mode].push(await round(gateways[mode], REQUESTS));
}
await provider.forceFlush();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`Core handler, ${REQUESTS} JSON chat requests a round, ${ROUNDS} alternating rounds (median CPU µs per request):`);
if (baseline) console.log(`  before tracing existed: ${median(results.baseline).toFixed(2)} µs`);
console.log(`  tracing off: ${median(results.off).toFixed(2)} µs   on: ${median(results.on).toFixed(2)} µs   (${exported} spans recorded and batched)`);
await provider.shutdown();
