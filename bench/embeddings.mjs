#!/usr/bin/env node
// The embedded embedding model (all-MiniLM-L6-v2 GGUF), called directly through node-llama-cpp and through the
// gateway's /v1/embeddings over HTTP, in one run and in alternating pairs: embeddings per second for batches of 1,
// 16 and 128 texts, and the gateway's share of the direct rate.
//   node bench/embeddings.mjs [--rounds 3] [--seconds 3]
import { createServer } from "node:http";
import { availableParallelism } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { createGateway, parseConfig } from "../packages/core/dist/index.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const MODEL = process.env.INTERFERENCE_EMBEDDING_MODEL_PATH ?? join(ROOT, "models/all-MiniLM-L6-v2.F16.gguf");
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const ROUNDS = arg("rounds", 3);
const SECONDS = arg("seconds", 3);
const THREADS = Math.max(1, availableParallelism() - 1);
const BATCHES = [1, 16, 128];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// Sentences of ordinary length (10–20 tokens), different each time so nothing is cached anywhere.
const WORDS = "the gateway routes requests to providers and fails over when one breaks while logging every request with its cost".split(" ");
let counter = 0;
const sentence = () => {
  const n = 8 + (counter % 9);
  return Array.from({ length: n }, (_, i) => WORDS[(counter * 7 + i * 3) % WORDS.length]).join(" ") + ` ${counter++}.`;
};

// node-llama-cpp is a dependency of packages/core; resolve it from there.
const require = createRequire(join(ROOT, "packages/core/package.json"));
const { getLlama } = await import(require.resolve("node-llama-cpp"));
const llama = await getLlama({ build: "never", gpu: false, logLevel: "error" });
const model = await llama.loadModel({ modelPath: MODEL });
const context = await model.createEmbeddingContext({ contextSize: model.trainContextSize, threads: THREADS });

/** What the gateway does per text, minus HTTP and routing: tokenize, cut to 254, embed, normalise. */
async function direct(texts) {
  const out = [];
  for (const text of texts) {
    const { vector } = await context.getEmbeddingFor(model.tokenize(text).slice(0, 254));
    const norm = Math.hypot(...vector) || 1;
    out.push(Array.from(vector, (x) => x / norm));
  }
  return out;
}

const gateway = createGateway({
  config: parseConfig(`providers:
  - { id: local, type: local, embedding_models: [all-minilm-l6-v2], embedding_model_path: "${MODEL}", threads: ${THREADS} }
`),
});
const server = createServer(gateway.nodeListener());
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const url = `http://127.0.0.1:${server.address().port}/v1/embeddings`;
/** As the openai SDK sends it: base64 vectors by default. */
async function viaGateway(texts) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "all-minilm-l6-v2", input: texts, encoding_format: "base64" }),
  });
  if (res.status !== 200) throw new Error(`gateway answered ${res.status}: ${await res.text()}`);
  return (await res.json()).data;
}
while ((await fetch(url.replace("/embeddings", "/providers/local")).then((r) => r.json())).ready !== true) await new Promise((r) => setTimeout(r, 100));

/** Embeddings per second over `SECONDS` of back-to-back requests of `batch` texts. */
async function rate(fn, batch) {
  await fn(Array.from({ length: batch }, sentence)); // warm
  let done = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000) {
    await fn(Array.from({ length: batch }, sentence));
    done += batch;
  }
  return done / ((performance.now() - t0) / 1000);
}

console.log(`all-MiniLM-L6-v2 F16, ${THREADS} thread(s), ${ROUNDS} alternating rounds of ${SECONDS} s each`);
console.log("batch | direct emb/s (median) | gateway emb/s (median) | gateway / direct");
for (const batch of BATCHES) {
  const d = [],
    g = [];
  for (let r = 0; r < ROUNDS; r++) {
    d.push(await rate(direct, batch));
    g.push(await rate(viaGateway, batch));
  }
  const ratio = median(g) / median(d);
  console.log(`${String(batch).padStart(5)} | ${median(d).toFixed(1).padStart(21)} | ${median(g).toFixed(1).padStart(22)} | ${(ratio * 100).toFixed(1)}%`);
}
server.close();
await gateway.close();
await context.dispose();
await model.dispose();
await llama.dispose();
