/**
 * What each request cost, as a client and an admin see it, through the real gateway and the official SDKs: the
 * answer's `usage.cost`, the `x-interference-cost` header, the final usage event of a stream, the log row, and
 * /metrics. The scripted upstreams report 11 input and 7 output tokens; at $2 / $10 per million that is
 * 11 × 2 + 7 × 10 = 92 µ$.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendSse, startFakeServer, openaiChunkEvents, type FakeServer } from "../test-support/fake-server.js";
import { startScriptedAnthropic, startScriptedGemini, startScriptedOpenAI } from "../test-support/scripted-providers.js";
import { startTestGateway, type TestGateway } from "../test-support/gateway.js";
import type { RequestLogEntry } from "../logging/types.js";

const PRICE = "{ input: 2, output: 10 }";
const COST = 0.000092;
let oa: FakeServer, an: FakeServer, ge: FakeServer, cut: FakeServer, gw: TestGateway;
const rows: RequestLogEntry[] = [];

beforeAll(async () => {
  [oa, an, ge] = await Promise.all([startScriptedOpenAI("OA"), startScriptedAnthropic("AN"), startScriptedGemini("GE")]);
  // Three words, then the connection drops: no usage ever comes.
  cut = await startFakeServer((_q, res) => sendSse(res, openaiChunkEvents(["one ", "two ", "three"], "m", false), { cutAfter: 3 }));
  gw = await startTestGateway(
    `providers:
  - { id: oa, type: openai, base_url: "${oa.url}/v1", models: [m], prices: { m: ${PRICE} } }
  - { id: an, type: anthropic, base_url: "${an.url}/v1", models: [m], prices: { "*": ${PRICE} } }
  - { id: ge, type: gemini, base_url: "${ge.url}/v1beta", models: [m], prices: { m: ${PRICE} } }
  - { id: cut, type: openai, base_url: "${cut.url}/v1", models: [m], prices: { m: ${PRICE} }, retries: { max: 0 } }
  - { id: free, type: openai, base_url: "${oa.url}/v1", models: [m] }
`,
    { logSink: { write: (e) => void rows.push(e) }, metricsPublic: true },
  );
});
afterAll(async () => {
  await gw.close();
  await Promise.all([oa.close(), an.close(), ge.close(), cut.close()]);
});

const openai = (provider: string) =>
  new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "none", maxRetries: 0, defaultHeaders: { "x-interference-provider": provider } });
const anthropic = (provider: string) =>
  new Anthropic({ baseURL: gw.url, apiKey: "none", maxRetries: 0, defaultHeaders: { "x-interference-provider": provider } });
const lastRow = () => rows.at(-1)!;
const user = [{ role: "user" as const, content: "hello" }];

describe("every answer says what it cost", () => {
  it("Chat Completions: usage.cost, the header and the log row", async () => {
    const { data, response } = await openai("oa").chat.completions.create({ model: "m", messages: user }).withResponse();
    expect((data.usage as unknown as { cost: number }).cost).toBeCloseTo(COST, 12);
    expect(response.headers.get("x-interference-cost")).toBe("0.000092");
    expect(lastRow()).toMatchObject({ provider: "oa", promptTokens: 11, completionTokens: 7, costEstimated: false });
    expect(lastRow().cost).toBeCloseTo(COST, 12);
  });

  it("Chat Completions streamed: the usage chunk's cost, natively and translated", async () => {
    for (const provider of ["oa", "ge"]) {
      const stream = await openai(provider).chat.completions.create({ model: "m", messages: user, stream: true, stream_options: { include_usage: true } });
      let cost: number | undefined;
      for await (const chunk of stream) if (chunk.usage) cost = (chunk.usage as unknown as { cost: number }).cost;
      expect(cost).toBeCloseTo(COST, 12);
      expect(lastRow().cost).toBeCloseTo(COST, 12);
    }
  });

  it("Responses (translated to Gemini), JSON and streamed", async () => {
    const r = await openai("ge").responses.create({ model: "m", input: "hello" });
    expect((r.usage as unknown as { cost: number }).cost).toBeCloseTo(COST, 12);
    const stream = await openai("ge").responses.create({ model: "m", input: "hello", stream: true });
    let cost: number | undefined;
    for await (const e of stream) if (e.type === "response.completed") cost = (e.response.usage as unknown as { cost: number }).cost;
    expect(cost).toBeCloseTo(COST, 12);
  });

  it("Messages (native Anthropic), JSON and streamed", async () => {
    const m = await anthropic("an").messages.create({ model: "m", max_tokens: 50, messages: user });
    expect((m.usage as unknown as { cost: number }).cost).toBeCloseTo(COST, 12);
    const stream = await anthropic("an").messages.create({ model: "m", max_tokens: 50, messages: user, stream: true });
    let cost: number | undefined;
    for await (const e of stream) if (e.type === "message_delta") cost = (e.usage as unknown as { cost: number }).cost;
    expect(cost).toBeCloseTo(COST, 12);
    expect(lastRow()).toMatchObject({ provider: "an", promptTokens: 11, completionTokens: 7 });
  });

  it("legacy completions", async () => {
    const c = await openai("ge").completions.create({ model: "m", prompt: "hello" });
    expect((c.usage as unknown as { cost: number }).cost).toBeCloseTo(COST, 12);
  });

  it("no cost, no header, where the model has no price", async () => {
    const { data, response } = await openai("free").chat.completions.create({ model: "m", messages: user }).withResponse();
    expect(data.usage).not.toHaveProperty("cost");
    expect(response.headers.get("x-interference-cost")).toBeNull();
    expect(lastRow()).toMatchObject({ provider: "free", cost: null, costEstimated: false });
  });

  it("a stream cut before usage is billed from an estimate, marked as such", async () => {
    const stream = await openai("cut").chat.completions.create({ model: "m", messages: user, stream: true });
    await expect(
      (async () => {
        for await (const _ of stream);
      })(),
    ).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 50));
    const row = lastRow();
    expect(row).toMatchObject({ provider: "cut", promptTokens: null, costEstimated: true });
    // The body (~150 bytes) at 4 characters a token, the 13 delivered characters likewise: a few hundred µ$ at most.
    expect(row.cost).toBeGreaterThan(0);
    expect(row.cost).toBeLessThan(0.001);
  });

  it("counts spend in /metrics by provider, model, key and team", async () => {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith('interference_spend_usd_total{provider="oa",model="m",key="none",team="none"}'));
    expect(Number(line?.split(" ").at(-1))).toBeGreaterThanOrEqual(2 * COST);
  });
});
