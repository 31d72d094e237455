#!/usr/bin/env node
/**
 * The response cache's costs and gains, in one run:
 *  1. CPU per request of the core handler in-process (bench/handler.mjs's set-up) with the cache disabled, against
 *     the core as it was before the cache (`--baseline <git ref>`, built into a temporary folder), in alternating
 *     rounds; and an exact hit's CPU against a miss's.
 *  2. Latency through a real gateway (node:http, the official wire) against a fake upstream answering in 50 ms:
 *     a miss, an exact hit and a semantic hit (the embedded MiniLM embedding the prompt included), p50 and p99 of
 *     sequential requests, for each store: memory, the embedded database (PGlite: exact rows and pgvector), and
 *     Redis for the exact cache when one is reachable at REDIS_URL (default 127.0.0.1:6379).
 *
 *   pnpm bench:cache [--requests 60] [--rounds 6] [--cpu-requests 40000] [--baseline e8e1346] [--cpu-only]
 * Prints tables and writes bench/results/cache-latest.json.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createGateway, parseConfig, CANONICAL_PARAMS, RedisCacheStore } from "../packages/core/dist/index.js";
import { openStore } from "../packages/db/dist/index.js";
import { completion } from "./lib/completion.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const opt = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1];
};
const REQUESTS = Number(opt("requests", 60));
const ROUNDS = Number(opt("rounds", 6));
const CPU_REQUESTS = Number(opt("cpu-requests", 40_000));
const BASELINE = opt("baseline", "e8e1346");
/** Only the CPU part (the latency part needs the embedding model and takes a minute). */
const CPU_ONLY = process.argv.includes("--cpu-only");
const MODEL = join(ROOT, "models", "all-MiniLM-L6-v2.F16.gguf");
const results = { when: new Date().toISOString(), latency: [], cpu: [] };

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const ms = (x) => x.toFixed(1);

// ---- 2. Latency through the gateway (run last) ----
const upPort = 20000 + Math.floor(Math.random() * 20000);
const upstream = spawn(process.execPath, [join(ROOT, "bench/lib/fake-upstream.mjs"), String(upPort), "50", "10", "1"], { stdio: "ignore" });
await new Promise((r) => setTimeout(r, 400));

async function serve(options, semantic) {
  const config = `cache: { enabled: true, semantic: { enabled: ${semantic} } }
providers:
  - { id: up, type: openai, base_url: "http://127.0.0.1:${upPort}/v1", api_key: sk-bench, models: [gpt-4o-mini], prices: { gpt-4o-mini: { input: 0.15, output: 0.6 } } }
  - { id: local, type: local, embedding_models: [all-minilm-l6-v2], embedding_model_path: "${MODEL}", threads: 1 }
`;
  const gateway = createGateway({ config: parseConfig(config), ...options });
  const server = createServer(gateway.nodeListener());
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { gateway, url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)).then(() => gateway.close()) };
}

async function ask(url, question) {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o-mini", provider: "up", messages: [{ role: "user", content: question }] }),
  });
  await res.text();
  return { ms: performance.now() - t0, cache: res.headers.get("x-interference-cache") };
}

/** Paraphrase pairs the labelled set says hit at the default threshold; each run asks fresh numbered variants. */
const QUESTIONS = [
  ["How do I reverse a list in Python?", "What's the way to reverse a Python list?"],
  ["How many days are there in a leap year?", "How many days does a leap year have?"],
  ["How do I create a virtual environment in Python?", "How can I make a Python virtual environment?"],
];

async function latencyRow(name, options, semanticOn = true) {
  const gw = await serve(options, semanticOn);
  try {
    await ask(gw.url, "warm-up: load the embedding model"); // the first embedding loads the model
    const miss = [],
      exact = [],
      semantic = [],
      labels = new Set();
    for (let i = 0; i < REQUESTS; i++) {
      const [q, paraphrase] = QUESTIONS[i % QUESTIONS.length];
      const topic = ` (topic ${name} ${i})`;
      const m = await ask(gw.url, q + topic);
      const e = await ask(gw.url, q + topic);
      // An answer is findable by meaning once its row is written (after the answer is sent): a moment later.
      await new Promise((r) => setTimeout(r, 20));
      const s = await ask(gw.url, paraphrase + topic);
      if (m.cache !== "miss" || e.cache !== "hit") throw new Error(`${name}: expected miss then hit, got ${m.cache}, ${e.cache}`);
      labels.add(s.cache.split(";")[0]);
      miss.push(m.ms);
      exact.push(e.ms);
      if (s.cache?.startsWith("semantic-hit")) semantic.push(s.ms);
    }
    const row = { store: name, semanticIndex: gw.gateway.cache.semantic?.index.kind ?? "off" };
    for (const [k, v] of Object.entries({ miss, exact, semantic })) {
      v.sort((a, b) => a - b);
      row[k] = v.length ? { p50: pct(v, 50), p99: pct(v, 99), n: v.length } : null;
    }
    results.latency.push(row);
    const f = (x) => (x ? `${ms(x.p50)} / ${ms(x.p99)}` : "—");
    console.log(
      `| ${name} | ${row.semanticIndex} | ${f(row.miss)} | ${f(row.exact)} | ${f(row.semantic)} (${row.semantic?.n ?? 0}/${REQUESTS} paraphrases hit) |`,
    );
  } finally {
    await gw.close();
  }
}

async function latencyPart() {
  if (!existsSync(MODEL)) throw new Error(`the embedding model is missing: ${MODEL} (scripts/setup.sh fetches it)`);
  console.log(`\nLatency, ms p50 / p99 over ${REQUESTS} sequential requests each; upstream answers in 50 ms`);
  console.log("| store (exact) | semantic index | miss | exact hit | semantic hit (embedding included) |");
  console.log("|---|---|---|---|---|");
  await latencyRow("memory", {}, false);
  await latencyRow("memory", {});
  const dbDir = mkdtempSync(join(tmpdir(), "cache-bench-db-"));
  const db = await openStore({ url: `pglite:${dbDir}` });
  await latencyRow("PGlite", { cacheStore: db.cache, semanticIndex: await db.semanticIndex() });
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const redis = new RedisCacheStore({ url: redisUrl, prefix: `cache-bench-${process.pid}:` });
  await new Promise((r) => setTimeout(r, 300));
  if (redis.connected) await latencyRow("Redis", { cacheStore: redis, semanticIndex: await db.semanticIndex() });
  else console.log(`| Redis | — | not reachable at ${redisUrl} | | |`);
  await redis.purge({ scope: "open" }).catch(() => undefined);
  await redis.close();
  await db.close();
}

// ---- 1. CPU per request, in-process ----
/** The core as it was at `ref`, built into a temporary folder beside this one's node_modules. */
function buildBaseline(ref) {
  const dir = mkdtempSync(join(tmpdir(), "core-baseline-"));
  execFileSync("bash", ["-c", `git -C "${ROOT}" archive ${ref} packages/core | tar -x -C "${dir}"`]);
  const pkg = join(dir, "packages/core");
  symlinkSync(join(ROOT, "packages/core/node_modules"), join(pkg, "node_modules"));
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  execFileSync(join(ROOT, "node_modules/.bin/tsc"), ["-p", "tsconfig.build.json"], { cwd: pkg, stdio: "inherit" });
  return pathToFileURL(join(pkg, "dist/index.js")).href;
}

const nativeAdapter = () => ({ native: { chat: { send: async () => JSON.parse(completion) } } });
const translatingAdapter = () => ({
  chat: {
    params: new Set(CANONICAL_PARAMS),
    async complete() {
      const c = JSON.parse(completion);
      return {
        model: c.model,
        choices: [{ content: [{ type: "text", text: c.choices[0].message.content }], finish: "stop" }],
        usage: { inputTokens: 9, outputTokens: 5 },
      };
    },
  },
});
const PROVIDERS = `providers:
  - { id: up, type: openai, base_url: "http://127.0.0.1:9/v1", models: [gpt-4o-mini] }
  - { id: tr, type: gemini, base_url: "http://127.0.0.1:9/v1", models: [gpt-4o-mini] }
`;
function handlerOf(core, cacheSection = "") {
  const gateway = core.createGateway({
    config: core.parseConfig(cacheSection + PROVIDERS),
    adapters: { openai: nativeAdapter, gemini: translatingAdapter },
    logSink: { write: () => undefined },
  });
  return gateway.handle;
}
const bodyOf = (fields) => Buffer.from(JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello." }], ...fields }));
const request = (body) => {
  const controller = new AbortController();
  return {
    method: "POST",
    path: "/v1/chat/completions",
    query: new URLSearchParams(),
    headers: { host: "127.0.0.1", "content-type": "application/json", "content-length": String(body.length) },
    readBody: async () => body,
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
  };
};
async function cpuRound(handle, body, n) {
  const cpu0 = process.cpuUsage();
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next++ < n) {
        const res = await handle(request(typeof body === "function" ? body() : body));
        if (res.status !== 200) throw new Error(`status ${res.status}`);
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / n;
}
/** Alternating rounds of each variant; the median µs of CPU per request of each. */
async function compare(name, variants) {
  for (const v of variants) await cpuRound(v.handle, v.body, CPU_REQUESTS / 4);
  const samples = variants.map(() => []);
  for (let r = 0; r < ROUNDS; r++) for (const [i, v] of variants.entries()) samples[i].push(await cpuRound(v.handle, v.body, CPU_REQUESTS));
  const medians = samples.map((s) => s.sort((a, b) => a - b)[Math.floor(s.length / 2)]);
  const row = { case: name, variants: variants.map((v, i) => ({ name: v.name, cpuUs: medians[i], rounds: samples[i] })) };
  results.cpu.push(row);
  console.log(`| ${name} | ${variants.map((v, i) => `${v.name}: ${medians[i].toFixed(2)}`).join(" | ")} | ${(medians[1] / medians[0]).toFixed(3)} |`);
}

console.log(`\nCPU per request, core handler in-process, µs (median of ${ROUNDS} alternating rounds of ${CPU_REQUESTS})`);
console.log("| request | A | B | B / A |");
console.log("|---|---|---|---|");
const before = await import(buildBaseline(BASELINE));
const now = await import("../packages/core/dist/index.js");
for (const [name, provider] of [
  ["JSON, native", "up"],
  ["JSON, translated", "tr"],
]) {
  await compare(`${name}: before the cache (${BASELINE}) vs cache disabled`, [
    { name: "before", handle: handlerOf(before), body: bodyOf({ provider }) },
    { name: "disabled", handle: handlerOf(now), body: bodyOf({ provider }) },
  ]);
}
let distinct = 0;
await compare("JSON, native: miss (each request new) vs exact hit", [
  {
    name: "miss",
    handle: handlerOf(now, "cache: { enabled: true }\n"),
    body: () => bodyOf({ provider: "up", messages: [{ role: "user", content: `Say hello ${distinct++}.` }] }),
  },
  { name: "hit", handle: handlerOf(now, "cache: { enabled: true }\n"), body: bodyOf({ provider: "up" }) },
]);

// After the CPU part: the embedding model's threads, once loaded, count in this process's CPU time.
if (!CPU_ONLY) await latencyPart();
upstream.kill();

const out = join(ROOT, "bench/results/cache-latest.json");
writeFileSync(out, JSON.stringify(results, null, 2) + "\n");
console.log(`\nwritten: ${out}`);
process.exit(0);
