/**
 * POST /v1/completions (legacy) with the official `openai` SDK: through chat on OpenAI-, Anthropic- and
 * Gemini-shaped providers, and passed through to a provider with its own completions endpoint.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendJson, sendSse, startFakeServer, type FakeServer } from "../test-support/fake-server.js";
import { startScriptedAnthropic, startScriptedGemini, startScriptedOpenAI } from "../test-support/scripted-providers.js";
import { startTestGateway, type TestGateway } from "../test-support/gateway.js";

let oa: FakeServer, an: FakeServer, ge: FakeServer, vllm: FakeServer, gw: TestGateway;

beforeAll(async () => {
  oa = await startScriptedOpenAI("OA");
  an = await startScriptedAnthropic("AN");
  ge = await startScriptedGemini("GE");
  // A server with its own /v1/completions (vLLM, llama.cpp): echoes what it was sent.
  vllm = await startFakeServer((_req, res, body) => {
    const base = { id: "cmpl-native", object: "text_completion", created: 1, model: body.model };
    if (!body.stream) {
      return sendJson(res, 200, {
        ...base,
        choices: [{ text: `native:${JSON.stringify(body.prompt)}`, index: 0, logprobs: null, finish_reason: "length" }],
        usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
      });
    }
    return sendSse(res, [
      { data: JSON.stringify({ ...base, choices: [{ text: "nat", index: 0, logprobs: null, finish_reason: null }] }) },
      { data: JSON.stringify({ ...base, choices: [{ text: "ive", index: 0, logprobs: null, finish_reason: "stop" }] }) },
      { data: "[DONE]" },
    ]);
  });
  gw = await startTestGateway(`providers:
  - { id: oa, type: openai, base_url: "${oa.url}/v1", models: [m] }
  - { id: an, type: anthropic, base_url: "${an.url}/v1", api_key: k, models: [m] }
  - { id: ge, type: gemini, base_url: "${ge.url}/v1beta", api_key: k, models: [m] }
  - { id: vllm, type: openai, base_url: "${vllm.url}/v1", completions_api: true, models: [m] }
`);
});
afterAll(async () => {
  await gw.close();
  await Promise.all([oa.close(), an.close(), ge.close(), vllm.close()]);
});

const client = (provider: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "x", defaultHeaders: { "x-interference-provider": provider } });

describe.each(["oa", "an", "ge"])("POST /v1/completions through chat on %s", (provider) => {
  it("answers a prompt, with OpenAI's default of 16 tokens", async () => {
    const before = provider === "oa" ? oa.requests.length : 0;
    const r = await client(provider).completions.create({ model: "m", prompt: "Once upon" });
    expect(r).toMatchObject({
      object: "text_completion",
      choices: [{ index: 0, text: `${provider.toUpperCase()} heard: user:Once upon`, finish_reason: "stop" }],
    });
    expect(r.id).toMatch(/^cmpl-/);
    expect(r.usage?.total_tokens).toBe(18);
    if (provider === "oa") expect(oa.requests[before]!.body.max_tokens).toBe(16);
  });

  it("answers a list of prompts in order, and streams one", async () => {
    const r = await client(provider).completions.create({ model: "m", prompt: ["a", "b"], max_tokens: 5 });
    expect(r.choices.map((c) => [c.index, c.text.slice(-1)])).toEqual([
      [0, "a"],
      [1, "b"],
    ]);
    const stream = await client(provider).completions.create({ model: "m", prompt: "go", stream: true, stream_options: { include_usage: true } });
    let text = "";
    let usage = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? "";
      if (chunk.usage) usage = chunk.usage.total_tokens;
    }
    expect(text).toBe(`${provider.toUpperCase()} heard: user:go`);
    expect(usage).toBe(18);
  });
});

describe("POST /v1/completions: native and refusals", () => {
  it("passes through to a provider with its own completions endpoint, token prompts and echo included", async () => {
    const r = await client("vllm").completions.create({ model: "m", prompt: [1, 2, 3], echo: true, max_tokens: 2 });
    expect(r.choices[0]!.text).toBe("native:[1,2,3]");
    expect(vllm.requests.at(-1)!.body).toEqual({ model: "m", prompt: [1, 2, 3], echo: true, max_tokens: 2 });
    expect((r as any).provider).toBe("vllm");
    const stream = await client("vllm").completions.create({ model: "m", prompt: "x", stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
    expect(text).toBe("native");
  });

  it("refuses what chat cannot do, naming the parameter", async () => {
    await expect(client("oa").completions.create({ model: "m", prompt: [1, 2] })).rejects.toMatchObject({ status: 400, param: "prompt" });
    await expect(client("oa").completions.create({ model: "m", prompt: "x", echo: true })).rejects.toMatchObject({
      status: 400,
      code: "unsupported_parameter",
      param: "echo",
    });
    await expect(client("oa").completions.create({ model: "m", prompt: ["a", "b"], stream: true })).rejects.toMatchObject({ status: 400, param: "prompt" });
    // A failover list keeps the native provider for what only it can do.
    const r = await client("oa vllm").completions.create({ model: "m", prompt: "x", echo: true });
    expect((r as any).provider).toBe("vllm");
  });
});
