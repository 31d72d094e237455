/**
 * POST /v1/responses with the official `openai` SDK, unmodified but for the base URL, against OpenAI-, Anthropic-
 * and Gemini-shaped fake upstreams: plain, streamed with the SDK's helpers, a tool round trip, structured output,
 * previous_response_id across two providers, and the stored responses (GET, DELETE, input_items, per key).
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayError } from "../errors.js";
import type { FakeServer } from "../test-support/fake-server.js";
import { startScriptedAnthropic, startScriptedGemini, startScriptedOpenAI } from "../test-support/scripted-providers.js";
import { startTestGateway, type TestGateway } from "../test-support/gateway.js";

let oa: FakeServer, an: FakeServer, ge: FakeServer, gw: TestGateway;
const keys: Record<string, string> = { "key-a": "ka", "key-b": "kb" };

beforeAll(async () => {
  oa = await startScriptedOpenAI("OA");
  an = await startScriptedAnthropic("AN");
  ge = await startScriptedGemini("GE");
  gw = await startTestGateway(
    `providers:
  - { id: oa, type: openai, base_url: "${oa.url}/v1", models: [m] }
  - { id: an, type: anthropic, base_url: "${an.url}/v1", api_key: sk-ant-secret, models: [m] }
  - { id: ge, type: gemini, base_url: "${ge.url}/v1beta", api_key: g-secret, models: [m] }
`,
    {
      authenticate: async (headers) => {
        const key = /^Bearer (.+)$/.exec(headers.authorization ?? "")?.[1] ?? "";
        if (!keys[key]) throw new GatewayError(401, "authentication_error", "invalid_api_key", "Invalid API key.");
        return { keyId: keys[key]! };
      },
    },
  );
});
afterAll(async () => {
  await gw.close();
  await Promise.all([oa.close(), an.close(), ge.close()]);
});

const client = (provider?: string, key = "key-a") =>
  new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, defaultHeaders: provider ? { "x-interference-provider": provider } : {} });

const weather = {
  type: "function" as const,
  name: "get_weather",
  description: "Weather for a city",
  parameters: { type: "object", properties: { q: { type: "string" } }, required: ["q"] },
  strict: false,
};

describe.each(["oa", "an", "ge"])("POST /v1/responses served by %s", (provider) => {
  it("answers a plain request; output_text, usage and provider are set", async () => {
    const r = await client(provider).responses.create({ model: "m", input: "hello there", instructions: "be brief" });
    expect(r.object).toBe("response");
    expect(r.status).toBe("completed");
    expect(r.id).toMatch(/^resp_/);
    expect(r.output_text).toBe(`${provider.toUpperCase()} heard: system:be brief | user:hello there`);
    expect(r.output[0]).toMatchObject({ type: "message", role: "assistant", status: "completed" });
    expect(r.usage).toMatchObject({ input_tokens: 11, output_tokens: 7, total_tokens: 18 });
    expect((r as any).provider).toBe(provider);
  });

  it("streams the Responses event sequence; the SDK's stream helper assembles the same answer", async () => {
    const stream = client(provider).responses.stream({ model: "m", input: [{ role: "user", content: "stream please" }] });
    const types: string[] = [];
    const sequence: number[] = [];
    let deltas = "";
    for await (const event of stream) {
      types.push(event.type);
      sequence.push(event.sequence_number);
      if (event.type === "response.output_text.delta") deltas += event.delta;
    }
    const final = await stream.finalResponse();
    const expected = `${provider.toUpperCase()} heard: user:stream please`;
    expect(deltas).toBe(expected);
    expect(final.output_text).toBe(expected);
    expect(final.status).toBe("completed");
    expect(final.usage?.total_tokens).toBe(18);
    expect(sequence).toEqual(sequence.map((_, i) => i));
    expect(types[0]).toBe("response.created");
    expect(types[1]).toBe("response.in_progress");
    expect(types.filter((t) => t !== "response.output_text.delta")).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
  });

  it("round-trips a tool call, streamed and not", async () => {
    const c = client(provider);
    const first = await c.responses.create({ model: "m", input: "weather in Paris?", tools: [weather] });
    const call = first.output.find((o) => o.type === "function_call")!;
    expect(call).toMatchObject({ type: "function_call", name: "get_weather", arguments: '{"q":"weather in Paris?"}' });
    const second = await c.responses.create({
      model: "m",
      input: [{ role: "user", content: "weather in Paris?" }, call, { type: "function_call_output", call_id: call.call_id, output: "sunny" }],
      tools: [weather],
    });
    expect(second.output_text).toMatch(/tool:.*sunny/); // Gemini wraps a tool result as {result}

    const stream = c.responses.stream({ model: "m", input: "weather in Rome?", tools: [weather] });
    let args = "";
    for await (const e of stream) if (e.type === "response.function_call_arguments.delta") args += e.delta;
    const final = await stream.finalResponse();
    expect(args).toBe('{"q":"weather in Rome?"}');
    expect(final.output.find((o) => o.type === "function_call")).toMatchObject({ name: "get_weather", arguments: args, status: "completed" });
  });
});

describe("Responses: the rest of the API", () => {
  it.each(["an", "ge"])("asks %s to think with reasoning.effort, and returns its reasoning as a reasoning item", async (provider) => {
    const upstream = provider === "an" ? an : ge;
    const r = await client(provider).responses.create({ model: "m", input: "think", reasoning: { effort: "low" }, max_output_tokens: 100 });
    const sent = upstream.requests.at(-1)!.body;
    if (provider === "an") expect(sent).toMatchObject({ thinking: { type: "enabled", budget_tokens: 2048 }, max_tokens: 2148 });
    else expect(sent.generationConfig.thinkingConfig).toEqual({ thinkingBudget: 2048, includeThoughts: true });
    expect(r.output[0]).toMatchObject({ type: "reasoning", content: [{ type: "reasoning_text", text: "pondering deeply" }] });
    expect(r.output_text).toMatch(/heard: user:think$/);
    const stream = client(provider).responses.stream({ model: "m", input: "think", reasoning: { effort: "low" } });
    let reasoning = "";
    for await (const e of stream) if (e.type === "response.reasoning_text.delta") reasoning += e.delta;
    expect(reasoning).toBe("pondering deeply");
    expect((await stream.finalResponse()).output.map((o) => o.type)).toEqual(["reasoning", "message"]);
  });

  it("sends text.format json_schema upstream as structured output, and parses it with the SDK", async () => {
    const r = await client("oa").responses.create({
      model: "m",
      input: "{}",
      text: { format: { type: "json_schema", name: "thing", schema: { type: "object", properties: {} }, strict: true } },
    });
    expect(r.status).toBe("completed");
    expect(oa.requests.at(-1)!.body.response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "thing", schema: { type: "object", properties: {} }, strict: true },
    });
    expect(r.text?.format).toMatchObject({ type: "json_schema", name: "thing" });
  });

  it.each(["an", "ge"])("serves structured output (text.format json_schema) on %s, which the SDK parses", async (provider) => {
    const format = {
      type: "json_schema" as const,
      name: "answer",
      schema: { type: "object", properties: { q: { type: "string" } }, required: ["q"] },
      strict: true,
    };
    const r = await client(provider).responses.parse({ model: "m", input: "structured", text: { format } });
    expect(r.output_parsed).toEqual({ q: "structured" });
    const sent = (provider === "an" ? an : ge).requests.at(-1)!.body;
    if (provider === "an") expect(sent.tool_choice).toEqual({ type: "tool", name: "json_response" });
    else expect(sent.generationConfig).toMatchObject({ responseMimeType: "application/json", responseJsonSchema: format.schema });
  });

  it("continues a stored conversation with previous_response_id on another provider", async () => {
    const first = await client("oa").responses.create({ model: "m", input: "my name is Ada", instructions: "first instructions" });
    const second = await client("an").responses.create({ model: "m", input: "what is my name?", previous_response_id: first.id });
    // Instructions are not carried over (as OpenAI), the turns are.
    expect(second.output_text).toBe(
      `AN heard: user:my name is Ada | assistant:OA heard: system:first instructions | user:my name is Ada | user:what is my name?`,
    );
    expect(second.previous_response_id).toBe(first.id);
    const third = await client("ge").responses.create({ model: "m", input: "again?", previous_response_id: second.id, stream: true });
    let text = "";
    for await (const e of third) if (e.type === "response.output_text.delta") text += e.delta;
    expect(text).toMatch(/^GE heard: user:my name is Ada \| assistant:OA heard: .* \| user:what is my name\? \| assistant:AN heard: .* \| user:again\?$/);
  });

  it("sends Anthropic's signed thinking back with the tool result it led to, stored or sent back by the client", async () => {
    const c = client("an");
    const first = await c.responses.create({ model: "m", input: "weather in Oslo?", tools: [weather], reasoning: { effort: "low" } });
    const reasoning = first.output.find((i) => i.type === "reasoning")!;
    const call = first.output.find((i) => i.type === "function_call")!;
    expect(reasoning).toMatchObject({ content: [{ type: "reasoning_text", text: "pondering deeply" }], encrypted_content: "interference-signature:sig-abc" });
    const result = { type: "function_call_output" as const, call_id: call.call_id, output: "sunny" };
    const thinking = { type: "thinking", thinking: "pondering deeply", signature: "sig-abc" };

    // Stored: previous_response_id brings the thinking back from the database.
    await c.responses.create({ model: "m", previous_response_id: first.id, input: [result], tools: [weather], reasoning: { effort: "low" } });
    expect(an.requests.at(-1)!.body.messages[1].content[0]).toEqual(thinking);

    // Not stored (Codex's store: false): the client sends the output items back, streamed this time.
    const streamed = await c.responses.create({
      model: "m",
      input: "weather in Oslo?",
      tools: [weather],
      reasoning: { effort: "low" },
      store: false,
      stream: true,
    });
    let output: OpenAI.Responses.ResponseOutputItem[] = [];
    for await (const e of streamed) if (e.type === "response.completed") output = e.response.output;
    expect(output.find((i) => i.type === "reasoning")).toMatchObject({ encrypted_content: "interference-signature:sig-abc" });
    const again = output.find((i) => i.type === "function_call")!;
    await c.responses.create({
      model: "m",
      input: [{ role: "user", content: "weather in Oslo?" }, ...(output as OpenAI.Responses.ResponseInputItem[]), { ...result, call_id: again.call_id }],
      tools: [weather],
      reasoning: { effort: "low" },
      store: false,
    });
    expect(an.requests.at(-1)!.body.messages[1].content).toEqual([
      thinking,
      { type: "tool_use", id: again.call_id, name: "get_weather", input: { q: "weather in Oslo?" } },
    ]);
  });

  it("keeps Gemini's thought signature in the stored conversation, streamed or not, and sends it back with the result", async () => {
    for (const stream of [false, true]) {
      const c = client("ge");
      let first: OpenAI.Responses.Response;
      if (stream) {
        const events = await c.responses.create({ model: "m", input: "weather in Oslo?", tools: [weather], stream: true });
        for await (const e of events) if (e.type === "response.completed") first = e.response;
      } else first = await c.responses.create({ model: "m", input: "weather in Oslo?", tools: [weather] });
      const call = first!.output.find((i) => i.type === "function_call")!;
      await c.responses.create({
        model: "m",
        previous_response_id: first!.id,
        input: [{ type: "function_call_output", call_id: call.call_id, output: "sunny" }],
      });
      expect(ge.requests.at(-1)!.body.contents[1].parts[0]).toEqual({
        functionCall: { name: "get_weather", args: { q: "weather in Oslo?" } },
        thoughtSignature: "gsig-1",
      });
    }
  });

  it("GET, input_items and DELETE a stored response; another key sees none of it", async () => {
    const c = client("oa");
    const r = await c.responses.create({
      model: "m",
      input: [
        { role: "user", content: "one" },
        { role: "user", content: [{ type: "input_text", text: "two" }] },
      ],
    });
    expect((await c.responses.retrieve(r.id)).output_text).toBe(r.output_text);
    const raw = await fetch(`${gw.url}/v1/responses/${r.id}`, { headers: { authorization: "Bearer key-a" } });
    expect(raw.headers.get("x-interference-provider")).toBe("oa");
    const items = await c.responses.inputItems.list(r.id);
    expect(items.data.map((i: any) => i.content[0].text)).toEqual(["two", "one"]); // newest first, as OpenAI
    const asc = await c.responses.inputItems.list(r.id, { order: "asc", limit: 1 });
    expect(asc.data).toHaveLength(1);
    expect(asc.has_more).toBe(true);
    expect((asc.data[0] as any).id).toMatch(/^msg_/);

    const other = client("oa", "key-b");
    await expect(other.responses.retrieve(r.id)).rejects.toMatchObject({ status: 404 });
    await expect(other.responses.delete(r.id)).rejects.toMatchObject({ status: 404 });
    await expect(other.responses.create({ model: "m", input: "x", previous_response_id: r.id })).rejects.toMatchObject({
      status: 404,
      code: "previous_response_not_found",
      param: "previous_response_id",
    });

    await c.responses.delete(r.id);
    await expect(c.responses.retrieve(r.id)).rejects.toMatchObject({ status: 404, code: "response_not_found" });
  });

  it("does not keep a response sent with store: false", async () => {
    const c = client("oa");
    const r = await c.responses.create({ model: "m", input: "forget me", store: false });
    expect((r as any).store).toBe(false);
    await expect(c.responses.retrieve(r.id)).rejects.toMatchObject({ status: 404 });
  });

  it("refuses what no translating provider can run, naming it", async () => {
    const c = client("oa");
    await expect(c.responses.create({ model: "m", input: "x", tools: [{ type: "web_search" }] as any })).rejects.toMatchObject({
      status: 400,
      code: "unsupported_tool",
      param: "tools.0.type",
    });
    await expect(c.responses.create({ model: "m", input: "x", conversation: "conv_1" } as any)).rejects.toMatchObject({
      status: 400,
      code: "unsupported_parameter",
      param: "conversation",
    });
    await expect(c.responses.create({ model: "m", input: [{ type: "item_reference", id: "x" }] } as any)).rejects.toMatchObject({
      status: 400,
      code: "unsupported_input_item",
    });
    await expect(c.responses.create({ model: "m" } as any)).rejects.toMatchObject({ status: 400, param: "input" });
  });

  it("leaves built-in tools out for a provider whose config sets drop_params, and refuses them elsewhere", async () => {
    const lenient = await startTestGateway(`providers:
  - { id: strict, type: openai, base_url: "${oa.url}/v1", models: [m] }
  - { id: lenient, type: openai, base_url: "${oa.url}/v1", models: [m], drop_params: true }
`);
    try {
      const c = (provider: string) => new OpenAI({ baseURL: `${lenient.url}/v1`, apiKey: "x", defaultHeaders: { "x-interference-provider": provider } });
      const body = { model: "m", input: "hi", tools: [{ type: "web_search" }, weather] } as any;
      await expect(c("strict").responses.create(body)).rejects.toMatchObject({ status: 400, code: "unsupported_tool" });
      const r = await c("strict lenient").responses.create({ ...body, client_metadata: { session: "s" } });
      expect((r as any).provider).toBe("lenient");
      expect(oa.requests.at(-1)!.body.tools.map((t: any) => t.function.name)).toEqual(["get_weather"]);
    } finally {
      await lenient.close();
    }
  });

  it("takes the provider from /api/{provider}/responses", async () => {
    const res = await fetch(`${gw.url}/api/ge/responses`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer key-a" },
      body: JSON.stringify({ model: "m", input: "hi" }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-interference-provider")).toBe("ge");
    expect(((await res.json()) as any).provider).toBe("ge");
  });

  it("never sends provider secrets back", async () => {
    const text = await (
      await fetch(`${gw.url}/v1/responses`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer key-a", "x-interference-provider": "an ge" },
        body: JSON.stringify({ model: "m", input: "hi", stream: true }),
      })
    ).text();
    expect(text).not.toContain("sk-ant-secret");
    expect(text).not.toContain("g-secret");
  });
});
