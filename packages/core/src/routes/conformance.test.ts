/**
 * Every object the gateway returns, checked against the official specifications (src/specs), served
 * by OpenAI-, Anthropic- and Gemini-shaped upstreams:
 * - OpenAI's routes against OpenAI's published OpenAPI spec (cut from openai/openai-openapi by
 *   scripts/extract-openai-spec.mjs): chat completions and chunks, Responses objects, every Responses stream event,
 *   input item lists, legacy completions, models, errors.
 * - The Messages routes against the JSON Schemas of the official Anthropic Python SDK's models, generated from
 *   Anthropic's OpenAPI spec (scripts/extract-anthropic-schema.py): messages, stream events, errors, token counts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeServer } from "../test-support/fake-server.js";
import { startScriptedAnthropic, startScriptedGemini, startScriptedOpenAI } from "../test-support/scripted-providers.js";
import { startTestGateway, type TestGateway } from "../test-support/gateway.js";
import { conforms, conformsAnthropicEvent, conformsEvent } from "../test-support/conformance.js";

let oa: FakeServer, an: FakeServer, ge: FakeServer, gw: TestGateway;
beforeAll(async () => {
  oa = await startScriptedOpenAI("OA");
  an = await startScriptedAnthropic("AN");
  ge = await startScriptedGemini("GE");
  gw = await startTestGateway(`providers:
  - { id: oa, type: openai, base_url: "${oa.url}/v1", models: [m] }
  - { id: an, type: anthropic, base_url: "${an.url}/v1", api_key: k, models: [m] }
  - { id: ge, type: gemini, base_url: "${ge.url}/v1beta", api_key: k, models: [m] }
`);
});
afterAll(async () => {
  await gw.close();
  await Promise.all([oa.close(), an.close(), ge.close()]);
});

const post = (path: string, provider: string, body: unknown) =>
  fetch(`${gw.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-interference-provider": provider },
    body: JSON.stringify(body),
  });

/** The JSON payloads of an SSE body, [DONE] left out. */
async function events(res: Response): Promise<any[]> {
  const text = await res.text();
  return text
    .split("\n")
    .filter((l) => l.startsWith("data: ") && l !== "data: [DONE]")
    .map((l) => JSON.parse(l.slice(6)));
}

const tools = [{ type: "function", name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } } } }];

describe.each(["oa", "an", "ge"])("objects served by %s conform to OpenAI's spec", (provider) => {
  it("chat completions and chunks", async () => {
    const body = { model: "m", messages: [{ role: "user", content: "hi" }] };
    conforms("CreateChatCompletionResponse", await (await post("/v1/chat/completions", provider, body)).json());
    const chunks = await events(await post("/v1/chat/completions", provider, { ...body, stream: true, stream_options: { include_usage: true } }));
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) conforms("CreateChatCompletionStreamResponse", c);
  });

  it("Responses objects and every stream event, text and tool calls", async () => {
    const text = (await (await post("/v1/responses", provider, { model: "m", input: "hi" })).json()) as any;
    conforms("Response", text);
    const call = (await (await post("/v1/responses", provider, { model: "m", input: "find it", tools })).json()) as any;
    conforms("Response", call);
    for (const input of ["hi", "find it"]) {
      const streamed = await events(await post("/v1/responses", provider, { model: "m", input, tools: input === "hi" ? [] : tools, stream: true }));
      for (const e of streamed) conformsEvent(e);
    }
    const items = await (await fetch(`${gw.url}/v1/responses/${text.id}/input_items`)).json();
    conforms("ResponseItemList", items);
    conforms("Response", await (await fetch(`${gw.url}/v1/responses/${text.id}`)).json());
  });

  it("legacy completions", async () => {
    conforms("CreateCompletionResponse", await (await post("/v1/completions", provider, { model: "m", prompt: "hi" })).json());
    // OpenAI's spec reuses the final object's schema for stream chunks, whose finish_reason is null until the
    // last one, as OpenAI's API itself sends them: only that field is let be null.
    for (const c of await events(await post("/v1/completions", provider, { model: "m", prompt: "hi", stream: true }))) {
      conforms("CreateCompletionResponse", { ...c, choices: c.choices.map((choice: any) => ({ ...choice, finish_reason: choice.finish_reason ?? "stop" })) });
    }
  });
});

describe.each(["an", "oa", "ge"])("objects served by %s on /v1/messages conform to Anthropic's spec", (provider) => {
  const body = { model: "m", max_tokens: 50, messages: [{ role: "user", content: "hi" }] };
  const withTools = { ...body, tools: [{ name: "lookup", input_schema: { type: "object", properties: { q: { type: "string" } } } }] };

  it("messages, text and tool use, and every stream event", async () => {
    for (const request of [body, withTools]) {
      conforms("Message", await (await post("/v1/messages", provider, request)).json(), "anthropic");
      const streamed = await events(await post("/v1/messages", provider, { ...request, stream: true }));
      expect(streamed.at(-1)!.type).toBe("message_stop");
      for (const e of streamed) conformsAnthropicEvent(e);
    }
  });

  it("token counts and errors", async () => {
    conforms("MessageTokensCount", await (await post("/v1/messages/count_tokens", provider, { model: "m", messages: body.messages })).json(), "anthropic");
    for (const [res, status] of [
      [await post("/v1/messages", provider, { model: "m", messages: body.messages }), 400],
      [await post("/v1/messages", provider, { ...body, model: "nope" }), 404],
    ] as const) {
      expect(res.status).toBe(status);
      conforms("ErrorResponse", await res.json(), "anthropic");
    }
  });
});

describe("the rest conforms too", () => {
  it("the validators refuse what the specs refuse", () => {
    expect(() => conforms("Message", { type: "message", role: "assistant", content: [] }, "anthropic")).toThrow(/required property 'id'/);
    expect(() => conforms("ErrorResponse", { error: { message: "x", type: "t", code: null } })).toThrow(/param/);
    expect(() => conformsEvent({ type: "response.output_text.delta" })).toThrow(/delta/);
    expect(() => conformsEvent({ type: "response.made_up" })).toThrow(/no stream event/);
  });

  it.each(["an", "ge"])("reasoning from %s: the reasoning item and its stream events", async (provider) => {
    const body = { model: "m", input: "think", reasoning: { effort: "low" } };
    const r = (await (await post("/v1/responses", provider, body)).json()) as any;
    expect(r.output[0].type).toBe("reasoning");
    conforms("Response", r);
    const streamed = await events(await post("/v1/responses", provider, { ...body, stream: true }));
    expect(streamed.some((e) => e.type === "response.reasoning_text.delta")).toBe(true);
    for (const e of streamed) conformsEvent(e);
  });

  it("models and errors", async () => {
    conforms("ListModelsResponse", await (await fetch(`${gw.url}/v1/models`)).json());
    conforms("Model", await (await fetch(`${gw.url}/v1/models/m`)).json());
    for (const res of [
      await fetch(`${gw.url}/v1/models/nope`),
      await post("/v1/responses", "oa", { model: "m" }),
      await post("/v1/chat/completions", "oa", { model: "nope", messages: [{ role: "user", content: "x" }] }),
      await fetch(`${gw.url}/v1/responses`, { method: "PUT" }),
      await fetch(`${gw.url}/v1/responses/resp_missing`),
    ]) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      conforms("ErrorResponse", await res.json());
    }
  });

  it("a mid-stream failure on the Responses route is a valid response.failed event", async () => {
    const { scriptedOpenAI } = await import("../test-support/scripted-providers.js");
    const { sendSse } = await import("../test-support/fake-server.js");
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
              choices: [{ index: 0, delta: { content: "par" }, finish_reason: null }],
            }),
          },
          { data: "x" },
        ],
        { cutAfter: 1 },
      ),
    );
    try {
      const streamed = await events(await post("/v1/responses", "oa", { model: "m", input: "hi", stream: true }));
      expect(streamed.at(-1)!.type).toBe("response.failed");
      for (const e of streamed) conformsEvent(e);
      const messages = await events(await post("/v1/messages", "oa", { model: "m", max_tokens: 9, stream: true, messages: [{ role: "user", content: "hi" }] }));
      expect(messages.at(-1)!.type).toBe("error");
      for (const e of messages) conformsAnthropicEvent(e);
    } finally {
      oa.handle(scriptedOpenAI("OA"));
    }
  });
});
