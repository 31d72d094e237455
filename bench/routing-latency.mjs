// Latency routing against priority: three fake providers answering in 20, 80 and 300 ms (all in this process,
// on 127.0.0.1), configured slowest first, the gateway's core handler in front. For each strategy: the share of requests each provider
// served, p50 of the whole; then, under `latency`, the fastest provider turns slow for a while and recovers, and
// the bench reports how long it took to win its traffic back.
//   node bench/routing-latency.mjs [--requests 600] [--concurrency 4]
import { createServer } from "node:http";
import { createGateway, parseConfig } from "../packages/core/dist/index.js";
import { completion as body } from "./lib/completion.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const REQUESTS = arg("requests", 600);
const CONCURRENCY = arg("concurrency", 4);

const delays = { fast: 20, mid: 80, slow: 300 };
async function listen(server) {
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${server.address().port}`;
}
const upstreams = {};
for (const id of Object.keys(delays)) {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => setTimeout(() => res.writeHead(200, { "content-type": "application/json" }).end(body), delays[id]));
  });
  upstreams[id] = { server, url: await listen(server) };
}

async function run(strategy, phases) {
  const yaml = `routing: { strategy: ${strategy} }
providers:
${Object.keys(delays)
  .reverse() // configured slowest first: priority keeps that order, latency has to find the fast one
  .map((id) => `  - { id: ${id}, type: openai, base_url: "${upstreams[id].url}/v1", api_key: sk-bench, models: [m] }`)
  .join("\n")}
`;
  const gateway = createGateway({ config: parseConfig(yaml) });
  const server = createServer(gateway.nodeListener());
  const url = await listen(server);
  const log = []; // [sentAtMs, provider, latencyMs]
  const started = performance.now();
  let sent = 0;
  const total = phases.reduce((n, p) => n + p.requests, 0);
  const phaseAt = (i) => {
    let n = 0;
    for (const p of phases) if (i < (n += p.requests)) return p;
    return phases.at(-1);
  };
  async function worker() {
    while (sent < total) {
      const i = sent++;
      phaseAt(i).before?.();
      const t = performance.now();
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
      });
      await res.arrayBuffer();
      log.push({ i, at: t - started, provider: res.headers.get("x-interference-provider"), ms: performance.now() - t });
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  server.close();
  await gateway.close();
  return log.sort((a, b) => a.i - b.i);
}

const p50 = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const shares = (rows) => Object.fromEntries(Object.keys(delays).map((id) => [id, rows.filter((r) => r.provider === id).length / rows.length]));
const pct = (x) => `${(x * 100).toFixed(1)}%`;

console.log(`# Routing: latency against priority (${REQUESTS} requests, concurrency ${CONCURRENCY}, providers at 20/80/300 ms)\n`);
console.log("| strategy | fast (20 ms) | mid (80 ms) | slow (300 ms) | p50 ms |");
console.log("|---|---|---|---|---|");
for (const strategy of ["priority", "latency"]) {
  const rows = await run(strategy, [{ requests: REQUESTS }]);
  const s = shares(rows);
  console.log(`| ${strategy} | ${pct(s.fast)} | ${pct(s.mid)} | ${pct(s.slow)} | ${p50(rows.map((r) => r.ms)).toFixed(1)} |`);
}

// Recovery: fast turns 500 ms slow for a while, then answers in 20 ms again.
const rows = await run("latency", [
  { requests: 200 },
  { requests: 300, before: () => (delays.fast = 500) },
  { requests: 1500, before: () => (delays.fast = 20) },
]);
const recoveredAt = rows.find((r) => r.i >= 500)?.at ?? 0;
// Won back: the first point after which fast serves at least 80% of the next 50 requests.
let wonBack = null;
for (let k = 500; k + 50 <= rows.length; k++) {
  const window = rows.slice(k, k + 50);
  if (window.filter((r) => r.provider === "fast").length >= 40) {
    wonBack = rows[k];
    break;
  }
}
const during = shares(rows.slice(250, 500));
console.log(
  `\nRecovery under latency: while fast was slow it served ${pct(during.fast)} (mid ${pct(during.mid)}); after it recovered it served 80% of traffic again ` +
    (wonBack ? `after ${wonBack.i - 500} requests, ${((wonBack.at - recoveredAt) / 1000).toFixed(2)} s.` : "never within the run."),
);
for (const u of Object.values(upstreams)) u.server.close();
