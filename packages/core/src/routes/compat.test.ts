/**
 * What real clients send and expect: null for optional fields, `param` on every error, GET /v1/models/{id} (the
 * official SDK's models.retrieve), and the provider choice as a header, a query parameter or gpt4free's path.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openaiCompletion, sendJson, startFakeServer, type FakeServer } from "../test-support/fake-server.js";
import { startTestGateway, type TestGateway } from "../test-support/gateway.js";

let a: FakeServer, b: FakeServer, gw: TestGateway;

beforeAll(async () => {
  a = await startFakeServer((_q, res, body) => sendJson(res, 200, openaiCompletion(`a ${JSON.stringify(body.tools?.[0]?.function ?? null)}`)));
  b = await startFakeServer((_q, res) => sendJson(res, 200, openaiCompletion("b")));
  gw = await startTestGateway(`providers:
  - { id: A, type: openai, base_url: "${a.url}/v1", models: [m, meta-llama/Llama-3.3-70B-Instruct] }
  - { id: B, type: openai, base_url: "${b.url}/v1", models: [m], image_models: [img, gpt-image-1] }
  - { id: C, type: anthropic, base_url: "${b.url}/v1", api_key: sk-ant-x, models: [claude] }
`);
});
afterAll(async () => {
  await gw.close();
  await a.close();
  await b.close();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${gw.url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

describe("compatibility with real clients", () => {
  it("takes null for optional fields (the llm CLI sends description: null)", async () => {
    const res = await post("/v1/chat/completions", {
      model: "m",
      provider: "A",
      messages: [
        { role: "system", content: "s", name: null },
        { role: "user", content: [{ type: "image_url", image_url: { url: "data:image/png;base64,AA==", detail: null } }], name: null },
        { role: "assistant", content: "ok", tool_calls: null, name: null },
        { role: "user", content: "hi" },
      ],
      tools: [{ type: "function", function: { name: "f", description: null, parameters: null } }],
      response_format: { type: "json_schema", json_schema: { name: "x", description: null, schema: null } },
      stream_options: { include_usage: null },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as any).provider).toBe("A");
  });

  it("puts param on every error, null when no parameter is at fault", async () => {
    const bad = (await (await post("/v1/chat/completions", { model: "m", messages: [] })).json()) as any;
    expect(bad.error.param).toBe("messages");
    const unknown = (await (await fetch(`${gw.url}/v1/nowhere`)).json()) as any;
    expect(unknown.error).toHaveProperty("param", null);
    const notJson = (await (await post("/v1/chat/completions", "[1]")).json()) as any;
    expect(notJson.error).toEqual({ message: expect.any(String), type: "invalid_request_error", param: null, code: "invalid_json" });
  });

  it("GET /v1/models/{id} answers the official SDK's models.retrieve, slashes in ids included", async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "unused" });
    const model = await client.models.retrieve("m");
    expect(model).toMatchObject({ id: "m", object: "model", owned_by: "A" });
    expect((model as any).providers).toEqual(["A", "B"]);
    expect((await client.models.retrieve("meta-llama/Llama-3.3-70B-Instruct")).id).toBe("meta-llama/Llama-3.3-70B-Instruct");
    const raw = await fetch(`${gw.url}/v1/models/meta-llama/Llama-3.3-70B-Instruct`);
    expect(raw.status).toBe(200);
    await expect(client.models.retrieve("nope")).rejects.toMatchObject({ status: 404, code: "model_not_found" });
  });

  it("takes the provider from the X-Interference-Provider header, ?provider= or /api/{provider}/chat/completions", async () => {
    const served = async (res: Response) => [res.status, res.headers.get("x-interference-provider"), ((await res.json()) as any).provider];
    const body = { model: "m", messages: [{ role: "user", content: "hi" }] };
    expect(await served(await post("/v1/chat/completions", body, { "x-interference-provider": "B" }))).toEqual([200, "B", "B"]);
    expect(await served(await post("/v1/chat/completions?provider=B", body))).toEqual([200, "B", "B"]);
    expect(await served(await post("/api/B/chat/completions", body))).toEqual([200, "B", "B"]);
    expect(await served(await post("/v1/chat/completions", { ...body, provider: "A" }, { "x-interference-provider": "B" }))).toEqual([200, "A", "A"]); // the body wins
    expect(await served(await post("/v1/chat/completions", body, { "x-interference-provider": "X B" }))).toEqual([404, null, undefined]);
    expect(gw.gateway.handles("/api/B/chat/completions")).toBe(true);
    expect(gw.gateway.handles("/api/trpc/providers.list")).toBe(false); // the dashboard's own /api routes
  });

  it("an openai provider forwards parameters the gateway does not know; a translating family still refuses them", async () => {
    const body = { model: "m", provider: "A", messages: [{ role: "user", content: "hi" }], safety_identifier: "user-123", prompt_cache_key: "k1" };
    const res = await post("/v1/chat/completions", body);
    expect(res.status).toBe(200);
    expect(a.requests.at(-1)!.body).toMatchObject({ safety_identifier: "user-123", prompt_cache_key: "k1" });
    const refused = await post("/v1/chat/completions", { ...body, model: "claude", provider: "C" });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as any).error).toMatchObject({ code: "unsupported_parameter", param: "safety_identifier" });
  });

  it("sends gpt-image models no response_format, and their own parameters", async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(16, 1)]);
    b.handle((_q, res) => sendJson(res, 200, { data: [{ b64_json: png.toString("base64") }] }));
    const res = await post("/v1/images/generations", {
      model: "gpt-image-1",
      prompt: "x",
      output_format: "png",
      background: "transparent",
      quality: "high",
      response_format: "b64_json",
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const sent = b.requests.at(-1)!.body;
    expect(sent).not.toHaveProperty("response_format");
    expect(sent).toMatchObject({ model: "gpt-image-1", output_format: "png", background: "transparent", quality: "high" });
    await post("/v1/images/generations", { model: "img", prompt: "x" });
    expect(b.requests.at(-1)!.body.response_format).toBe("b64_json"); // other models are still asked for bytes
  });

  it("answers legacy and unsupported shapes with a 400 that says why", async () => {
    const ask = async (extra: Record<string, unknown>) =>
      ((await (await post("/v1/chat/completions", { model: "m", messages: [{ role: "user", content: "x" }], ...extra })).json()) as any).error;
    let e = await ask({
      messages: [
        { role: "user", content: "x" },
        { role: "function", name: "f", content: "1" },
      ],
    });
    expect(e).toMatchObject({ param: "messages.1.role", message: expect.stringContaining("send role 'tool'") });
    e = await ask({ tools: [{ type: "custom", custom: { name: "c" } }] });
    expect(e).toMatchObject({ param: "tools.0.type", message: expect.stringContaining("only function tools") });
    e = await ask({ tool_choice: { type: "allowed_tools", allowed_tools: { mode: "auto", tools: [] } } });
    expect(e).toMatchObject({ param: "tool_choice", message: expect.stringContaining("'allowed_tools'") });
  });
});
