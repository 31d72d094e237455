/**
 * The routing policy end to end, through the official SDKs against fake upstreams with failures: OpenRouter's
 * provider object in the body and as JSON in the header, models[] fallback, the context-window fallback, retries,
 * the attempts header, and count_tokens answered by the estimate when the provider cannot count.
 */
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendJson, startFakeServer, type FakeServer } from "../test-support/fake-server.js";
import { startScriptedAnthropic, startScriptedOpenAI } from "../test-support/scripted-providers.js";
import { startTestGateway, type TestGateway } from "../test-support/gateway.js";
import type { RequestLogEntry } from "../logging/types.js";
import { attemptsHeader } from "../gateway.js";

let cheap: FakeServer, dear: FakeServer, broken: FakeServer, small: FakeServer, an: FakeServer, gw: TestGateway;
const rows: RequestLogEntry[] = [];
beforeAll(async () => {
  [cheap, dear, an] = await Promise.all([startScriptedOpenAI("CHEAP"), startScriptedOpenAI("DEAR"), startScriptedAnthropic("AN")]);
  broken = await startFakeServer((_req, res) => sendJson(res, 503, { error: { message: "overloaded", type: "server_error" } }));
  small = await startFakeServer((_req, res) =>
    sendJson(res, 400, {
      error: { message: "This model's maximum context length is 16 tokens", type: "invalid_request_error", code: "context_length_exceeded" },
    }),
  );
  gw = await startTestGateway(
    `routing:
  strategy: price
providers:
  - { id: broken, type: openai, base_url: "${broken.url}/v1", models: [m, backup], retries: { max: 2, base_ms: 40, max_ms: 40 }, prices: { m: { input: 0.1, output: 0.1 } } }
  - { id: dear, type: openai, base_url: "${dear.url}/v1", models: [m, backup], prices: { m: { input: 9, output: 9 } }, data_collection: deny }
  - { id: cheap, type: openai, base_url: "${cheap.url}/v1", models: [m, { id: long, context_window: 16 }], prices: { m: { input: 1, output: 1 } } }
  - { id: small, type: openai, base_url: "${small.url}/v1", models: [{ id: long, context_window: 32 }] }
  - { id: big, type: openai, base_url: "${cheap.url}/v1", models: [{ id: long, upstream: long-big, context_window: 100000 }] }
  - { id: an, type: anthropic, base_url: "${an.url}/v1", api_key: sk-ant-x, models: [claude] }
`,
    { logSink: { write: (e) => void rows.push(e) } },
  );
});
afterAll(async () => {
  await gw.close();
  await Promise.all([cheap, dear, broken, small, an].map((s) => s.close()));
});

const openai = (headers: Record<string, string> = {}) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "x", defaultHeaders: headers, maxRetries: 0 });
const messages = [{ role: "user" as const, content: "hi" }];
const attemptsOf = (headers: Headers) => JSON.parse(headers.get("x-interference-attempts")!) as Array<Record<string, unknown>>;

describe("routing policy through the SDKs", () => {
  it("orders by the configured strategy (price), retries the cheapest on 503 with backoff, and says so in x-interference-attempts", async () => {
    const { data, response } = await openai().chat.completions.create({ model: "m", messages }).withResponse();
    expect(data.choices[0]!.message.content).toMatch(/^CHEAP heard/);
    const attempts = attemptsOf(response.headers);
    expect(attempts.map((a) => `${a.provider}:${a.outcome}`)).toEqual(["broken:failed", "broken:failed", "broken:failed", "cheap:served"]);
    expect(attempts[0]).toMatchObject({ status: 503, why: "price: $0.2/M tokens, 1st of 3" });
    expect(attempts[3]).toMatchObject({ why: "price: $2/M tokens, 2nd of 3" });
    expect(broken.requests.length).toBe(3); // the first try and retries.max = 2
    // What the strategies read: cheap's time to first token, its speed, and nothing left in flight.
    const stats = gw.gateway.registry.get("cheap")!.health.stats.snapshot();
    expect(stats).toMatchObject({ in_flight: 0, samples: 1 });
    expect(stats.ttft_ms).toBeGreaterThan(0);
    expect(stats.tokens_per_second).toBeGreaterThan(0);
    expect(gw.gateway.registry.get("broken")!.health.stats.snapshot().samples).toBe(3);
    const row = rows.at(-1)!;
    expect(row.routing).toMatchObject({ models: [{ model: "m", strategy: "price", scores: { broken: 0.2, dear: 18, cheap: 2 } }] });
  });

  it("takes OpenRouter's provider object in the body (order, ignore, sort, data_collection) and 400s an unknown field", async () => {
    const client = openai();
    const create = (provider: unknown) => client.chat.completions.create({ model: "m", messages, provider } as never);
    expect(((await create({ order: ["dear"] })) as OpenAI.ChatCompletion).choices[0]!.message.content).toMatch(/^DEAR/);
    expect(((await create({ ignore: ["broken"] })) as OpenAI.ChatCompletion).choices[0]!.message.content).toMatch(/^CHEAP/);
    expect(((await create({ data_collection: "deny" })) as OpenAI.ChatCompletion).choices[0]!.message.content).toMatch(/^DEAR/);
    const refused = create({ order: ["cheap"], zdr: true });
    await expect(refused).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(refused).rejects.toMatchObject({ status: 400, error: { param: "provider.zdr" } });
    const none = create({ only: ["dear"], max_price: { prompt: 1 } });
    await expect(none).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    // Neither `provider` nor `models` ever reaches a provider.
    expect(dear.requests.at(-1)!.body.provider).toBeUndefined();
  });

  it("takes the object as JSON in x-interference-provider, also from the Anthropic SDK and the Responses API", async () => {
    const header = { "x-interference-provider": JSON.stringify({ order: ["dear"], allow_fallbacks: false }) };
    const res = await openai(header).responses.create({ model: "m", input: "hi" });
    expect(res.output_text).toMatch(/^DEAR/);
    const anthropic = new Anthropic({ baseURL: gw.url, apiKey: "x", maxRetries: 0, defaultHeaders: { "x-interference-provider": '{"only":["an"]}' } });
    const msg = await anthropic.messages.create({ model: "claude", max_tokens: 10, messages });
    expect(msg.content[0]).toMatchObject({ type: "text", text: expect.stringMatching(/^AN heard/) });
    const bad = new Anthropic({ baseURL: gw.url, apiKey: "x", maxRetries: 0, defaultHeaders: { "x-interference-provider": '{"sort":' } });
    await expect(bad.messages.create({ model: "claude", max_tokens: 10, messages })).rejects.toBeInstanceOf(Anthropic.BadRequestError);
  });

  it("models[]: when every provider of the first model failed, the next model serves, and the answer names it", async () => {
    const answer = (await openai().chat.completions.create({
      model: "nobody-serves-this",
      models: ["backup"],
      messages,
      provider: { only: ["broken", "dear"] },
    } as never)) as OpenAI.ChatCompletion;
    expect(answer.model).toBe("backup");
    expect(answer.choices[0]!.message.content).toMatch(/^DEAR/);
  });

  it("skips a window too small for the prompt, fails over on a provider's context_length_exceeded, 400s when nothing fits", async () => {
    const prompt = "word ".repeat(30); // about 45 tokens by the estimate: over cheap's 16 and small's 32
    const { data, response } = await openai()
      .chat.completions.create({ model: "long", messages: [{ role: "user", content: prompt }] })
      .withResponse();
    expect(data.model).toBe("long-big");
    const attempts = attemptsOf(response.headers);
    expect(attempts.find((a) => a.provider === "cheap")).toMatchObject({ outcome: "skipped", why: expect.stringMatching(/context window of 16/) });
    const short = await openai()
      .chat.completions.create({ model: "long", messages: [{ role: "user", content: "a bit longer than nothing" }] })
      .withResponse();
    // A prompt that fits the smallest window goes to the first candidate that has it.
    expect(attemptsOf(short.response.headers).map((a) => `${a.provider}:${a.outcome}`)).toEqual(["cheap:served"]);
    const huge = openai().chat.completions.create({ model: "long", messages: [{ role: "user", content: "x".repeat(500_000) }] });
    await expect(huge).rejects.toMatchObject({ status: 400, error: { code: "context_length_exceeded" } });
  });

  it("a provider's own context-length refusal moves on to a larger window", async () => {
    const res = await openai()
      .chat.completions.create({ model: "long", messages, provider: { order: ["small", "big"] } } as never)
      .withResponse();
    expect(attemptsOf(res.response.headers).map((a) => `${a.provider}:${a.outcome}`)).toEqual(["small:failed", "big:served"]);
  });

  it("answers an unknown model as the vendors do: 404 model_not_found, and Anthropic's not_found_error", async () => {
    await expect(openai().chat.completions.create({ model: "nope", messages })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(openai().chat.completions.create({ model: "nope", messages })).rejects.toMatchObject({ error: { code: "model_not_found" } });
    const anthropic = new Anthropic({ baseURL: gw.url, apiKey: "x", maxRetries: 0 });
    await expect(anthropic.messages.create({ model: "nope", max_tokens: 5, messages })).rejects.toBeInstanceOf(Anthropic.NotFoundError);
  });

  it("count_tokens answers the local estimate, marked so, when the provider cannot count", async () => {
    an.handle((req, res) =>
      req.url?.includes("count_tokens") ? sendJson(res, 404, { type: "error", error: { type: "not_found_error", message: "no" } }) : undefined,
    );
    const res = await fetch(`${gw.url}/v1/messages/count_tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "claude", messages: [{ role: "user", content: "how many tokens is this" }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-interference-token-count")).toBe("estimated");
    expect(((await res.json()) as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
  });

  it("keeps the attempts header a valid header: non-ASCII escaped, long reasons cut", () => {
    const value = attemptsHeader([{ provider: "a", outcome: "failed", status: 500, reason: `é\n${"x".repeat(500)}` }])["x-interference-attempts"]!;
    expect(value).toMatch(/^[\x20-\x7e]+$/);
    const [row] = JSON.parse(value) as Array<{ error: string }>;
    expect(row!.error.startsWith("é\n")).toBe(true);
    expect(row!.error.length).toBe(160);
    expect(attemptsHeader([])).toEqual({});
  });

  it("ends every chain with routing.fallback when all else fails, marked as the fallback in the answer and the log", async () => {
    const own: RequestLogEntry[] = [];
    const fb = await startTestGateway(
      `routing:
  fallback: spare
providers:
  - { id: down, type: openai, base_url: "${broken.url}/v1", models: [m], retries: { max: 0 } }
  - { id: spare, type: openai, base_url: "${cheap.url}/v1", models: [house] }
`,
      { logSink: { write: (e) => void own.push(e) } },
    );
    try {
      const client = new OpenAI({ baseURL: `${fb.url}/v1`, apiKey: "x", maxRetries: 0 });
      const { data, response } = await client.chat.completions.create({ model: "m", messages }).withResponse();
      expect(data.choices[0]!.message.content).toMatch(/^CHEAP heard/);
      expect(data.model).toBe("house");
      expect(response.headers.get("x-interference-fallback")).toBe("spare");
      expect(attemptsOf(response.headers).at(-1)).toMatchObject({ provider: "spare", outcome: "served", fallback: true });
      // A request the first provider serves carries no fallback mark.
      const direct = await client.chat.completions.create({ model: "house", messages }).withResponse();
      expect(direct.response.headers.get("x-interference-fallback")).toBeNull();
      await expect.poll(() => own.length).toBe(2);
      expect(own[0]!.attempts.at(-1)).toMatchObject({ provider: "spare", fallback: true });
      expect(own[0]!.routing?.fallback).toBe("spare");
    } finally {
      await fb.close();
    }
  });

  it("spaces retries as the provider asks (Retry-After), and fails over at once when it asks for longer than max_ms", async () => {
    const times: number[] = [];
    let calls = 0;
    const busy = await startFakeServer((_req, res) => {
      times.push(performance.now());
      if (++calls <= 2) return sendJson(res, 503, { error: { message: "busy", type: "server_error" } }, { "retry-after": "0.25" });
      return sendJson(res, 200, {
        id: "c",
        object: "chat.completion",
        created: 1,
        model: "m",
        choices: [{ index: 0, message: { role: "assistant", content: "at last" }, finish_reason: "stop" }],
      });
    });
    let slowAt = 0;
    const slow = await startFakeServer((_req, res) => {
      slowAt = performance.now();
      sendJson(res, 429, { error: { message: "later", type: "rate_limit" } }, { "retry-after": "30" });
    });
    const rg = await startTestGateway(`providers:
  - { id: slow, type: openai, base_url: "${slow.url}/v1", models: [m], retries: { max: 3, base_ms: 1, max_ms: 1000 } }
  - { id: busy, type: openai, base_url: "${busy.url}/v1", models: [m], retries: { max: 2, base_ms: 1, max_ms: 1000 } }
`);
    try {
      const { data, response } = await new OpenAI({ baseURL: `${rg.url}/v1`, apiKey: "x", maxRetries: 0 }).chat.completions
        .create({ model: "m", messages })
        .withResponse();
      expect(data.choices[0]!.message.content).toBe("at last");
      // slow asked for 30 s, more than its max_ms: tried once, then failed over without waiting.
      expect(slow.requests.length).toBe(1);
      expect(times[0]! - slowAt).toBeLessThan(5_000); // nowhere near the 30 s it asked for
      // busy asked for 250 ms each time: its three tries are at least that far apart.
      expect(times).toHaveLength(3);
      expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(245);
      expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(245);
      expect(attemptsOf(response.headers).map((a) => `${a.provider}:${a.outcome}`)).toEqual(["slow:failed", "busy:failed", "busy:failed", "busy:served"]);
      expect(attemptsOf(response.headers)[1]!.error).toMatch(/retrying in 250 ms/);
    } finally {
      await rg.close();
      await Promise.all([busy.close(), slow.close()]);
    }
  });
});
