/**
 * Anthropic- and Gemini-shaped fake upstreams (replaying recorded real responses) behind the real built server,
 * driven by the official openai SDK: one client, three provider families, failover across them.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import OpenAI from "openai";
import { startFakeServer, sendJson, sendSse, fixture, fixtureChunks, type FakeServer } from "@interference/core/test-support";
import { startServer, writeConfig, type RunningServer } from "./support/server";

let claude: FakeServer, gemini: FakeServer, server: RunningServer, client: OpenAI;
const healthyClaude = () =>
  claude.handle((_q, res, body) =>
    body.stream
      ? sendSse(
          res,
          fixtureChunks("anthropic/anthropic-text.chunks.txt").map((data) => ({ event: JSON.parse(data).type, data })),
        )
      : sendJson(res, 200, JSON.parse(fixture("anthropic/anthropic-text.json"))),
  );

beforeAll(async () => {
  claude = await startFakeServer(() => undefined);
  healthyClaude();
  gemini = await startFakeServer((_q, res, body) =>
    typeof body === "object" && _q.url!.includes("stream")
      ? sendSse(
          res,
          fixtureChunks("gemini/google-text.chunks.txt").map((data) => ({ data })),
        )
      : sendJson(res, 200, JSON.parse(fixture("gemini/google-text.json"))),
  );
  const config = writeConfig(`
providers:
  - { id: claude, type: anthropic, base_url: "${claude.url}/v1", api_key: sk-ant-secret, models: [smart] }
  - { id: gem, type: gemini, base_url: "${gemini.url}/v1beta", api_key: g-secret, models: [{ id: smart, upstream: gemini-3-pro-preview }] }
`);
  server = await startServer({ config });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 });
});
afterAll(async () => {
  await server?.stop();
  await claude?.close();
  await gemini?.close();
});

const ask = (provider: string) =>
  client.chat.completions.create({ model: "smart", messages: [{ role: "user", content: "Hi" }], provider } as OpenAI.ChatCompletionCreateParamsNonStreaming);

it("serves from Anthropic and from Gemini in OpenAI's shape", async () => {
  const a = await ask("claude");
  expect(a.choices[0]!.message.content).toMatch(/^Hello! I'm doing well/);
  expect(a.usage?.total_tokens).toBe(41);
  const g = await ask("gem");
  expect(g.choices[0]!.message.content).toMatch(/3\*\* r's/);
  expect(gemini.requests.at(-1)!.path).toBe("/v1beta/models/gemini-3-pro-preview:generateContent");
});

it("streams from both through the SDK", async () => {
  for (const provider of ["claude", "gem"]) {
    const stream = await client.chat.completions.create({
      model: "smart",
      messages: [{ role: "user", content: "Hi" }],
      stream: true,
      provider,
    } as OpenAI.ChatCompletionCreateParamsStreaming);
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text.length).toBeGreaterThan(20);
  }
});

it("fails over from Anthropic to Gemini", async () => {
  claude.handle((_q, res) => sendJson(res, 529, { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }));
  try {
    const res = await ask("claude gem");
    expect((res as unknown as { provider: string }).provider).toBe("gem");
  } finally {
    healthyClaude();
  }
});
