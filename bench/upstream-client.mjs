#!/usr/bin/env node
// CPU per upstream call in this process, for the ways of making one, in alternating rounds of one run: a fake
// OpenAI upstream in its own process answers at once, 50 calls in flight. What the gateway's client does for a
// JSON answer (UpstreamClient.json: the pool's dispatch, the answer gathered in the handler) against undici's
// top-level request(url) with the body read by its reader (what the client did before), and the pool's request()
// with the URL parsed once (what send() does for streams and other bodies). Each call carries its own
// AbortSignal, as a gateway request does.
//   node bench/upstream-client.mjs [--calls 10000] [--rounds 4] [--concurrency 50]
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..");
const opt = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const CALLS = opt("calls", 10_000);
const ROUNDS = opt("rounds", 4);
const CONCURRENCY = opt("concurrency", 50);
const { UpstreamClient } = await import(join(ROOT, "packages/core/dist/index.js"));
const undici = createRequire(join(ROOT, "packages/core/package.json"))("undici");

const port = 20_000 + Math.floor(Math.random() * 20_000);
const upstream = spawn(process.execPath, [join(HERE, "lib/fake-upstream.mjs"), String(port), "0", "50", "0"], { stdio: ["ignore", "pipe", "inherit"] });
await new Promise((resolve) => upstream.stdout.once("data", resolve));

const url = `http://127.0.0.1:${port}/v1/chat/completions`;
const body = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
const headers = { "content-type": "application/json", authorization: "Bearer sk-bench" };
const agent = new undici.Agent({ keepAliveTimeout: 30_000, pipelining: 1 });
const client = new UpstreamClient();
const timeouts = {};

const ways = {
  "undici request(url), body.text()": async () => {
    const res = await undici.request(url, {
      method: "POST",
      headers,
      body,
      signal: new AbortController().signal,
      dispatcher: agent,
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
    return JSON.parse(await res.body.text());
  },
  "UpstreamClient.send, body.text()": async () => {
    const res = await client.send({ url, headers, body, signal: new AbortController().signal, timeouts });
    return JSON.parse(await res.body.text());
  },
  "UpstreamClient.json": () => client.json({ url, headers, body, signal: new AbortController().signal, timeouts }),
};

async function round(fn, n) {
  let started = 0;
  const before = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (started++ < n) await fn();
    }),
  );
  const cpu = process.cpuUsage(before);
  return (cpu.user + cpu.system) / n;
}

for (const fn of Object.values(ways)) await round(fn, 2_000); // warm up
const results = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
for (let r = 0; r < ROUNDS; r++) for (const [name, fn] of Object.entries(ways)) results[name].push(await round(fn, CALLS));
console.log(`CPU per call in this process, µs (${ROUNDS} alternating rounds of ${CALLS} calls, ${CONCURRENCY} in flight; the upstream's own CPU not counted)`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [name, xs] of Object.entries(results))
  console.log(`  ${name.padEnd(36)} median ${median(xs).toFixed(1).padStart(6)}   rounds ${xs.map((x) => x.toFixed(1)).join(", ")}`);
await Promise.all([agent.close(), client.close()]);
upstream.kill();
