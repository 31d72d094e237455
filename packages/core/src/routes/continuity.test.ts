/**
 * Answer continuity end to end: a provider whose stream is cut at a random point after content, and a second one
 * that continues the answer from the text the client already has, through the official SDKs on Chat Completions,
 * Responses and Messages. The first provider is native passthrough in some runs and translated in others; the
 * second takes the answer so far as prefill (Anthropic, an OpenAI-compatible server with `prefill: assistant`) or
 * by instruction. Both fakes know the whole text, so the client's text must be exactly it: no repeat, no gap.
 */
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ServerResponse } from "node:http";
import { sendJson, sendSse, startFakeServer, type FakeHandler, type FakeServer } from "../test-support/fake-server.js";
import { startTestGateway, type TestGateway } from "../test-support/gateway.js";
import { conforms, conformsAnthropicEvent, conformsEvent } from "../test-support/conformance.js";
import { characterCount, CONTINUE_INSTRUCTION } from "../canonical/continuation.js";
import type { RequestLogEntry } from "../logging/types.js";
import { seededRandom as random } from "../test-support/random.js";

/** The answer both fakes know; pieces of 1 to 7 characters, cut on code points (the rocket is one character). */
const FULL =
  "Gateways fail over before the first token; after it, the answer usually dies with its provider.\n\n" +
  "Not here: a naïve café owner 🚀 asked for a long answer, and got one — whole, in one stream, " +
  "with the seam invisible to everyone but the log.";
const PIECES: string[] = [];
{
  const chars = Array.from(FULL);
  let seed = 7;
  for (let i = 0; i < chars.length;) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const size = 1 + (seed % 7);
    PIECES.push(chars.slice(i, i + size).join(""));
    i += size;
  }
}

/** How many pieces the cutting provider sends before its connection is cut. */
let cutAt = 1;
/** The pieces of `text` (a suffix of FULL) as the finishing fake sends them. */
const piecesOf = (text: string) => text.match(/[\s\S]{1,5}/gu) ?? [];

const chatChunk = (delta: object, finish: string | null = null) =>
  JSON.stringify({
    id: "chatcmpl-up",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model: "m-up",
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
const named = (type: string, data: object) => ({ event: type, data: JSON.stringify({ type, ...data }) });

function chatStream(res: ServerResponse, pieces: string[], cut: boolean) {
  const events = [{ data: chatChunk({ role: "assistant", content: "" }) }, ...pieces.map((p) => ({ data: chatChunk({ content: p }) }))];
  const head = events.length;
  events.push({ data: chatChunk({}, "stop") });
  events.push({
    data: JSON.stringify({
      id: "chatcmpl-up",
      object: "chat.completion.chunk",
      created: 1,
      model: "m-up",
      choices: [],
      usage: { prompt_tokens: 50, completion_tokens: 9, total_tokens: 59 },
    }),
  });
  events.push({ data: "[DONE]" });
  return sendSse(res, events, cut ? { cutAfter: head } : {});
}

function messagesStream(res: ServerResponse, pieces: string[], cut: boolean) {
  const message = {
    id: "msg_up",
    type: "message",
    role: "assistant",
    model: "m-up",
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 50, output_tokens: 1 },
  };
  const events = [
    named("message_start", { message }),
    named("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
    named("ping", {}),
    ...pieces.map((p) => named("content_block_delta", { index: 0, delta: { type: "text_delta", text: p } })),
  ];
  const head = events.length;
  events.push(named("content_block_stop", { index: 0 }));
  events.push(named("message_delta", { delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 9 } }));
  events.push(named("message_stop", {}));
  return sendSse(res, events, cut ? { cutAfter: head } : {});
}

function responsesStream(res: ServerResponse, pieces: string[]) {
  let sequence = 0;
  const event = (type: string, data: object) => named(type, { ...data, sequence_number: sequence++ });
  const response = {
    id: "resp_up",
    object: "response",
    created_at: 1_700_000_000,
    status: "in_progress",
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    model: "m-up",
    output: [],
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: true,
    temperature: 1,
    text: { format: { type: "text" } },
    tool_choice: "auto",
    tools: [],
    top_p: 1,
    truncation: "disabled",
    metadata: {},
  };
  const item = { type: "message", id: "msg_up", status: "in_progress", role: "assistant", content: [] };
  const ids = { item_id: "msg_up", output_index: 0, content_index: 0 };
  const events = [
    event("response.created", { response }),
    event("response.in_progress", { response }),
    event("response.output_item.added", { output_index: 0, item }),
    event("response.content_part.added", { ...ids, part: { type: "output_text", text: "", annotations: [], logprobs: [] } }),
    ...pieces.map((p) => event("response.output_text.delta", { ...ids, delta: p, logprobs: [] })),
  ];
  return sendSse(res, events, { cutAfter: events.length });
}

/** The text of a Chat, Messages or Responses assistant turn, however its content is written. */
function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  return ((content as Array<{ type: string; text?: string }>) ?? []).map((p) => p.text ?? "").join("");
}

/** The finishing fake: reads the answer so far (prefill, or the turn before the instruction) and sends the rest. */
function finish(res: ServerResponse, path: string, body: any) {
  const messages = body.messages as Array<{ role: string; content: unknown }>;
  const last = messages.at(-1)!;
  const sofar = last.role === "assistant" ? textOf(last.content) : textOf(last.content) === CONTINUE_INSTRUCTION ? textOf(messages.at(-2)!.content) : "";
  if (!FULL.startsWith(sofar))
    return sendJson(res, 400, { error: { message: `not a prefix of the answer: ${JSON.stringify(sofar)}`, type: "invalid_request_error" } });
  const rest = piecesOf(FULL.slice(sofar.length));
  return path.endsWith("/messages") ? messagesStream(res, rest, false) : chatStream(res, rest, false);
}

/** The cutting fake: the first `cutAt` pieces in the API it was called in, then the connection cut. */
const cutAnswer: FakeHandler = (req, res) => {
  const pieces = PIECES.slice(0, cutAt);
  if (req.url!.endsWith("/responses")) return responsesStream(res, pieces);
  return req.url!.endsWith("/messages") ? messagesStream(res, pieces, true) : chatStream(res, pieces, true);
};

let cutter: FakeServer, finisher: FakeServer, gw: TestGateway;
const rows: RequestLogEntry[] = [];
const PRICES = { first: { input: 1, output: 2 }, second: { input: 3, output: 5 } };
beforeAll(async () => {
  cutter = await startFakeServer(cutAnswer);
  finisher = await startFakeServer((req, res, body) => finish(res, req.url!, body));
  const first = `prices: { m: { input: ${PRICES.first.input}, output: ${PRICES.first.output} } }`;
  const second = `prices: { m: { input: ${PRICES.second.input}, output: ${PRICES.second.output} } }`;
  gw = await startTestGateway(
    `providers:
  - { id: cut-oa, type: openai, base_url: "${cutter.url}/v1", models: [m], ${first} }
  - { id: cut-resp, type: openai, base_url: "${cutter.url}/v1", responses_api: true, models: [m], ${first} }
  - { id: cut-an, type: anthropic, base_url: "${cutter.url}/v1", api_key: k, models: [m], ${first} }
  - { id: cut-auto, type: openai, base_url: "${cutter.url}/v1", models: [m], stream_recovery: continue, ${first} }
  - { id: fin-an, type: anthropic, base_url: "${finisher.url}/v1", api_key: k, models: [m], ${second} }
  - { id: fin-oa, type: openai, base_url: "${finisher.url}/v1", prefill: assistant, models: [m], ${second} }
  - { id: fin-say, type: openai, base_url: "${finisher.url}/v1", models: [m], ${second} }
`,
    { logSink: { write: (e) => void rows.push(e) } },
  );
});
afterAll(async () => {
  await gw.close();
  await Promise.all([cutter.close(), finisher.close()]);
});
beforeEach(() => {
  rows.length = 0;
  finisher.requests.length = 0;
});

const client = () => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "x", maxRetries: 0 });
const anthropic = () => new Anthropic({ baseURL: gw.url, apiKey: "x", maxRetries: 0 });
const user = [{ role: "user" as const, content: "Tell me about gateways." }];

/** What every continued run must show: the whole text, the seam where the cut was, and a log naming both. */
async function expectContinued(text: string, interference: unknown, first: string, second: string) {
  const delivered = PIECES.slice(0, cutAt).join("");
  expect(text).toBe(FULL);
  const seam = characterCount(delivered);
  expect(interference).toEqual({ providers: [first, second], seams: [seam] });
  // The second provider was given exactly what the client had (trailing whitespace held back, see Seam).
  const asked = finisher.requests.at(-1)!.body.messages as Array<{ role: string; content: unknown }>;
  const prefill = asked.findLast((m) => m.role === "assistant")!;
  expect(textOf(prefill.content)).toBe(delivered.trimEnd());
  await expect.poll(() => rows.length).toBeGreaterThan(0);
  if (rows.length > 1) console.log(JSON.stringify(rows, null, 1).slice(0, 3000));
  expect(rows.length).toBe(1);
  const row = rows[0]!;
  expect(row.status).toBe(200);
  expect(row.routing?.continued).toEqual({ providers: [first, second], seams: [seam] });
  const cut = row.attempts.find((a) => a.provider === first)!;
  expect(cut.outcome).toBe("failed");
  expect(cut.reason).toContain(`continued by ${second} at character ${seam}`);
  expect(row.attempts.at(-1)).toMatchObject({ provider: second, outcome: "served" });
  // Usage and cost add both parts: the cut part estimated (four characters a token), the second as reported.
  const firstOut = Math.ceil(delivered.length / 4);
  expect(row.completionTokens).toBe(firstOut + 9);
  const firstIn = row.promptTokens! - 50;
  expect(firstIn).toBeGreaterThan(0);
  const cost = (firstIn * PRICES.first.input + firstOut * PRICES.first.output + 50 * PRICES.second.input + 9 * PRICES.second.output) / 1e6;
  expect(row.cost).toBeCloseTo(cost, 9);
  expect(row.costEstimated).toBe(true);
}

/**
 * 50 runs, each cut at a seeded random piece (`cutAt`), alternating the first provider (native, translated) and,
 * every other pair, the second; the log is cleared before each.
 */
function* runs(seed: number, firsts: [string, string], seconds: [string, string]): Generator<{ first: string; second: string }> {
  const rand = random(seed);
  for (let run = 0; run < 50; run++) {
    cutAt = 1 + Math.floor(rand() * (PIECES.length - 1));
    rows.length = 0;
    yield { first: firsts[run % 2]!, second: seconds[run % 4 < 2 ? 0 : 1]! };
  }
}

describe("a stream cut at a random point is continued by the next provider, 50 runs per API", () => {
  it("Chat Completions (openai SDK): native and translated first providers, prefill second", async () => {
    for (const { first, second } of runs(1, ["cut-oa", "cut-an"], ["fin-an", "fin-oa"])) {
      const stream = await client().chat.completions.create({
        model: "m",
        messages: user,
        stream: true,
        stream_options: { include_usage: true },
        provider: `${first} ${second}`,
        stream_recovery: "continue",
      } as never);
      let text = "";
      let interference: unknown;
      let usage: any;
      for await (const chunk of stream as unknown as AsyncIterable<any>) {
        conforms("CreateChatCompletionStreamResponse", chunk);
        text += chunk.choices[0]?.delta?.content ?? "";
        if (chunk.choices[0]?.finish_reason) interference = chunk.interference;
        if (chunk.usage) usage = chunk;
      }
      await expectContinued(text, interference, first, second);
      // The client's usage is the whole answer's, with its cost, on the last chunk that names the seam too.
      expect(usage.usage).toMatchObject({ prompt_tokens: rows[0]!.promptTokens, completion_tokens: rows[0]!.completionTokens, cost: rows[0]!.cost });
      expect(usage.interference).toEqual(interference);
    }
  }, 20_000);

  it("Responses (openai SDK): native and translated first providers; the stored response is the whole answer", async () => {
    for (const { first, second } of runs(2, ["cut-resp", "cut-an"], ["fin-oa", "fin-an"])) {
      const stream = await client().responses.create({
        model: "m",
        input: "Tell me about gateways.",
        stream: true,
        provider: `${first} ${second}`,
        stream_recovery: "continue",
      } as never);
      let text = "";
      let completed: any;
      let sequence = -1;
      const itemIds = new Set<string>();
      for await (const event of stream as unknown as AsyncIterable<any>) {
        conformsEvent(event);
        expect(event.sequence_number).toBe(sequence + 1);
        sequence = event.sequence_number;
        if (event.type === "response.output_text.delta") {
          text += event.delta;
          itemIds.add(event.item_id);
        }
        if (event.type === "response.completed") completed = event.response;
      }
      // One message item from start to end: the continuation went on in the same item.
      expect(itemIds.size).toBe(1);
      expect(completed.output).toHaveLength(1);
      expect(completed.output[0].content[0].text).toBe(FULL);
      await expectContinued(text, completed.interference, first, second);
      const stored = await client().responses.retrieve(completed.id);
      expect((stored as any).output_text ?? textOf((stored.output[0] as any).content)).toBe(FULL);
    }
  }, 20_000);

  it("Messages (anthropic SDK): native and translated first providers", async () => {
    for (const { first, second } of runs(3, ["cut-an", "cut-oa"], ["fin-an", "fin-oa"])) {
      const stream = anthropic().messages.stream({
        model: "m",
        max_tokens: 500,
        messages: user,
        provider: `${first} ${second}`,
        stream_recovery: "continue",
      } as never);
      let interference: unknown;
      let text = "";
      for await (const event of stream as unknown as AsyncIterable<any>) {
        conformsAnthropicEvent(event);
        if (event.type === "content_block_delta") {
          expect(event.index).toBe(0);
          text += event.delta.text;
        }
        if (event.type === "message_delta") interference = event.interference;
      }
      const message = await stream.finalMessage();
      expect(message.content).toHaveLength(1);
      expect(textOf(message.content)).toBe(FULL);
      await expectContinued(text, interference, first, second);
      expect(message.usage.output_tokens).toBe(rows[0]!.completionTokens);
    }
  }, 20_000);
});

describe("when an answer is continued, and when it is not", () => {
  const chat = async (provider: string, extra: Record<string, unknown> = {}, options: { tools?: boolean } = {}) => {
    const stream = await client().chat.completions.create({
      model: "m",
      messages: user,
      stream: true,
      provider,
      ...(options.tools ? { tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object" } } }] } : {}),
      ...extra,
    } as never);
    let text = "";
    let last: any;
    let error: unknown = null;
    try {
      for await (const chunk of stream as unknown as AsyncIterable<any>) {
        text += chunk.choices[0]?.delta?.content ?? "";
        if (chunk.choices[0]?.finish_reason) last = chunk;
      }
    } catch (err) {
      error = err;
    }
    await expect.poll(() => rows.length).toBe(1);
    return { text, last, error, row: rows[0]! };
  };

  it("by instruction, where the provider takes no prefill: the answer so far, then the instruction", async () => {
    cutAt = 9;
    const { text, last, row } = await chat("cut-oa fin-say", { stream_recovery: "continue" });
    expect(text).toBe(FULL);
    expect(last.interference).toEqual({ providers: ["cut-oa", "fin-say"], seams: [characterCount(PIECES.slice(0, 9).join(""))] });
    const asked = finisher.requests.at(-1)!.body.messages;
    expect(asked.at(-1)).toEqual({ role: "user", content: CONTINUE_INSTRUCTION });
    expect(asked.at(-2)).toEqual({ role: "assistant", content: PIECES.slice(0, 9).join("").trimEnd() });
    expect(row.attempts.at(-1)).toMatchObject({ provider: "fin-say", outcome: "served", chosen: expect.stringContaining("(instruction)") });
  });

  it("is off unless asked for: the stream ends with the in-band error, as before", async () => {
    cutAt = 5;
    const { text, error, row } = await chat("cut-oa fin-an");
    expect(text).toBe(PIECES.slice(0, 5).join(""));
    expect(String(error)).toMatch(/failed mid-stream/);
    expect(row.status).toBe(502);
    expect(row.routing?.continued).toBeUndefined();
    expect(finisher.requests.length).toBe(0);
  });

  it("is on for a provider whose config sets stream_recovery: continue, and a request's 'off' wins over it", async () => {
    cutAt = 4;
    const on = await chat("cut-auto fin-an");
    expect(on.text).toBe(FULL);
    expect(on.row.routing?.continued?.providers).toEqual(["cut-auto", "fin-an"]);
    rows.length = 0;
    const off = await chat("cut-auto fin-an", { stream_recovery: "off" });
    expect(off.text).toBe(PIECES.slice(0, 4).join(""));
    expect(off.row.status).toBe(502);
  });

  it("fails over among the continuing providers before their first token, and ends in-band when none can", async () => {
    cutAt = 6;
    // fin-an refuses (an unknown model at the finisher), fin-oa continues.
    finisher.handle((req, res, body) =>
      req.url!.endsWith("/messages")
        ? sendJson(res, 529, { type: "error", error: { type: "overloaded_error", message: "busy" } })
        : finish(res, req.url!, body),
    );
    try {
      const { text, last, row } = await chat("cut-oa fin-an fin-oa", { stream_recovery: "continue" });
      expect(text).toBe(FULL);
      expect(last.interference.providers).toEqual(["cut-oa", "fin-oa"]);
      expect(row.attempts.map((a) => `${a.provider}:${a.outcome}`)).toEqual(["cut-oa:failed", "fin-an:failed", "fin-an:failed", "fin-oa:served"]);
      rows.length = 0;
      finisher.handle((_req, res) => sendJson(res, 500, { error: { message: "down", type: "server_error" } }));
      const none = await chat("cut-oa fin-oa", { stream_recovery: "continue" });
      expect(none.text).toBe(PIECES.slice(0, 6).join(""));
      expect(String(none.error)).toMatch(/failed mid-stream/);
      expect(none.row.status).toBe(502);
      expect(none.row.attempts[0]!.reason).toMatch(/not continued: no provider could continue it/);
    } finally {
      finisher.handle((req, res, body) => finish(res, req.url!, body));
    }
  });

  it("does not continue a half-sent tool call: the in-band error, and the log says why", async () => {
    cutter.handle((_req, res) =>
      sendSse(
        res,
        [
          { data: chatChunk({ role: "assistant", content: "" }) },
          { data: chatChunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "lookup", arguments: "" } }] }) },
          { data: chatChunk({ tool_calls: [{ index: 0, function: { arguments: '{"q":' } }] }) },
          { data: "[DONE]" },
        ],
        { cutAfter: 3 },
      ),
    );
    try {
      const { error, row } = await chat("cut-oa fin-oa", { stream_recovery: "continue" }, { tools: true });
      expect(String(error)).toMatch(/failed mid-stream/);
      expect(row.attempts[0]!.reason).toMatch(/not continued: a tool call/);
      expect(finisher.requests.length).toBe(0);
    } finally {
      cutter.handle(cutAnswer);
    }
  });

  it("an answer cut after its finish (only the end was lost) is ended, not continued", async () => {
    cutter.handle((_req, res) => {
      const events = [{ data: chatChunk({ role: "assistant", content: "" }) }, { data: chatChunk({ content: "Done." }) }, { data: chatChunk({}, "stop") }];
      return sendSse(res, [...events, { data: "[DONE]" }], { cutAfter: 3 });
    });
    try {
      const { text, error, row } = await chat("cut-oa fin-oa", { stream_recovery: "continue" });
      expect(error).toBeNull();
      expect(text).toBe("Done.");
      expect(row.status).toBe(200);
      expect(finisher.requests.length).toBe(0);
    } finally {
      cutter.handle(cutAnswer);
    }
  });

  it("refuses a stream_recovery it does not know, naming the field", async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: user, stream_recovery: "retry" }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { param: "stream_recovery", code: "invalid_value" } });
  });
});
