/** Real recorded Gemini responses, served byte for byte by a fake upstream, through the whole gateway. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeServer, sendJson, sendSse, fixture, fixtureChunks, openaiCompletion, type FakeServer } from "../../test-support/fake-server.js";
import { startTestGateway, type TestGateway } from "../../test-support/gateway.js";
import OpenAI from "openai";
import { SKIP_SIGNATURE } from "./to-request.js";

const events = (file: string) => fixtureChunks(`gemini/${file}`).map((data) => ({ data }));

let upstream: FakeServer, backup: FakeServer, gw: TestGateway;
beforeAll(async () => {
  upstream = await startFakeServer(() => undefined);
  backup = await startFakeServer((_q, res) => sendJson(res, 200, openaiCompletion("from backup")));
  gw = await startTestGateway(`providers:
  - { id: gem, type: gemini, base_url: "${upstream.url}/v1beta", api_key: g-key, models: [gemini-3-pro-preview, gemini-3-flash-preview] }
  - { id: backup, type: openai, base_url: "${backup.url}/v1", models: [gemini-3-pro-preview] }
`);
});
afterAll(async () => {
  await gw.close();
  await upstream.close();
  await backup.close();
});

const chat = (body: Record<string, unknown>) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "gemini-3-pro-preview", provider: "gem", messages: [{ role: "user", content: "How many r's in strawberry?" }], ...body }),
  });
const parseSse = (text: string): any[] =>
  text
    .split("\n\n")
    .filter((e) => e.startsWith("data: ") && e !== "data: [DONE]")
    .map((e) => JSON.parse(e.slice(6)));

/** Tool calls as an OpenAI client assembles them: the first delta of an index names the call, later ones add arguments. */
function assembledCalls(chunks: any[]): Array<{ index: number; id: string; name: string; arguments: string }> {
  const calls = new Map<number, { index: number; id: string; name: string; arguments: string }>();
  for (const delta of chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? [])) {
    const call = calls.get(delta.index) ?? { index: delta.index, id: delta.id, name: delta.function?.name, arguments: "" };
    call.arguments += delta.function?.arguments ?? "";
    calls.set(delta.index, call);
  }
  return [...calls.values()];
}

describe("gemini replay", () => {
  it("translates a text response with usage (thinking tokens count as output)", async () => {
    upstream.handle((_q, res) => sendJson(res, 200, JSON.parse(fixture("gemini/google-text.json"))));
    const body: any = await (await chat({ temperature: 0.5 })).json();
    expect(body.choices[0].message.content).toMatch(/There are \*\*3\*\* r's in strawberry/);
    expect(body.choices[0].finish_reason).toBe("stop");
    expect(body.usage).toEqual({ prompt_tokens: 9, completion_tokens: 272, total_tokens: 281, completion_tokens_details: { reasoning_tokens: 244 } });
    const sent = upstream.requests.at(-1)!;
    expect(sent.path).toBe("/v1beta/models/gemini-3-pro-preview:generateContent");
    expect(sent.headers["x-goog-api-key"]).toBe("g-key");
    expect(sent.body.generationConfig).toEqual({ temperature: 0.5 });
  });

  it("turns a function call into tool_calls", async () => {
    upstream.handle((_q, res) => sendJson(res, 200, JSON.parse(fixture("gemini/google-tool-call.json"))));
    const body: any = await (await chat({})).json();
    const call = body.choices[0].message.tool_calls[0];
    expect(call.function).toEqual({ name: "weather", arguments: '{"location":"San Francisco"}' });
    expect(call.id).toMatch(/^call_/);
    expect(body.choices[0].finish_reason).toBe("tool_calls");
  });

  it("streams text to chunks that join to the whole answer", async () => {
    upstream.handle((_q, res) => sendSse(res, events("google-text.chunks.txt")));
    const res = await chat({ stream: true, stream_options: { include_usage: true } });
    const chunks = parseSse(await res.text());
    expect(upstream.requests.at(-1)!.path).toBe("/v1beta/models/gemini-3-pro-preview:streamGenerateContent?alt=sse");
    const whole = fixtureChunks("gemini/google-text.chunks.txt")
      .flatMap((l) => JSON.parse(l).candidates[0].content.parts)
      .map((p: { text?: string }) => p.text ?? "")
      .join("");
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe(whole);
    expect(chunks.at(-2).choices[0].finish_reason).toBe("stop");
    expect(chunks.at(-1).usage.prompt_tokens).toBe(9);
  });

  it("assembles streamed function calls (partialArgs) into whole tool calls, thoughts left out", async () => {
    upstream.handle((_q, res) => sendSse(res, events("google-stream-no-args-tool-call.chunks.txt")));
    const chunks = parseSse(await (await chat({ model: "gemini-3-flash-preview", stream: true })).text());
    expect(assembledCalls(chunks).map((c) => [c.index, c.name, c.arguments])).toEqual([
      [0, "read_theme", "{}"],
      [1, "read_screen", '{"id":"A"}'],
      [2, "read_screen", '{"id":"B"}'],
      [3, "read_screen", '{"id":"C"}'],
    ]);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).not.toContain("Processing User Requests");
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe("tool_calls");
  });

  it("streams a whole function call", async () => {
    upstream.handle((_q, res) => sendSse(res, events("google-tool-call.chunks.txt")));
    const chunks = parseSse(await (await chat({ stream: true })).text());
    expect(assembledCalls(chunks)).toMatchObject([{ name: "weather", arguments: '{"location":"San Francisco"}' }]);
  });

  it("fails over on a 429 with RetryInfo, naming the wait", async () => {
    upstream.handle((_q, res) => void res.writeHead(429, { "content-type": "application/json" }).end(fixture("gemini/google-429-retry-info.json")));
    const body: any = await (await chat({ provider: "gem backup" })).json();
    expect(body.provider).toBe("backup");
    expect(body.choices[0].message.content).toBe("from backup");
  });

  it("ends a stream cut before finishReason with an in-band error", async () => {
    upstream.handle((_q, res) => sendSse(res, events("google-text.chunks.txt"), { cutAfter: 2 }));
    const text = await (await chat({ stream: true })).text();
    expect(text).toMatch(/"code":"stream_interrupted"/);
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });

  describe("Gemini 3's thought signatures in a tool loop", () => {
    const recorded = JSON.parse(fixture("gemini/google-tool-call.json"));
    const signature: string = recorded.candidates[0].content.parts[0].thoughtSignature;
    const weather = { type: "function" as const, function: { name: "weather", parameters: { type: "object", properties: { location: { type: "string" } } } } };
    const openai = () => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "none", maxRetries: 0 });
    const ask = { model: "gemini-3-pro-preview", provider: "gem", tools: [weather] } as const;
    const question = { role: "user" as const, content: "Weather in San Francisco?" };
    const lastFunctionCall = () => upstream.requests.at(-1)!.body.contents[1].parts[0];

    it("hands the signature to the client where Google's OpenAI API does, and back to Gemini with the result", async () => {
      upstream.handle((_q, res) => sendJson(res, 200, recorded));
      const first = await openai().chat.completions.create({ ...ask, messages: [question] } as never);
      const message = first.choices[0]!.message;
      expect(message.tool_calls![0]).toMatchObject({ function: { name: "weather" }, extra_content: { google: { thought_signature: signature } } });
      upstream.handle((_q, res) => sendJson(res, 200, JSON.parse(fixture("gemini/google-text.json"))));
      // The client sends the message back as it got it, as agent loops do.
      await openai().chat.completions.create({
        ...ask,
        messages: [question, message, { role: "tool", tool_call_id: message.tool_calls![0]!.id, content: '{"temp": 18}' }],
      } as never);
      expect(lastFunctionCall()).toEqual({ functionCall: { name: "weather", args: { location: "San Francisco" } }, thoughtSignature: signature });
    });

    it("streams the signature with the call's first delta", async () => {
      upstream.handle((_q, res) => sendSse(res, events("google-tool-call.chunks.txt")));
      const chunks = parseSse(await (await chat({ stream: true, tools: [weather] })).text());
      const opening = chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []).find((t: any) => t.id);
      const streamed = fixtureChunks("gemini/google-tool-call.chunks.txt")
        .flatMap((l) => JSON.parse(l).candidates?.[0]?.content?.parts ?? [])
        .find((p: any) => p.functionCall)?.thoughtSignature;
      expect(opening.extra_content).toEqual({ google: { thought_signature: streamed } });
    });

    it("puts Google's placeholder on a replayed Gemini 3 call that lost its signature, once per turn", async () => {
      upstream.handle((_q, res) => sendJson(res, 200, JSON.parse(fixture("gemini/google-text.json"))));
      const calls = [
        { id: "a", type: "function", function: { name: "weather", arguments: '{"location":"Oslo"}' } },
        { id: "b", type: "function", function: { name: "weather", arguments: '{"location":"Bergen"}' } },
      ];
      const messages = [
        question,
        { role: "assistant", content: null, tool_calls: calls },
        { role: "tool", tool_call_id: "a", content: "3" },
        { role: "tool", tool_call_id: "b", content: "5" },
      ];
      await openai().chat.completions.create({ ...ask, messages } as never);
      expect(upstream.requests.at(-1)!.body.contents[1].parts.map((p: any) => p.thoughtSignature)).toEqual([SKIP_SIGNATURE, undefined]);
    });
  });
});
