// Answer continuity: what the seam costs a client. Two fake providers on 127.0.0.1 (in this process), the
// gateway's core handler in front: `cut` streams the first 20 pieces of an answer and then loses its connection;
// `fin` (an OpenAI-compatible server with prefill) sends the rest at once. For each request, the gap the client
// sees between the last piece before the cut and the first piece after it, against the gap between two pieces of
// an unbroken stream; and a check that every answer came out whole.
//   node bench/continuity.mjs [--requests 200]
import { createServer } from "node:http";
import { createGateway, parseConfig } from "../packages/core/dist/index.js";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const REQUESTS = arg("requests", 200);

const PIECES = Array.from({ length: 40 }, (_, i) => `word${i} `);
const FULL = PIECES.join("");
const CUT_AT = 20;
const chunk = (delta, finish = null) =>
  `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

async function listen(server) {
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${server.address().port}`;
}
function provider(handle) {
  return createServer((req, res) => {
    const parts = [];
    req.on("data", (d) => parts.push(d));
    req.on("end", () => handle(JSON.parse(Buffer.concat(parts).toString()), res));
  });
}
/** Streams `pieces` 1 ms apart, then ends the stream (whole) or destroys the socket (cut). */
async function stream(res, pieces, cut) {
  res.writeHead(200, { "content-type": "text/event-stream" });
  res.write(chunk({ role: "assistant", content: "" }));
  for (const p of pieces) {
    res.write(chunk({ content: p }));
    await new Promise((r) => setTimeout(r, 1));
  }
  if (cut) return res.socket.destroy();
  res.end(chunk({}, "stop") + "data: [DONE]\n\n");
}
const cut = provider((_body, res) => stream(res, PIECES.slice(0, CUT_AT), true));
const whole = provider((_body, res) => stream(res, PIECES, false));
const fin = provider((body, res) => {
  const sofar = body.messages.at(-1).content;
  void stream(res, [FULL.slice(sofar.length)], false);
});
const urls = { cut: await listen(cut), whole: await listen(whole), fin: await listen(fin) };

const gateway = createGateway({
  config: parseConfig(`providers:
  - { id: cut, type: openai, base_url: "${urls.cut}/v1", models: [m] }
  - { id: whole, type: openai, base_url: "${urls.whole}/v1", models: [m] }
  - { id: fin, type: openai, base_url: "${urls.fin}/v1", prefill: assistant, models: [m] }
`),
});
const server = createServer(gateway.nodeListener());
const url = await listen(server);

/** One streamed request: the text, and the largest gap between two content chunks (ms). */
async function once(provider) {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true, provider, stream_recovery: "continue" }),
  });
  let text = "";
  let last = null;
  let gap = 0;
  let buffer = "";
  const decoder = new TextDecoder();
  for await (const bytes of res.body) {
    buffer += decoder.decode(bytes, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (!event.startsWith("data: {")) continue;
      const content = JSON.parse(event.slice(6)).choices[0]?.delta?.content;
      if (!content) continue;
      const now = performance.now();
      if (last !== null) gap = Math.max(gap, now - last);
      last = now;
      text += content;
    }
  }
  return { text, gap };
}

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
for (const [name, provider] of [
  ["unbroken stream (largest gap between pieces)", "whole"],
  ["cut and continued (the gap at the seam)", "cut fin"],
]) {
  await once(provider); // warm-up
  const gaps = [];
  let whole = 0;
  for (let i = 0; i < REQUESTS; i++) {
    const r = await once(provider);
    gaps.push(r.gap);
    if (r.text === FULL) whole++;
  }
  console.log(`${name}: p50 ${pct(gaps, 50).toFixed(2)} ms, p99 ${pct(gaps, 99).toFixed(2)} ms; ${whole}/${REQUESTS} answers whole`);
}
server.close();
await gateway.close();
for (const s of [cut, whole, fin]) s.close();
