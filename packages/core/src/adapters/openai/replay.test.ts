/** Real recorded OpenAI (and Azure) responses, served byte for byte by a fake upstream, through the gateway. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeServer, sendJson, sendSse, fixture, fixtureChunks, type FakeServer } from "../../test-support/fake-server.js";
import { startTestGateway, type TestGateway } from "../../test-support/gateway.js";

let upstream: FakeServer, gw: TestGateway;
beforeAll(async () => {
  upstream = await startFakeServer(() => undefined);
  gw = await startTestGateway(`providers:\n  - { id: oai, type: openai, base_url: "${upstream.url}/v1", models: ["*"] }\n`);
});
afterAll(async () => {
  await gw.close();
  await upstream.close();
});

const chat = (body: Record<string, unknown>) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4.1-nano", messages: [{ role: "user", content: "Invent a holiday" }], ...body }),
  });
const sse = (file: string) => [...fixtureChunks(`openai/${file}`).map((data) => ({ data })), { data: "[DONE]" }];
const parseSse = (text: string): any[] =>
  text
    .split("\n\n")
    .filter((e) => e.startsWith("data: ") && e !== "data: [DONE]")
    .map((e) => JSON.parse(e.slice(6)));

describe("openai replay", () => {
  it("passes a real completion through, adding only the provider", async () => {
    const recorded = JSON.parse(fixture("openai/openai-text.json"));
    upstream.handle((_q, res) => sendJson(res, 200, recorded));
    const body: any = await (await chat({})).json();
    expect(body).toEqual({ ...recorded, provider: "oai" });
  });

  it("streams a real stream: text joins up, usage only when asked", async () => {
    upstream.handle((_q, res) => sendSse(res, sse("openai-text.chunks.txt")));
    const withUsage = parseSse(await (await chat({ stream: true, stream_options: { include_usage: true } })).text());
    const expected = fixtureChunks("openai/openai-text.chunks.txt")
      .map((l) => JSON.parse(l).choices[0]?.delta?.content ?? "")
      .join("");
    expect(withUsage.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe(expected);
    expect(upstream.requests.at(-1)!.body.stream_options).toEqual({ include_usage: true });
    upstream.handle((_q, res) => sendSse(res, sse("openai-text.chunks.txt")));
    const without = await (await chat({ stream: true })).text();
    expect(without).not.toContain('"usage"');
  });

  it("drops Azure's choice-less prompt-filter chunk and keeps the rest", async () => {
    upstream.handle((_q, res) => sendSse(res, sse("azure-model-router.1.chunks.txt")));
    const chunks = parseSse(await (await chat({ stream: true })).text());
    expect(chunks.every((c) => c.object === "chat.completion.chunk" && c.choices.length === 1)).toBe(true);
    expect(chunks.map((c) => c.choices[0].delta.content ?? "").join("")).toMatch(/^Capital/);
  });
});
