// The gateway's own work per request, without sockets: the core handler called in-process, its provider
// answering at once from memory (a fresh parse of a recorded-shape body, as the real adapter's would be).
// What it measures: routing, validation, planning, failover bookkeeping, the log row, metrics and the response
// encoding. Transport (node:http, undici) is measured end to end by run.mjs.
// Two providers: `up` speaks Chat Completions itself (an openai provider: native passthrough, the common case);
// `tr` is a translating family (the request decoded into the canonical model, the answer encoded from it).
//   node bench/handler.mjs [--requests 200000] [--rounds 5]
import { createGateway, parseConfig, CANONICAL_PARAMS } from "../packages/core/dist/index.js";
import { completion } from "./lib/completion.mjs";

const opt = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const REQUESTS = opt("requests", 200_000);
const ROUNDS = opt("rounds", 5);

const chunks = ["Hel", "lo", " from", " memory."].map((content, i) =>
  JSON.stringify({
    id: "chatcmpl-bench",
    object: "chat.completion.chunk",
    created: 1700000000,
    model: "gpt-4o-mini",
    choices: [{ index: 0, delta: i ? { content } : { role: "assistant", content }, finish_reason: null }],
  }),
);
/** Speaks Chat Completions itself: the answer's JSON and SSE events, as the real client hands them over. */
const nativeAdapter = () => ({
  native: {
    chat: {
      async send() {
        return JSON.parse(completion);
      },
      // One event a read, as a provider with gaps between its tokens sends them (the batches' least gain).
      async *stream() {
        for (const data of chunks) yield [{ data }];
        yield [{ data: "[DONE]" }];
      },
    },
  },
});

/** Translates: the same wire parsed, as a family's decoder would, into canonical results and parts. */
const translatingAdapter = () => ({
  chat: {
    params: new Set(CANONICAL_PARAMS),
    async complete() {
      const c = JSON.parse(completion);
      const usage = { inputTokens: c.usage.prompt_tokens, outputTokens: c.usage.completion_tokens };
      return { model: c.model, choices: [{ content: [{ type: "text", text: c.choices[0].message.content }], finish: "stop" }], usage };
    },
    async *stream() {
      for (const data of chunks) {
        const c = JSON.parse(data);
        yield { type: "text", delta: c.choices[0].delta.content };
      }
      yield { type: "finish", reason: "stop" };
      yield { type: "usage", usage: { inputTokens: 9, outputTokens: 5 } };
    },
  },
});

let logged = 0;
const gateway = createGateway({
  config: parseConfig(`providers:
  - { id: up, type: openai, base_url: "http://127.0.0.1:9/v1", models: [gpt-4o-mini] }
  - { id: tr, type: gemini, base_url: "http://127.0.0.1:9/v1", models: [gpt-4o-mini] }
`),
  adapters: { openai: nativeAdapter, gemini: translatingAdapter },
  logSink: { write: () => void logged++ },
});

const requestBody = (fields) => Buffer.from(JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello." }], ...fields }));
const jsonBody = requestBody({ provider: "up" });
const streamBody = requestBody({ provider: "up", stream: true });
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
  ["json, translated", requestBody({ provider: "tr" })],
  ["stream (4 chunks), translated", requestBody({ provider: "tr", stream: true })],
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
