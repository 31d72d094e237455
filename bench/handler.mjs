// The gateway's own work per request, without sockets: the core handler called in-process, its provider
// answering at once from memory (a fresh parse of a recorded-shape body, as the real adapter's would be).
// What it measures: routing, validation, planning, failover bookkeeping, the log row, metrics and the response
// encoding. Transport (node:http, undici) is measured end to end by run.mjs.
//   node bench/handler.mjs [--requests 200000] [--rounds 5]
import { createGateway, parseConfig, OPENAI_CHAT_PARAMS } from "../packages/core/dist/index.js";

const opt = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const REQUESTS = opt("requests", 200_000);
const ROUNDS = opt("rounds", 5);

const completion = JSON.stringify({
  id: "chatcmpl-bench",
  object: "chat.completion",
  created: 1700000000,
  model: "gpt-4o-mini",
  choices: [{ index: 0, message: { role: "assistant", content: "Hello from memory." }, finish_reason: "stop" }],
  usage: { prompt_tokens: 9, completion_tokens: 5, total_tokens: 14 },
});
const chunks = ["Hel", "lo", " from", " memory."].map((content, i) =>
  JSON.stringify({
    id: "chatcmpl-bench",
    object: "chat.completion.chunk",
    created: 1700000000,
    model: "gpt-4o-mini",
    choices: [{ index: 0, delta: i ? { content } : { role: "assistant", content }, finish_reason: null }],
  }),
);
const memoryAdapter = () => ({
  chat: {
    params: new Set(OPENAI_CHAT_PARAMS),
    async complete() {
      return JSON.parse(completion);
    },
    async *stream() {
      for (const c of chunks) yield JSON.parse(c);
    },
  },
});

let logged = 0;
const gateway = createGateway({
  config: parseConfig(`providers:\n  - { id: up, type: openai, base_url: "http://127.0.0.1:9/v1", models: [gpt-4o-mini] }\n`),
  adapters: { openai: memoryAdapter },
  logSink: { write: () => void logged++ },
});

const jsonBody = Buffer.from(JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello." }] }));
const streamBody = Buffer.from(JSON.stringify({ model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: "Say hello." }] }));
// As node:http's transport builds it (packages/core/src/http/node.ts): one AbortController per request.
const request = (body, controller = new AbortController()) => ({
  method: "POST",
  path: "/v1/chat/completions",
  query: new URLSearchParams(),
  headers: { host: "127.0.0.1:1337", "content-type": "application/json", "content-length": String(body.length), accept: "*/*", "user-agent": "bench" },
  readBody: async () => body,
  signal: controller.signal,
  abort: (reason) => controller.abort(reason),
});

async function once(body) {
  const res = await gateway.handle(request(body));
  if (res.status !== 200) throw new Error(`status ${res.status}: ${typeof res.body === "string" ? res.body : "(not text)"}`);
  if (typeof res.body === "object" && Symbol.asyncIterator in res.body) for await (const _ of res.body);
}

async function round(body, n) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  // 64 in flight, as under load: the handler's promises interleave the way they do on a busy server.
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next++ < n) await once(body);
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return { wallUs: ((performance.now() - t0) * 1000) / n, cpuUs: (cpu.user + cpu.system) / n };
}

for (const [name, body] of [
  ["json", jsonBody],
  ["stream (4 chunks)", streamBody],
]) {
  await round(body, REQUESTS / 4); // warm-up
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) rounds.push(await round(body, REQUESTS));
  const cpu = rounds.map((r) => r.cpuUs).sort((a, b) => a - b);
  console.log(
    `${name}: ${cpu[Math.floor(cpu.length / 2)].toFixed(2)} µs CPU per request (median of ${ROUNDS} rounds of ${REQUESTS}; min ${cpu[0].toFixed(2)}, max ${cpu.at(-1).toFixed(2)})`,
  );
}
console.log(`${logged} log rows`);
