/** Real recorded Anthropic responses, served byte for byte by a fake upstream, through the whole gateway. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeServer, sendJson, sendSse, fixture, fixtureChunks, type FakeServer } from "../../test-support/fake-server.js";
import { startTestGateway, type TestGateway } from "../../test-support/gateway.js";
import { AnthropicStreamTranslator } from "./stream.js";
import { streamEventSchema } from "./wire.js";

const events = (file: string) => fixtureChunks(`anthropic/${file}`).map((data) => ({ event: JSON.parse(data).type as string, data }));

let upstream: FakeServer, gw: TestGateway;
beforeAll(async () => {
  upstream = await startFakeServer(() => undefined);
  gw = await startTestGateway(
    `providers:\n  - { id: claude, type: anthropic, base_url: "${upstream.url}/v1", api_key: sk-ant-test, models: [claude-sonnet-4-5] }\n`,
  );
});
afterAll(async () => {
  await gw.close();
  await upstream.close();
});

const chat = (body: Record<string, unknown>) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "claude-sonnet-4-5", messages: [{ role: "user", content: "Hello" }], ...body }),
  });

function parseSse(text: string): any[] {
  return text
    .split("\n\n")
    .filter((e) => e.startsWith("data: ") && e !== "data: [DONE]")
    .map((e) => JSON.parse(e.slice(6)));
}

describe("anthropic replay", () => {
  it("translates a text message, with usage, and sends Anthropic's headers", async () => {
    upstream.handle((_q, res) => sendJson(res, 200, JSON.parse(fixture("anthropic/anthropic-text.json"))));
    const body: any = await (await chat({ max_tokens: 100 })).json();
    expect(body.choices[0].message.content).toMatch(/^Hello! I'm doing well/);
    expect(body.choices[0].finish_reason).toBe("stop");
    expect(body.usage).toEqual({ prompt_tokens: 12, completion_tokens: 29, total_tokens: 41 });
    expect(body.provider).toBe("claude");
    const sent = upstream.requests.at(-1)!;
    expect(sent.path).toBe("/v1/messages");
    expect(sent.headers["x-api-key"]).toBe("sk-ant-test");
    expect(sent.headers["anthropic-version"]).toBe("2023-06-01");
    expect(sent.body).toMatchObject({ model: "claude-sonnet-4-5", max_tokens: 100, messages: [{ role: "user", content: [{ type: "text", text: "Hello" }] }] });
  });

  it("turns a tool call without arguments into tool_calls with '{}'", async () => {
    upstream.handle((_q, res) => sendJson(res, 200, JSON.parse(fixture("anthropic/anthropic-tool-no-args.json"))));
    const body: any = await (await chat({})).json();
    const msg = body.choices[0].message;
    expect(msg.tool_calls).toEqual([{ id: "toolu_01LRmxn9vGM1d2DZSDBowdZ1", type: "function", function: { name: "updateIssueList", arguments: "{}" } }]);
    expect(body.choices[0].finish_reason).toBe("tool_calls");
  });

  it("streams text, skipping pings, ending with finish, usage and [DONE]", async () => {
    upstream.handle((_q, res) => sendSse(res, events("anthropic-text.chunks.txt")));
    const text = await (await chat({ stream: true, stream_options: { include_usage: true } })).text();
    const chunks = parseSse(text);
    const content = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
    const whole = fixtureChunks("anthropic/anthropic-text.chunks.txt")
      .map((l) => JSON.parse(l))
      .filter((e) => e.type === "content_block_delta")
      .map((e) => e.delta.text)
      .join("");
    expect(content).toBe(whole);
    expect(chunks.at(-2).choices[0].finish_reason).toBe("stop");
    expect(chunks.at(-1).usage.completion_tokens).toBeGreaterThan(0);
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });

  it("streams a no-argument tool call as one tool_calls delta", async () => {
    upstream.handle((_q, res) => sendSse(res, events("anthropic-tool-no-args.chunks.txt")));
    const chunks = parseSse(await (await chat({ stream: true })).text());
    const calls = chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    expect(calls).toEqual([{ index: 0, id: "toolu_01QE1WLsSVp5hy5Q3GmGTmjP", type: "function", function: { name: "updateIssueList", arguments: "" } }]);
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe("tool_calls");
  });

  it("streams tool-call arguments in fragments that join into valid JSON", () => {
    const translator = new AnthropicStreamTranslator();
    let args = "";
    for (const line of fixtureChunks("anthropic/anthropic-json-tool.1.chunks.txt")) {
      const parsed = streamEventSchema.safeParse(JSON.parse(line));
      if (!parsed.success) continue;
      for (const part of translator.translate(parsed.data)) if (part.type === "tool_call_delta") args += part.delta;
    }
    expect(translator.done).toBe(true);
    expect(typeof JSON.parse(args)).toBe("object");
  });

  it("maps a refusal to finish_reason content_filter", async () => {
    upstream.handle((_q, res) => sendJson(res, 200, JSON.parse(fixture("anthropic/anthropic-refusal.json"))));
    const body: any = await (await chat({})).json();
    expect(body.choices[0].finish_reason).toBe("content_filter");
    expect(body.choices[0].message.content).toBe("");
  });

  it("ends a stream cut before message_stop with an in-band error", async () => {
    upstream.handle((_q, res) => sendSse(res, events("anthropic-text.chunks.txt"), { cutAfter: 4 }));
    const text = await (await chat({ stream: true })).text();
    expect(text).toMatch(/"code":"stream_interrupted"/);
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });

  it("400s parameters Anthropic does not take, naming them", async () => {
    const res = await chat({ logit_bias: { "1": 2 } });
    expect(res.status).toBe(400);
    const body: any = await res.json();
    expect(body.error).toMatchObject({ code: "unsupported_parameter", param: "logit_bias" });
  });
});
