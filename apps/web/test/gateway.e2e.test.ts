/**
 * The real built server (custom node:http + Next) against fake provider servers on 127.0.0.1, driven by the
 * official `openai` SDK and by plain HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { startFakeServer, sendJson, sendSse, openaiCompletion, openaiChunkEvents, hang, reset, type FakeServer } from "@interference/core/test-support";
import { startServer, writeConfig, type RunningServer } from "./support/server";

let a: FakeServer, b: FakeServer, server: RunningServer, client: OpenAI;
const healthyA = () =>
  a.handle((_req, res, body) =>
    body?.stream ? sendSse(res, openaiChunkEvents(["Hello", " from", " A"])) : sendJson(res, 200, openaiCompletion("Hello from A")),
  );
const healthyB = () =>
  b.handle((_req, res, body) => (body?.stream ? sendSse(res, openaiChunkEvents(["Hi", " from", " B"])) : sendJson(res, 200, openaiCompletion("Hi from B"))));

beforeAll(async () => {
  a = await startFakeServer(() => undefined);
  b = await startFakeServer(() => undefined);
  healthyA();
  healthyB();
  // These tests break provider A on purpose, over and over: its circuit breaker (tested on its own) stays out of it.
  const config = writeConfig(`
timeouts: { first_byte_ms: 800 }
circuit_breaker: { failure_threshold: 1000 }
providers:
  - id: A
    type: openai
    base_url: ${a.url}/v1
    api_key: \${TEST_A_KEY}
    models: [gpt-4o-mini, gpt-4o]
  - id: B
    type: openai
    base_url: ${b.url}/v1
    models: [gpt-4o-mini, { id: small, upstream: upstream-small }]
  - { id: Disabled, type: openai, base_url: "${b.url}/v1", models: [gpt-4o-mini], enabled: false }
`);
  server = await startServer({ config, env: { TEST_A_KEY: "sk-test-secret-key-A", MAX_BODY_BYTES: "200000" } });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 });
});

afterAll(async () => {
  await server?.stop();
  await a?.close();
  await b?.close();
});

const messages = [{ role: "user" as const, content: "Say hello" }];
// The gateway's own request fields, which the SDK passes through as extra body keys.
type Extra = { provider?: string; drop_params?: boolean };
const create = (body: OpenAI.ChatCompletionCreateParamsNonStreaming & Extra) => client.chat.completions.create(body);

describe("chat completions through the openai SDK", () => {
  it("serves with one named provider and names it", async () => {
    const { data, response } = await create({ model: "gpt-4o-mini", messages, provider: "B" }).withResponse();
    expect(data.choices[0]!.message.content).toBe("Hi from B");
    expect((data as unknown as { provider: string }).provider).toBe("B");
    expect(response.headers.get("x-interference-provider")).toBe("B");
    expect(b.requests.at(-1)!.body.provider).toBeUndefined();
  });

  it("sends the provider's key upstream, and the alias's upstream model id", async () => {
    await create({ model: "gpt-4o", messages });
    expect(a.requests.at(-1)!.headers.authorization).toBe("Bearer sk-test-secret-key-A");
    const res = await create({ model: "small", messages });
    expect(b.requests.at(-1)!.body.model).toBe("upstream-small");
    expect((res as unknown as { provider: string }).provider).toBe("B");
  });

  it("without `provider`, uses enabled providers serving the model, in config order", async () => {
    const res = await create({ model: "gpt-4o-mini", messages });
    expect((res as unknown as { provider: string }).provider).toBe("A");
  });

  for (const [name, failure] of [
    ["HTTP 500", (a: FakeServer) => a.handle((_q, res) => sendJson(res, 500, { error: { message: "upstream exploded" } }))],
    ["HTTP 429", (a: FakeServer) => a.handle((_q, res) => sendJson(res, 429, { error: { message: "slow down" } }, { "retry-after": "1" }))],
    ["HTTP 401", (a: FakeServer) => a.handle((_q, res) => sendJson(res, 401, { error: { message: "bad key" } }))],
    ["a hang", (a: FakeServer) => a.handle(hang)],
    ["a connection reset", (a: FakeServer) => a.handle(reset)],
  ] as const) {
    it(`fails over in order after ${name}`, async () => {
      failure(a);
      try {
        const res = await create({ model: "gpt-4o-mini", messages, provider: "A B" });
        expect((res as unknown as { provider: string }).provider).toBe("B");
        expect(res.choices[0]!.message.content).toBe("Hi from B");
      } finally {
        healthyA();
      }
    });
  }

  it("answers 502 naming each provider and why when all fail", async () => {
    a.handle((_q, res) => sendJson(res, 503, { error: { message: "overloaded" } }));
    b.handle(reset);
    try {
      await expect(create({ model: "gpt-4o-mini", messages, provider: "A B" })).rejects.toMatchObject({
        status: 502,
        error: { code: "all_providers_failed", message: expect.stringMatching(/A: HTTP 503: overloaded; B: connection reset/) },
      });
    } finally {
      healthyA();
      healthyB();
    }
  });

  it("404s unknown ids, skips disabled providers, 400s unserved models", async () => {
    await expect(create({ model: "gpt-4o-mini", messages, provider: "A Ghost" })).rejects.toMatchObject({ status: 404 });
    const res = await create({ model: "gpt-4o-mini", messages, provider: "Disabled B" });
    expect((res as unknown as { provider: string }).provider).toBe("B");
    await expect(create({ model: "gpt-4o-mini", messages, provider: "Disabled" })).rejects.toMatchObject({
      status: 503,
      error: { message: expect.stringContaining("Disabled: disabled") },
    });
    await expect(create({ model: "claude-9", messages })).rejects.toMatchObject({ status: 404, error: { code: "model_not_found" } });
    // A named provider that does not serve the model is passed over for the next one.
    const next = await create({ model: "small", messages, provider: "A B" });
    expect((next as unknown as { provider: string }).provider).toBe("B");
  });

  it("passes tools, tool choice, JSON schema output and image inputs through", async () => {
    const toolCall = { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } };
    a.handle((_q, res) =>
      sendJson(res, 200, {
        ...openaiCompletion(""),
        choices: [{ index: 0, message: { role: "assistant", content: null, tool_calls: [toolCall] }, finish_reason: "tool_calls" }],
      }),
    );
    try {
      const tools = [
        { type: "function" as const, function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } },
      ];
      const res = await create({
        model: "gpt-4o",
        provider: "A",
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "weather?" },
              { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
            ],
          },
        ],
        tools,
        tool_choice: "required",
        response_format: { type: "json_schema", json_schema: { name: "w", schema: { type: "object" } } },
      });
      expect(res.choices[0]!.message.tool_calls).toEqual([toolCall]);
      expect(res.choices[0]!.finish_reason).toBe("tool_calls");
      const sent = a.requests.at(-1)!.body;
      expect(sent.tools).toEqual(tools);
      expect(sent.tool_choice).toBe("required");
      expect(sent.response_format.type).toBe("json_schema");
      expect(sent.messages[0].content[1].image_url.url).toContain("data:image/png");
    } finally {
      healthyA();
    }
  });
});

describe("streaming", () => {
  it("streams chunks ending in [DONE], with usage when asked", async () => {
    const stream = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages,
      stream: true,
      stream_options: { include_usage: true },
      provider: "A",
    } as OpenAI.ChatCompletionCreateParamsStreaming & Extra);
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usage = chunk.usage;
      expect((chunk as unknown as { provider: string }).provider).toBe("A");
    }
    expect(text).toBe("Hello from A");
    expect(usage?.completion_tokens).toBe(3);
  });

  it("leaves usage out unless asked", async () => {
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o-mini", messages, stream: true, provider: "A" }),
    });
    const text = await res.text();
    expect(text).not.toContain('"usage"');
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });

  it("fails over before the first content byte", async () => {
    a.handle((_q, res) => sendJson(res, 500, { error: { message: "down" } }));
    try {
      const stream = await client.chat.completions.create({
        model: "gpt-4o-mini",
        messages,
        stream: true,
        provider: "A B",
      } as OpenAI.ChatCompletionCreateParamsStreaming & Extra);
      let text = "";
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      expect(text).toBe("Hi from B");
    } finally {
      healthyA();
    }
  });

  it("fails over when the stream dies before any content (after the role chunk)", async () => {
    a.handle((_q, res) => sendSse(res, openaiChunkEvents(["never"]), { cutAfter: 1 }));
    try {
      const res = await fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-4o-mini", messages, stream: true, provider: "A B" }),
      });
      expect(res.headers.get("x-interference-provider")).toBe("B");
      const text = await res.text();
      expect(text).toContain('"Hi"');
      expect(text).not.toContain("never");
    } finally {
      healthyA();
    }
  });

  it("never appends a second provider's text after a mid-stream failure", async () => {
    a.handle((_q, res) => sendSse(res, openaiChunkEvents(["Partial", " answer", " more"]), { cutAfter: 3 }));
    try {
      const res = await fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-4o-mini", messages, stream: true, provider: "A B" }),
      });
      const text = await res.text();
      expect(text).toContain('"Partial"');
      expect(text).not.toContain("from");
      const events = text.split("\n\n").filter(Boolean);
      expect(JSON.parse(events.at(-2)!.slice(6)).error.code).toBe("stream_interrupted");
      expect(events.at(-1)).toBe("data: [DONE]");
      // The SDK surfaces the in-band error as an exception, after the partial text.
      const stream = await client.chat.completions.create({
        model: "gpt-4o-mini",
        messages,
        stream: true,
        provider: "A B",
      } as OpenAI.ChatCompletionCreateParamsStreaming & Extra);
      let partial = "";
      await expect(
        (async () => {
          for await (const chunk of stream) partial += chunk.choices[0]?.delta.content ?? "";
        })(),
      ).rejects.toThrow(/failed mid-stream/);
      expect(partial).toBe("Partial answer");
    } finally {
      healthyA();
    }
  });

  it("aborts the upstream request when the client disconnects", async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((r) => (upstreamClosed = r));
    a.handle(async (req, res) => {
      res.on("close", () => upstreamClosed());
      await sendSse(res, openaiChunkEvents(Array.from({ length: 200 }, (_, i) => `w${i} `)), { gapMs: 50 });
    });
    try {
      const controller = new AbortController();
      const res = await fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-4o-mini", messages, stream: true, provider: "A" }),
        signal: controller.signal,
      });
      const reader = res.body!.getReader();
      await reader.read();
      controller.abort();
      const started = Date.now();
      await closed;
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      healthyA();
    }
  });
});

describe("discovery", () => {
  it("lists providers with id and url, and never a secret", async () => {
    const text = await (await fetch(`${server.url}/v1/providers`)).text();
    expect(text).not.toContain("sk-test-secret-key-A");
    const list = JSON.parse(text);
    expect(list.map((p: { id: string }) => p.id)).toEqual(["A", "B", "Disabled"]);
    expect(list[0]).toMatchObject({ id: "A", url: `${a.url}/v1`, type: "openai", enabled: true, models: ["gpt-4o-mini", "gpt-4o"], image_models: [] });
  });

  it("describes one provider with params and health", async () => {
    const detail = await (await fetch(`${server.url}/v1/providers/B`)).json();
    expect(detail.params).toEqual(expect.arrayContaining(["temperature", "top_p", "max_tokens", "stop", "tools", "stream", "response_format", "seed"]));
    expect(detail.health).toHaveProperty("status");
    const missing = await fetch(`${server.url}/v1/providers/Nope`);
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe("provider_not_found");
  });

  it("lists models the OpenAI way, across enabled providers", async () => {
    const models = await client.models.list();
    const ids = models.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(["gpt-4o-mini", "gpt-4o", "small"]));
    const mini = models.data.find((m) => m.id === "gpt-4o-mini") as unknown as { providers: string[] };
    expect(mini.providers).toEqual(["A", "B"]);
  });
});

describe("bad input", () => {
  const raw = (body: string, headers: Record<string, string> = { "content-type": "application/json" }) =>
    fetch(`${server.url}/v1/chat/completions`, { method: "POST", headers, body });

  it.each([
    ["malformed JSON", '{"model": ', 400, "invalid_json"],
    ["a JSON array", "[]", 400, "invalid_json"],
    ["missing messages", JSON.stringify({ model: "gpt-4o-mini" }), 400, "missing_required_parameter"],
    ["messages of the wrong type", JSON.stringify({ model: "gpt-4o-mini", messages: "hi" }), 400, "invalid_value"],
    ["an unknown role", JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "robot", content: "x" }] }), 400, "invalid_value"],
    ["temperature out of range", JSON.stringify({ model: "gpt-4o-mini", messages, temperature: 9 }), 400, "invalid_value"],
    [
      "a body over the size limit",
      JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "x".repeat(300_000) }] }),
      413,
      "request_too_large",
    ],
  ])("%s → JSON error", async (_name, body, status, code) => {
    const res = await raw(body);
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect((await res.json()).error.code).toBe(code);
  });

  it("unknown routes and wrong methods get JSON errors", async () => {
    const res = await fetch(`${server.url}/v1/does-not-exist`);
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe("unknown_route");
    const wrong = await fetch(`${server.url}/v1/chat/completions`);
    expect(wrong.status).toBe(405);
    expect((await wrong.json()).error.code).toBe("method_not_allowed");
  });

  it("keeps serving after all of that", async () => {
    const res = await create({ model: "gpt-4o-mini", messages });
    expect(res.choices[0]!.message.content).toBe("Hello from A");
    expect(server.process.exitCode).toBeNull();
  });
});
