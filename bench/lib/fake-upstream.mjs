// A fake OpenAI upstream with a fixed latency (JSON; the bench may change it) and a streaming mode (N chunks, fixed gap).
//   node fake-upstream.mjs <port> <latencyMs> <chunks> <chunkGapMs>
import { createServer } from "node:http";

const [port, initialLatency, chunks, initialGap] = process.argv.slice(2).map(Number);
// POST /__bench/latency {"ms": N, "gap": M} changes them between phases of a run.
let latency = initialLatency;
let gap = initialGap;
const completion = JSON.stringify({
  id: "chatcmpl-bench",
  object: "chat.completion",
  created: 1700000000,
  model: "gpt-4o-mini",
  choices: [{ index: 0, message: { role: "assistant", content: "Hello from the fake upstream." }, finish_reason: "stop" }],
  usage: { prompt_tokens: 9, completion_tokens: 7, total_tokens: 16 },
});
// The other APIs' answers, for requests to /v1/responses and /v1/messages (JSON only).
const response = JSON.stringify({
  id: "resp_bench",
  object: "response",
  created_at: 1700000000,
  status: "completed",
  model: "gpt-4o-mini",
  output: [
    {
      type: "message",
      id: "msg_bench",
      status: "completed",
      role: "assistant",
      content: [{ type: "output_text", text: "Hello from the fake upstream.", annotations: [] }],
    },
  ],
  usage: { input_tokens: 9, output_tokens: 7, total_tokens: 16 },
});
const message = JSON.stringify({
  id: "msg_bench",
  type: "message",
  role: "assistant",
  model: "claude-bench",
  content: [{ type: "text", text: "Hello from the fake upstream." }],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 9, output_tokens: 7 },
});
const chunk = (content, finish = null) =>
  `data: ${JSON.stringify({ id: "chatcmpl-bench", object: "chat.completion.chunk", created: 1700000000, model: "gpt-4o-mini", choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }] })}\n\n`;
const usage = `data: ${JSON.stringify({ id: "chatcmpl-bench", object: "chat.completion.chunk", created: 1700000000, model: "gpt-4o-mini", choices: [], usage: { prompt_tokens: 9, completion_tokens: chunks, total_tokens: 9 + chunks } })}\n\n`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const server = createServer((req, res) => void serve(req, res));

async function serve(req, res) {
  let body = "";
  for await (const c of req) body += c;
  if (req.url === "/__bench/latency") {
    const set = JSON.parse(body);
    latency = Number(set.ms ?? latency);
    gap = Number(set.gap ?? gap);
    res.end(JSON.stringify({ latency, gap }));
    return;
  }
  let stream = false;
  try {
    stream = JSON.parse(body).stream === true;
  } catch {}
  if (!stream) {
    await sleep(latency);
    const answer = req.url.endsWith("/responses") ? response : req.url.endsWith("/messages") ? message : completion;
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(answer) });
    res.end(answer);
    return;
  }
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  await sleep(latency);
  for (let i = 0; i < chunks && !res.destroyed; i++) {
    res.write(chunk(`tok${i} `));
    // No gap: the next chunk after the event loop has turned, so each goes out as its own write.
    await (gap ? sleep(gap) : new Promise((r) => setImmediate(r)));
  }
  res.write(chunk(null, "stop"));
  res.write(usage);
  res.end("data: [DONE]\n\n");
}
server.keepAliveTimeout = 60_000;
server.listen(port, "127.0.0.1", () => console.log(`fake upstream on ${port}`));
