/**
 * POST /v1/messages and /v1/messages/count_tokens with the official `@anthropic-ai/sdk`, unmodified but for the
 * base URL: against an Anthropic-shaped upstream (native passthrough), and OpenAI- and Gemini-shaped ones
 * (translated). Plain, streamed, tools, count_tokens, Anthropic's error shape, and Claude Code's traffic pattern.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayError } from "../errors.js";
import { sendJson, sendSse, type FakeServer } from "../test-support/fake-server.js";
import { scriptedAnthropic, scriptedOpenAI, startScriptedAnthropic, startScriptedGemini, startScriptedOpenAI } from "../test-support/scripted-providers.js";
import { startTestGateway, type TestGateway } from "../test-support/gateway.js";

let oa: FakeServer, an: FakeServer, ge: FakeServer, gw: TestGateway;

beforeAll(async () => {
  oa = await startScriptedOpenAI("OA");
  an = await startScriptedAnthropic("AN");
  ge = await startScriptedGemini("GE");
  gw = await startTestGateway(
    `providers:
  - { id: an, type: anthropic, base_url: "${an.url}/v1", api_key: sk-ant-provider, models: [{ id: claude, upstream: claude-up }] }
  - { id: oa, type: openai, base_url: "${oa.url}/v1", api_key: sk-oa-provider, models: [claude] }
  - { id: ge, type: gemini, base_url: "${ge.url}/v1beta", api_key: g-provider, models: [claude] }
`,
    {
      // As the database's authenticator: a Bearer token or x-api-key (what Anthropic's SDK sends).
      authenticate: async (headers) => {
        const key = /^Bearer (.+)$/.exec(headers.authorization ?? "")?.[1] ?? headers["x-api-key"];
        if (key !== "gw-key") throw new GatewayError(401, "authentication_error", "invalid_api_key", "Invalid API key.");
        return { keyId: "k1" };
      },
    },
  );
});
afterAll(async () => {
  await gw.close();
  await Promise.all([oa.close(), an.close(), ge.close()]);
});

const client = (provider: string, key = "gw-key") =>
  new Anthropic({ baseURL: gw.url, apiKey: key, defaultHeaders: { "x-interference-provider": provider }, maxRetries: 0 });

const readFile = {
  name: "read_file",
  description: "Reads a file",
  input_schema: { type: "object" as const, properties: { q: { type: "string" } }, required: ["q"] },
};

describe.each(["an", "oa", "ge"])("POST /v1/messages served by %s", (provider) => {
  const tag = provider.toUpperCase();

  it("answers a plain request in Anthropic's message shape", async () => {
    const msg = await client(provider).messages.create({
      model: "claude",
      max_tokens: 100,
      system: "be brief",
      messages: [{ role: "user", content: "hello" }],
    });
    expect(msg).toMatchObject({ type: "message", role: "assistant", stop_reason: "end_turn" });
    expect(msg.content).toEqual([{ type: "text", text: `${tag} heard: system:be brief | user:hello` }]);
    expect(msg.usage.output_tokens).toBe(7);
    expect(msg.usage.input_tokens).toBe(11);
    expect((msg as any).provider).toBe(provider);
  });

  it("streams Anthropic's event sequence; the SDK's stream helper assembles the message", async () => {
    const stream = client(provider).messages.stream({ model: "claude", max_tokens: 100, messages: [{ role: "user", content: "stream" }] });
    const types: string[] = [];
    let text = "";
    stream.on("text", (t) => (text += t));
    for await (const e of stream) types.push(e.type);
    const final = await stream.finalMessage();
    expect(text).toBe(`${tag} heard: user:stream`);
    expect(final.content).toEqual([{ type: "text", text }]);
    expect(final.stop_reason).toBe("end_turn");
    expect(final.usage.output_tokens).toBe(7);
    const distinct = types.filter((t, i) => t !== types[i - 1]);
    expect(distinct.filter((t) => t !== "ping")).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
  });

  it("streams tool use and takes the tool_result back", async () => {
    const c = client(provider);
    const stream = c.messages.stream({ model: "claude", max_tokens: 100, tools: [readFile], messages: [{ role: "user", content: "open a.txt" }] });
    let partial = "";
    stream.on("inputJson", (delta) => (partial += delta));
    const first = await stream.finalMessage();
    const use = first.content.find((b) => b.type === "tool_use")!;
    expect(first.stop_reason).toBe("tool_use");
    expect(use).toMatchObject({ type: "tool_use", name: "read_file", input: { q: "open a.txt" } });
    expect(partial).toBe('{"q":"open a.txt"}');
    const second = await c.messages.create({
      model: "claude",
      max_tokens: 100,
      tools: [readFile],
      messages: [
        { role: "user", content: "open a.txt" },
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "file body" }] },
      ],
    });
    expect(second.content[0]).toMatchObject({ type: "text", text: expect.stringMatching(/tool:.*file body/) });
  });

  it("counts tokens: Anthropic's own count natively, an estimate elsewhere", async () => {
    const res = await client(provider).messages.countTokens({ model: "claude", system: "x".repeat(400), messages: [{ role: "user", content: "hi" }] });
    if (provider === "an") expect(res.input_tokens).toBe(1234);
    else expect(res.input_tokens).toBe(100 + 1 + 4);
  });
});

describe("Messages: passthrough, errors, Claude Code", () => {
  it("passes the request to an Anthropic provider untranslated, but for the model id and credentials", async () => {
    const before = an.requests.length;
    await client("an").messages.create(
      {
        model: "claude",
        max_tokens: 50,
        system: [{ type: "text", text: "sys", cache_control: { type: "ephemeral" } }],
        thinking: { type: "enabled", budget_tokens: 1024 },
        messages: [{ role: "user", content: [{ type: "text", text: "hi", cache_control: { type: "ephemeral" } }] }],
        future_field: { kept: true },
      } as any,
      { headers: { "anthropic-beta": "prompt-caching-2024-07-31" } },
    );
    const sent = an.requests[before]!;
    expect(sent.path).toBe("/v1/messages");
    expect(sent.body).toEqual({
      model: "claude-up",
      max_tokens: 50,
      system: [{ type: "text", text: "sys", cache_control: { type: "ephemeral" } }],
      thinking: { type: "enabled", budget_tokens: 1024 },
      messages: [{ role: "user", content: [{ type: "text", text: "hi", cache_control: { type: "ephemeral" } }] }],
      future_field: { kept: true },
      stream: false,
    });
    expect(sent.headers["x-api-key"]).toBe("sk-ant-provider");
    expect(sent.headers["anthropic-beta"]).toBe("prompt-caching-2024-07-31");
    expect(sent.headers["anthropic-version"]).toMatch(/^\d{4}-\d{2}-\d{2}$/); // the SDK's own version, passed on
    expect(sent.headers.authorization).toBeUndefined();
  });

  it("answers errors in Anthropic's shape, with the status the SDK maps", async () => {
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "gw-key" },
      body: JSON.stringify({ model: "claude", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body).toEqual({
      type: "error",
      error: { type: "invalid_request_error", message: expect.stringContaining("max_tokens") },
      request_id: expect.any(String),
    });
    expect(res.headers.get("request-id")).toBe(body.request_id);

    await expect(client("an", "wrong").messages.create({ model: "claude", max_tokens: 5, messages: [{ role: "user", content: "x" }] })).rejects.toBeInstanceOf(
      Anthropic.AuthenticationError,
    );
    // A model nobody serves is Anthropic's own 404, so the SDK raises its NotFoundError.
    const unknownModel = client("an").messages.create({ model: "nope", max_tokens: 5, messages: [{ role: "user", content: "x" }] });
    await expect(unknownModel).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    await expect(unknownModel).rejects.toMatchObject({ status: 404, error: { type: "error", error: { type: "not_found_error" } } });
    const get = await fetch(`${gw.url}/v1/messages`, { headers: { "x-api-key": "gw-key" } });
    expect(get.status).toBe(405);
    expect(((await get.json()) as any).type).toBe("error");
    // A Messages path with no provider in it (a base URL of /api, a client that resolved "/api/./messages") is
    // unknown, and said so in Anthropic's shape.
    const unknown = await fetch(`${gw.url}/api/messages`, { method: "POST", headers: { "x-api-key": "gw-key" }, body: "{}" });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ type: "error", error: { type: "not_found_error" } });
  });

  it("passes top_k and stop sequences to a Gemini provider as its own topK and stopSequences", async () => {
    // The SDK's types no longer list top_k (Anthropic's newest models refuse it); the API and clients still send it.
    const body = { model: "claude", max_tokens: 20, top_k: 40, stop_sequences: ["END"], messages: [{ role: "user", content: "x" }] };
    await client("ge").messages.create(body as Anthropic.MessageCreateParamsNonStreaming);
    expect(ge.requests.at(-1)!.body.generationConfig).toMatchObject({ topK: 40, stopSequences: ["END"], maxOutputTokens: 20 });
  });

  it("gives thinking to a Gemini provider as its thinking budget, and its thoughts back as a thinking block", async () => {
    const m = await client("ge").messages.create({
      model: "claude",
      max_tokens: 3000,
      thinking: { type: "enabled", budget_tokens: 2048 },
      messages: [{ role: "user", content: "think first" }],
    });
    expect(ge.requests.at(-1)!.body.generationConfig).toMatchObject({ thinkingConfig: { thinkingBudget: 2048, includeThoughts: true } });
    expect(m.content[0]).toMatchObject({ type: "thinking", thinking: "pondering deeply" });
    expect(m.content[1]).toMatchObject({ type: "text" });
  });

  it("answers thinking requests on an OpenAI-compatible provider without it (no reasoning_effort it may refuse)", async () => {
    const m = await client("oa").messages.create({
      model: "claude",
      max_tokens: 3000,
      thinking: { type: "enabled", budget_tokens: 2048 },
      messages: [{ role: "user", content: "think first" }],
    });
    expect(oa.requests.at(-1)!.body).not.toHaveProperty("reasoning_effort");
    expect(m.content).toMatchObject([{ type: "text", text: "OA heard: user:think first" }]);
  });

  it("refuses a server tool on a translating provider, by name; a native one takes it", async () => {
    const req = {
      model: "claude",
      max_tokens: 50,
      tools: [{ type: "web_search_20250305", name: "web_search" }],
      messages: [{ role: "user" as const, content: "search" }],
    };
    await expect(client("oa").messages.create(req as any)).rejects.toMatchObject({
      status: 400,
      error: { error: { message: expect.stringContaining("web_search_20250305") } },
    });
    expect((await client("an").messages.create(req as any)).type).toBe("message");
  });

  it("fails over from a broken Anthropic provider to a translated one before any content", async () => {
    an.handle((_req, res) => sendJson(res, 529, { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }));
    try {
      const c = new Anthropic({ baseURL: gw.url, apiKey: "gw-key", defaultHeaders: { "x-interference-provider": "an oa" }, maxRetries: 0 });
      const stream = c.messages.stream({ model: "claude", max_tokens: 100, messages: [{ role: "user", content: "hi" }] });
      const final = await stream.finalMessage();
      expect(final.content).toEqual([{ type: "text", text: "OA heard: user:hi" }]);
      const plain = await c.messages.create({ model: "claude", max_tokens: 100, messages: [{ role: "user", content: "hi" }] });
      expect((plain as any).provider).toBe("oa");
    } finally {
      an.handle(scriptedAnthropic("AN"));
    }
  });

  it("ends a stream broken after content with Anthropic's error event", async () => {
    oa.handle((_req, res) =>
      sendSse(
        res,
        [
          {
            data: JSON.stringify({
              id: "x",
              object: "chat.completion.chunk",
              created: 1,
              model: "m",
              choices: [{ index: 0, delta: { content: "partial" }, finish_reason: null }],
            }),
          },
          { data: "never sent" },
        ],
        { cutAfter: 1 },
      ),
    );
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "gw-key", "x-interference-provider": "oa" },
      body: JSON.stringify({ model: "claude", max_tokens: 10, stream: true, messages: [{ role: "user", content: "hi" }] }),
    });
    const text = await res.text();
    expect(text).toContain('"text_delta","text":"partial"');
    expect(text).toMatch(/event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"Provider oa failed mid-stream/);
    expect(text).not.toContain("message_stop");
    oa.handle(scriptedOpenAI("OA"));
  });

  it.each(["an", "oa"])("serves Claude Code's traffic pattern through %s", async (provider) => {
    // Claude Code: a long system prompt in cached blocks, dozens of tools, metadata.user_id, beta headers, a
    // count_tokens call, then streamed tool use and the tool result sent back.
    const c = new Anthropic({
      baseURL: gw.url,
      apiKey: "gw-key",
      maxRetries: 0,
      defaultHeaders: { "x-interference-provider": provider, "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14", "x-app": "cli" },
    });
    const system = [
      { type: "text" as const, text: "You are Claude Code, Anthropic's official CLI for Claude." },
      { type: "text" as const, text: "Instructions ".repeat(2000), cache_control: { type: "ephemeral" as const } },
    ];
    const tools = [readFile, ...Array.from({ length: 30 }, (_, i) => ({ ...readFile, name: `tool_${i}`, description: `Tool number ${i} `.repeat(20) }))];
    const messages: Anthropic.MessageParam[] = [
      { role: "user", content: [{ type: "text", text: "fix the bug in a.ts", cache_control: { type: "ephemeral" } }] },
    ];
    const count = await c.messages.countTokens({ model: "claude", system, tools, messages });
    expect(count.input_tokens).toBeGreaterThan(provider === "an" ? 1000 : 6000);
    const stream = c.messages.stream({ model: "claude", max_tokens: 32000, system, tools, messages, metadata: { user_id: "user_abc" }, temperature: 1 });
    const first = await stream.finalMessage();
    const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === "tool_use")!;
    expect(use.name).toBe("read_file");
    messages.push(
      { role: "assistant", content: first.content },
      { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "const a = 1;" }] },
    );
    const second = await c.messages.stream({ model: "claude", max_tokens: 32000, system, tools, messages }).finalMessage();
    expect(second.stop_reason).toBe("end_turn");
    expect(second.content[0]).toMatchObject({ type: "text", text: expect.stringContaining("const a = 1;") });
  });
});
