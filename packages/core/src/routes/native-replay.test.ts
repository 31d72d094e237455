/**
 * Real recorded streams (test/fixtures/recorded) replayed by fake upstreams: the native passthrough relays
 * OpenAI's Responses events and Anthropic's thinking signatures untouched, a recorded failure before any output
 * fails over, and a recorded Anthropic stream reaches a Responses client translated.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureChunks, sendJson, sendSse, startFakeServer, type FakeServer } from "../test-support/fake-server.js";
import { startScriptedOpenAI } from "../test-support/scripted-providers.js";
import { startTestGateway, type TestGateway } from "../test-support/gateway.js";

/** The recorded file holds four turns of one conversation; each ends with response.completed. */
function responsesTurns(): string[][] {
  const turns: string[][] = [[]];
  for (const line of fixtureChunks("openai-responses/openai-reasoning-encrypted-content.1.chunks.txt")) {
    turns.at(-1)!.push(line);
    if (JSON.parse(line).type === "response.completed") turns.push([]);
  }
  return turns.filter((t) => t.length);
}
const turns = responsesTurns();
const sse = (lines: string[]) => lines.map((data) => ({ event: JSON.parse(data).type as string, data }));

let native: FakeServer, anthropic: FakeServer, chat: FakeServer, gw: TestGateway;
let nextTurn = 0;

beforeAll(async () => {
  native = await startFakeServer((_req, res, body) => {
    const lines = turns[nextTurn]!;
    if (body.stream) return sendSse(res, sse(lines));
    return sendJson(res, 200, JSON.parse(lines.at(-1)!).response);
  });
  anthropic = await startFakeServer((_req, res) => sendSse(res, sse(fixtureChunks("anthropic/anthropic-clear-thinking.1.chunks.txt"))));
  chat = await startScriptedOpenAI("CHAT");
  gw = await startTestGateway(`providers:
  - { id: openai, type: openai, base_url: "${native.url}/v1", api_key: sk-openai-secret, responses_api: true, models: [gpt-5-mini] }
  - { id: chat, type: openai, base_url: "${chat.url}/v1", models: [gpt-5-mini, claude] }
  - { id: claude, type: anthropic, base_url: "${anthropic.url}/v1", api_key: sk-ant-secret, models: [claude] }
`);
});
afterAll(async () => {
  await gw.close();
  await Promise.all([native.close(), anthropic.close(), chat.close()]);
});

const openai = (provider: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "x", defaultHeaders: { "x-interference-provider": provider } });

describe("native passthrough over recorded traffic", () => {
  it("relays a recorded Responses stream (reasoning, then a function call) event for event", async () => {
    nextTurn = 0;
    const before = native.requests.length;
    const stream = openai("openai").responses.stream({
      model: "gpt-5-mini",
      input: "What is (12 + 7) * 3 * 10?",
      tools: [{ type: "function", name: "calculator", parameters: { type: "object", properties: {} }, strict: false }],
      include: ["reasoning.encrypted_content"],
      reasoning: { effort: "low", summary: "auto" },
    });
    const events: unknown[] = [];
    for await (const e of stream) events.push(e);
    expect(events).toEqual(turns[0]!.map((l) => JSON.parse(l)));
    const final = await stream.finalResponse();
    expect(final.output.map((o) => o.type)).toEqual(["reasoning", "function_call"]);
    // Untranslated: the provider saw the client's own fields (include, reasoning.summary), the model id, its key.
    const sent = native.requests[before]!;
    expect(sent.path).toBe("/v1/responses");
    expect(sent.body).toMatchObject({ include: ["reasoning.encrypted_content"], reasoning: { effort: "low", summary: "auto" }, stream: true });
    expect(sent.body.provider).toBeUndefined();
    expect(sent.headers.authorization).toBe("Bearer sk-openai-secret");

    // The stored response continues on a provider without the Responses API: its function call is a turn there.
    const call = final.output.find((o) => o.type === "function_call")!;
    const next = await openai("chat").responses.create({
      model: "gpt-5-mini",
      previous_response_id: final.id,
      input: [{ type: "function_call_output", call_id: call.call_id, output: "570" }],
    });
    expect(next.output_text).toBe(`CHAT heard: user:What is (12 + 7) * 3 * 10? | assistant:call calculator(${call.arguments}) | tool:570`);
  });

  it("passes a recorded JSON response through, named with the provider", async () => {
    nextTurn = 3;
    const r = await openai("openai").responses.create({ model: "gpt-5-mini", input: "x" });
    const recorded = JSON.parse(turns[3]!.at(-1)!).response;
    expect({ ...r, provider: undefined, output_text: undefined }).toEqual({ ...recorded, provider: undefined, output_text: undefined });
    expect((r as any).provider).toBe("openai");
    expect((await openai("openai").responses.retrieve(r.id)).id).toBe(recorded.id);
  });

  it("fails over when the recorded stream fails before any output (insufficient_quota)", async () => {
    native.handle((_req, res) => sendSse(res, sse(fixtureChunks("openai-responses/openai-error.1.chunks.txt"))));
    try {
      const stream = openai("openai chat").responses.stream({ model: "gpt-5-mini", input: "hi" });
      const final = await stream.finalResponse();
      expect(final.output_text).toBe("CHAT heard: user:hi");
      expect((final as any).provider).toBe("chat");
    } finally {
      native.handle((_req, res, body) =>
        body.stream ? sendSse(res, sse(turns[nextTurn]!)) : sendJson(res, 200, JSON.parse(turns[nextTurn]!.at(-1)!).response),
      );
    }
  });

  it("keeps a recorded Anthropic thinking signature byte for byte", async () => {
    const recorded = fixtureChunks("anthropic/anthropic-clear-thinking.1.chunks.txt").map((l) => JSON.parse(l));
    const signature = recorded.find((e) => e.delta?.type === "signature_delta").delta.signature;
    const request = {
      model: "claude",
      max_tokens: 2000,
      thinking: { type: "enabled" as const, budget_tokens: 1024 },
      messages: [{ role: "user" as const, content: "hi" }],
    };
    // The bytes: every recorded event, in order, its data line as recorded.
    const raw = await fetch(`${gw.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-interference-provider": "claude" },
      body: JSON.stringify({ ...request, stream: true }),
    });
    const dataLines = (await raw.text())
      .split("\n")
      .filter((l) => l.startsWith("data: "))
      .map((l) => l.slice(6));
    expect(dataLines).toEqual(fixtureChunks("anthropic/anthropic-clear-thinking.1.chunks.txt"));
    // And what the SDK's stream helper makes of them.
    const client = new Anthropic({ baseURL: gw.url, apiKey: "x", defaultHeaders: { "x-interference-provider": "claude" } });
    const final = await client.messages.stream(request).finalMessage();
    expect(final.content[0]).toMatchObject({ type: "thinking", signature });
  });

  it("translates a recorded Anthropic stream for a Responses client", async () => {
    const recorded = fixtureChunks("anthropic/anthropic-clear-thinking.1.chunks.txt").map((l) => JSON.parse(l));
    const text = recorded
      .filter((e) => e.delta?.type === "text_delta")
      .map((e) => e.delta.text)
      .join("");
    const stream = openai("claude").responses.stream({ model: "claude", input: "hi" });
    const final = await stream.finalResponse();
    expect(final.output_text).toBe(text);
    expect(final.usage).toMatchObject({ input_tokens: 69, output_tokens: 53 });
  });
});
