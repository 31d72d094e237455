#!/usr/bin/env node
// The embedded model, called directly through node-llama-cpp and through the gateway's HTTP API, in one run:
// tokens/s and time to first token for each, their ratio, and the queue at 8 concurrent requests.
//   node bench/local-model.mjs [--runs 5] [--tokens 128]
import { spawn } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir, availableParallelism } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const MODEL = process.env.INTERFERENCE_MODEL_PATH ?? join(ROOT, "models/SmolLM2-135M-Instruct.Q4_1.gguf");
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const RUNS = arg("runs", 5);
const TOKENS = arg("tokens", 128);
const THREADS = Math.max(1, availableParallelism() - 1);
const PROMPT = "Write a long story about a lighthouse keeper.";
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// node-llama-cpp is a dependency of packages/core; resolve it from there.
const require = createRequire(join(ROOT, "packages/core/package.json"));
const { getLlama, LlamaChat, resolveChatWrapper } = await import(require.resolve("node-llama-cpp"));

async function direct() {
  const llama = await getLlama({ build: "never", gpu: false });
  const model = await llama.loadModel({ modelPath: MODEL });
  const context = await model.createContext({ contextSize: 2048, sequences: 1, threads: THREADS });
  const sequence = context.getSequence();
  const chatWrapper = resolveChatWrapper(model);
  const results = [];
  for (let i = 0; i < RUNS + 1; i++) {
    const t0 = performance.now(); // a request's whole cost: fresh state and a chat object, as the gateway does
    await sequence.clearHistory();
    const chat = new LlamaChat({ contextSequence: sequence, chatWrapper, autoDisposeSequence: false });
    let first = 0,
      firstText = 0,
      tokens = 0;
    await chat.generateResponse(
      [
        { type: "user", text: PROMPT },
        { type: "model", response: [] },
      ],
      {
        maxTokens: TOKENS,
        temperature: 0,
        onToken: (t) => {
          if (!first) first = performance.now();
          tokens += t.length;
        },
        // TTFT is time to first text for both: what a client can see: node-llama-cpp releases text only once it cannot be the start of a stop trigger.
        onTextChunk: (text) => {
          if (!firstText && text) firstText = performance.now();
        },
      },
    );
    const end = performance.now();
    chat.dispose({ disposeSequence: false });
    if (i > 0) results.push({ ttft: firstText - t0, firstToken: first - t0, tps: (tokens - 1) / ((end - first) / 1000), tokens }); // run 0 warms up
  }
  await context.dispose();
  await model.dispose();
  await llama.dispose();
  return results;
}

async function startGateway(yaml) {
  const dir = mkdtempSync(join(tmpdir(), "bench-local-"));
  writeFileSync(join(dir, "interference.yaml"), yaml);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, [join(ROOT, "apps/web/dist/server.js")], {
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", INTERFERENCE_CONFIG: join(dir, "interference.yaml"), NODE_ENV: "production" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    try {
      const p = await (await fetch(`${url}/v1/providers/local`)).json();
      if (p.ready) return { url, stop: () => child.kill("SIGTERM"), log: () => log };
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gateway did not start:\n${log}`);
}

async function streamOnce(url, body) {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!res.ok) return { status: res.status, ms: performance.now() - t0 };
  let first = 0,
    buf = "",
    usage = null;
  const decoder = new TextDecoder();
  for await (const piece of res.body) {
    buf += decoder.decode(piece, { stream: true });
    let i;
    while ((i = buf.indexOf("\n\n")) !== -1) {
      const event = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (!event.startsWith("data: ") || event === "data: [DONE]") continue;
      const chunk = JSON.parse(event.slice(6));
      if (!first && chunk.choices[0]?.delta?.content) first = performance.now();
      if (chunk.usage) usage = chunk.usage;
    }
  }
  const end = performance.now();
  return { status: 200, ttft: first - t0, tps: (usage.completion_tokens - 1) / ((end - first) / 1000), tokens: usage.completion_tokens, ms: end - t0 };
}

const body = {
  model: "smollm2",
  messages: [{ role: "user", content: PROMPT }],
  max_tokens: TOKENS,
  temperature: 0,
  stream: true,
  stream_options: { include_usage: true },
};

console.log(`model ${MODEL}\n${RUNS} runs of ${TOKENS} tokens, ${THREADS} thread(s), greedy\n`);
const d = await direct();
const gw = await startGateway(`providers:\n  - { id: local, type: local, model_path: "${MODEL}", models: [smollm2], parallel: 1, threads: ${THREADS} }\n`);
await streamOnce(gw.url, body); // warm-up
const g = [];
for (let i = 0; i < RUNS; i++) g.push(await streamOnce(gw.url, body));
gw.stop();

const row = (name, r) =>
  `${name.padEnd(28)} ${median(r.map((x) => x.tps))
    .toFixed(1)
    .padStart(8)} tok/s   TTFT ${median(r.map((x) => x.ttft))
    .toFixed(1)
    .padStart(7)} ms   (${r[0].tokens} tokens)`;
console.log(row("direct (node-llama-cpp)", d));
console.log(
  `${"".padEnd(28)} (direct: first token at ${median(d.map((x) => x.firstToken)).toFixed(1)} ms, first text at ${median(d.map((x) => x.ttft)).toFixed(1)} ms)`,
);
console.log(row("gateway (HTTP, streaming)", g));
const ratio = median(g.map((x) => x.tps)) / median(d.map((x) => x.tps));
console.log(`gateway / direct tokens/s: ${(ratio * 100).toFixed(1)}%  (target >= 90%)`);
console.log(`gateway TTFT overhead: ${(median(g.map((x) => x.ttft)) - median(d.map((x) => x.ttft))).toFixed(1)} ms\n`);

// 8 concurrent requests against 2 sequences: first with room to queue, then with a queue of 4.
for (const queue of [16, 4]) {
  const q = await startGateway(
    `providers:\n  - { id: local, type: local, model_path: "${MODEL}", models: [smollm2], parallel: 2, queue_size: ${queue}, threads: ${THREADS} }\n`,
  );
  const t0 = performance.now();
  const rs = await Promise.all(Array.from({ length: 8 }, () => streamOnce(q.url, { ...body, max_tokens: 64 })));
  const wall = performance.now() - t0;
  q.stop();
  const ok = rs.filter((r) => r.status === 200);
  const statuses = rs.map((r) => r.status).join(" ");
  console.log(
    `8 concurrent, parallel 2, queue ${String(queue).padEnd(2)}: statuses [${statuses}]; ` +
      `TTFT of served min ${Math.min(...ok.map((r) => r.ttft)).toFixed(0)} / max ${Math.max(...ok.map((r) => r.ttft)).toFixed(0)} ms; ` +
      `all done in ${wall.toFixed(0)} ms; ${(ok.reduce((s, r) => s + r.tokens, 0) / (wall / 1000)).toFixed(1)} tok/s aggregate`,
  );
}
