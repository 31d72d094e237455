/**
 * The real embedded model (SmolLM2-135M-Instruct, fetched by scripts/fetch-model.py) behind a real gateway.
 * Without the file these tests are skipped with a message, except in CI, where they must run.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../../test-support/gateway.js";
import { DEFAULT_MODEL_FILE } from "./options.js";
import { openaiChunkEvents, sendSse, startFakeServer } from "../../test-support/fake-server.js";

const MODEL = process.env.INTERFERENCE_MODEL_PATH ?? fileURLToPath(new URL(`../../../../../models/${DEFAULT_MODEL_FILE}`, import.meta.url));
const present = existsSync(MODEL);
if (!present && process.env.CI === "true") throw new Error(`CI needs the embedded model at ${MODEL}: run scripts/fetch-model.py`);
if (!present) console.warn(`[local.test] skipped: ${MODEL} is missing (run scripts/fetch-model.py)`);

let gw: TestGateway, busy: TestGateway;
const messages = [{ role: "user", content: "Name three colours." }];

async function waitReady(url: string, id: string) {
  for (let i = 0; i < 300; i++) {
    const p: any = await (await fetch(`${url}/v1/providers/${id}`)).json();
    if (p.ready) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("model did not load");
}

const chat = (url: string, body: Record<string, unknown>, signal?: AbortSignal) =>
  fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "smollm2", messages, ...body }),
    signal,
  });

function streamedText(sse: string): { text: string; finish: string | null; usage: any } {
  let text = "";
  let finish: string | null = null;
  let usage = null;
  for (const e of sse.split("\n\n")) {
    if (!e.startsWith("data: ") || e === "data: [DONE]") continue;
    const c = JSON.parse(e.slice(6));
    text += c.choices[0]?.delta?.content ?? "";
    finish = c.choices[0]?.finish_reason ?? finish;
    if (c.usage) usage = c.usage;
  }
  return { text, finish, usage };
}

describe.skipIf(!present)("local provider with the real model", { timeout: 60_000 }, () => {
  beforeAll(async () => {
    gw = await startTestGateway(`providers:\n  - { id: local, type: local, model_path: "${MODEL}", models: [smollm2], parallel: 2 }\n`);
    busy = await startTestGateway(`providers:\n  - { id: tiny, type: local, model_path: "${MODEL}", models: [smollm2], parallel: 1, queue_size: 1 }\n`);
    await Promise.all([waitReady(gw.url, "local"), waitReady(busy.url, "tiny")]);
  }, 120_000);
  afterAll(async () => {
    await gw?.close();
    await busy?.close();
  });

  it("answers with real generated text and exact usage", async () => {
    const body: any = await (await chat(gw.url, { max_tokens: 40 })).json();
    const text: string = body.choices[0].message.content;
    expect(text.trim().length).toBeGreaterThan(0);
    expect(body.provider).toBe("local");
    expect(body.usage.prompt_tokens).toBeGreaterThan(5);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
  });

  it("stops at max_tokens with finish_reason length, counting exactly that many tokens", async () => {
    const body: any = await (await chat(gw.url, { max_tokens: 5, messages: [{ role: "user", content: "Write a long story about the sea." }] })).json();
    expect(body.choices[0].finish_reason).toBe("length");
    expect(body.usage.completion_tokens).toBe(5);
  });

  it("honours stop sequences", async () => {
    const free: any = await (await chat(gw.url, { max_tokens: 30, temperature: 0 })).json();
    const full: string = free.choices[0].message.content;
    const words = full.split(/\s+/).filter((w) => w.length > 3);
    const stopWord = words[Math.min(2, words.length - 1)]!;
    const cut: any = await (await chat(gw.url, { max_tokens: 30, temperature: 0, stop: [stopWord] })).json();
    expect(cut.choices[0].message.content).toBe(full.slice(0, full.indexOf(stopWord)));
    expect(cut.choices[0].finish_reason).toBe("stop");
  });

  it("streams chunks that join into the non-streamed answer under a fixed seed", async () => {
    const body = { max_tokens: 30, temperature: 0.8, seed: 1234 };
    const whole: any = await (await chat(gw.url, body)).json();
    const streamed = streamedText(await (await chat(gw.url, { ...body, stream: true, stream_options: { include_usage: true } })).text());
    expect(streamed.text).toBe(whole.choices[0].message.content);
    expect(streamed.finish).toBe(whole.choices[0].finish_reason);
    expect(streamed.usage).toEqual(whole.usage);
  });

  it("queues beyond its sequences, then answers 429 with Retry-After", async () => {
    const long = { max_tokens: 120, messages: [{ role: "user", content: "Write a long story about the sea." }] };
    const results = await Promise.all([chat(busy.url, long), chat(busy.url, long), chat(busy.url, long)]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 429]);
    const refused = results.find((r) => r.status === 429)!;
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(((await refused.json()) as any).error.code).toBe("rate_limited");
  });

  it("stops generating when the client disconnects, freeing the slot at once", async () => {
    const controller = new AbortController();
    const res = await chat(busy.url, { stream: true, max_tokens: 2000, messages: [{ role: "user", content: "Count to one thousand." }] }, controller.signal);
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await new Promise((r) => setTimeout(r, 200)); // the server sees the socket close
    const started = Date.now();
    // One sequence, one queue place: both succeed only if the aborted generation let go of its slot; had it kept
    // generating its 2,000 tokens (tens of seconds here), the second would time out in the queue or be refused.
    const [a, b] = await Promise.all([chat(busy.url, { max_tokens: 3 }), chat(busy.url, { max_tokens: 3 })]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("continues another provider's cut answer from its text (prefill), without starting it again", async () => {
    const greedy = { max_tokens: 40, temperature: 0, messages: [{ role: "user", content: "Describe the sea in two sentences." }] };
    const whole: string = ((await (await chat(gw.url, greedy)).json()) as any).choices[0].message.content;
    // A provider that sends the first words of that very answer, then loses its connection.
    const words = whole.match(/\S+\s*/g)!;
    const sent = words.slice(0, 4).join("");
    const cut = await startFakeServer((_req, res) => sendSse(res, openaiChunkEvents([sent], "smollm2"), { cutAfter: 2 }));
    const both = await startTestGateway(
      `providers:\n  - { id: cut, type: openai, base_url: "${cut.url}/v1", models: [smollm2] }\n  - { id: local, type: local, model_path: "${MODEL}", models: [smollm2] }\n`,
    );
    try {
      await waitReady(both.url, "local");
      const res = await chat(both.url, { ...greedy, stream: true, provider: "cut local", stream_recovery: "continue" });
      const body = await res.text();
      const { text } = streamedText(body);
      expect(text.startsWith(sent)).toBe(true);
      // Greedy decoding from the same prefix: the continuation is the rest of the same answer, not a new one.
      expect(text).toBe(whole);
      expect(body).toContain('"interference":{"providers":["cut","local"]');
    } finally {
      await both.close();
      await cut.close();
    }
  });

  it("refuses image inputs with a 400", async () => {
    const res = await chat(gw.url, { messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:image/png;base64,AA==" } }] }] });
    expect(res.status).toBe(400);
  });
});
