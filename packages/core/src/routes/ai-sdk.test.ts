/**
 * The Vercel AI SDK, unmodified but for the base URL: its default `openai(model)` speaks the Responses API and
 * `anthropic(model)` the Messages API. Text, streaming, and a tool the SDK runs itself, each through a provider of
 * another family, so every answer is a translation.
 */
import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, stepCountIs, streamText, tool } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { FakeServer } from "../test-support/fake-server.js";
import { startScriptedAnthropic, startScriptedGemini, startScriptedOpenAI } from "../test-support/scripted-providers.js";
import { startTestGateway, type TestGateway } from "../test-support/gateway.js";

let oa: FakeServer, an: FakeServer, ge: FakeServer, gw: TestGateway;
beforeAll(async () => {
  oa = await startScriptedOpenAI("OA");
  an = await startScriptedAnthropic("AN");
  ge = await startScriptedGemini("GE");
  gw = await startTestGateway(`providers:
  - { id: oa, type: openai, base_url: "${oa.url}/v1", models: ["*"] }
  - { id: an, type: anthropic, base_url: "${an.url}/v1", api_key: k, models: ["*"] }
  - { id: ge, type: gemini, base_url: "${ge.url}/v1beta", api_key: k, models: ["*"] }
`);
});
afterAll(async () => {
  await gw.close();
  await Promise.all([oa.close(), an.close(), ge.close()]);
});

const weather = tool({
  description: "Weather for a city",
  inputSchema: z.object({ q: z.string() }),
  execute: async ({ q }) => `sunny in ${q}`,
});

const models = {
  "openai (Responses API) on anthropic": () =>
    createOpenAI({ baseURL: `${gw.url}/v1`, apiKey: "x", headers: { "x-interference-provider": "an" } })("gpt-4o-mini"),
  "openai (Responses API) on gemini": () => createOpenAI({ baseURL: `${gw.url}/v1`, apiKey: "x", headers: { "x-interference-provider": "ge" } })("gpt-4o-mini"),
  "anthropic (Messages API) on openai": () =>
    createAnthropic({ baseURL: `${gw.url}/v1`, apiKey: "x", headers: { "x-interference-provider": "oa" } })("claude-sonnet-4-5"),
  "anthropic (Messages API) on gemini": () =>
    createAnthropic({ baseURL: `${gw.url}/v1`, apiKey: "x", headers: { "x-interference-provider": "ge" } })("claude-sonnet-4-5"),
};

describe.each(Object.entries(models))("the AI SDK's %s", (_name, model) => {
  it("generates and streams text", async () => {
    const { text, usage } = await generateText({ model: model(), prompt: "hello" });
    expect(text).toMatch(/heard: user:hello$/);
    expect(usage.outputTokens).toBe(7);
    const stream = streamText({ model: model(), prompt: "stream" });
    let streamed = "";
    for await (const delta of stream.textStream) streamed += delta;
    expect(streamed).toMatch(/heard: user:stream$/);
  });

  it("runs a tool loop: the call streams back, the SDK runs it, the result goes up", async () => {
    const result = streamText({ model: model(), prompt: "Paris", tools: { weather }, stopWhen: stepCountIs(3) });
    let text = "";
    for await (const delta of result.textStream) text += delta;
    const steps = await result.steps;
    expect(steps[0]!.toolCalls).toMatchObject([{ toolName: "weather", input: { q: "Paris" } }]);
    expect(text).toContain("sunny in Paris");
  });
});
