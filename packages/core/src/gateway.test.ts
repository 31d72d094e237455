import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeServer, sendJson, sendSse, openaiCompletion, openaiChunkEvents, hang, reset, type FakeServer } from "./test-support/fake-server.js";
import { startTestGateway, type TestGateway } from "./test-support/gateway.js";
import type { RequestLogEntry } from "./logging/types.js";

let a: FakeServer, b: FakeServer, gw: TestGateway;
const logs: RequestLogEntry[] = [];

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(gw.url + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

beforeAll(async () => {
  a = await startFakeServer((_req, res) => sendJson(res, 200, openaiCompletion("from A")));
  b = await startFakeServer((_req, res) => sendJson(res, 200, openaiCompletion("from B")));
  gw = await startTestGateway(
    `
timeouts: { first_byte_ms: 500 }
providers:
  - { id: A, type: openai, base_url: "${a.url}/v1", api_key: sk-secret-a, models: [gpt-4o-mini, shared] }
  - { id: B, type: openai, base_url: "${b.url}/v1", models: [gpt-4o-mini, { id: alias, upstream: real-model }] }
  - { id: Off, type: openai, base_url: "${b.url}/v1", models: [gpt-4o-mini], enabled: false }
`,
    { logSink: { write: (e) => logs.push(e) } },
  );
});
afterAll(async () => {
  await gw.close();
  await a.close();
  await b.close();
});

const msg = [{ role: "user", content: "hi" }];

describe("gateway over node:http", () => {
  it("serves with the named provider and says so", async () => {
    a.handle((_req, res) => sendJson(res, 200, openaiCompletion("from A")));
    const res = await post("/v1/chat/completions", { model: "gpt-4o-mini", provider: "B", messages: msg });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-interference-provider")).toBe("B");
    const body = (await res.json()) as any;
    expect(body.provider).toBe("B");
    expect(body.choices[0].message.content).toBe("from B");
    expect(b.requests.at(-1)!.body.provider).toBeUndefined();
  });

  it("fails over in order and logs the chain", async () => {
    a.handle((_req, res) => sendJson(res, 500, { error: { message: "boom" } }));
    const res = await post("/v1/chat/completions", { model: "gpt-4o-mini", provider: "A B", messages: msg });
    const body = (await res.json()) as any;
    expect(body.provider).toBe("B");
    const entry = logs.at(-1)!;
    // One retry on A (a 5xx may pass on a second try), then B.
    expect(entry.attempts.map((x) => [x.provider, x.outcome])).toEqual([
      ["A", "failed"],
      ["A", "failed"],
      ["B", "served"],
    ]);
    expect(entry.attempts[0]!.reason).toMatch(/HTTP 500: boom \(retrying in \d+ ms\)/);
    expect(entry.attempts[1]!.reason).toBe("HTTP 500: boom");
  });

  it("answers 502 listing every failure", async () => {
    a.handle(reset);
    b.handle(hang);
    const res = await post("/v1/chat/completions", { model: "gpt-4o-mini", provider: "A B", messages: msg });
    expect(res.status).toBe(502);
    const body = (await res.json()) as any;
    expect(body.error.code).toBe("all_providers_failed");
    expect(body.error.message).toMatch(/A: connection reset.*B: no response within 500 ms/);
    b.handle((_req, res) => sendJson(res, 200, openaiCompletion("from B")));
  });

  it("404s unknown providers and unknown models, skips disabled ones", async () => {
    let res = await post("/v1/chat/completions", { model: "gpt-4o-mini", provider: "Nope A Zed", messages: msg });
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error.message).toContain("Nope, Zed");
    res = await post("/v1/chat/completions", { model: "gpt-4o-mini", provider: "Off", messages: msg });
    expect(res.status).toBe(503);
    expect(((await res.json()) as any).error.message).toContain("Off: disabled");
    res = await post("/v1/chat/completions", { model: "nonexistent", messages: msg });
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error.code).toBe("model_not_found");
  });

  it("sends the alias's upstream model id", async () => {
    await post("/v1/chat/completions", { model: "alias", messages: msg });
    expect(b.requests.at(-1)!.body.model).toBe("real-model");
  });

  it("streams, and never mixes providers after the first content", async () => {
    a.handle((_req, res) => sendSse(res, openaiChunkEvents(["Hel", "lo", " there"]), { cutAfter: 3 }));
    const res = await post("/v1/chat/completions", { model: "gpt-4o-mini", provider: "A B", messages: msg, stream: true });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const text = await res.text();
    expect(text).toContain('"Hel"');
    expect(text).not.toContain("from B");
    expect(text).toMatch(/"error":\{.*stream_interrupted/);
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });

  it("rejects bad input with JSON errors and keeps serving", async () => {
    let res = await post("/v1/chat/completions", "{not json");
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.code).toBe("invalid_json");
    res = await post("/v1/chat/completions", { model: "gpt-4o-mini" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.param).toBe("messages");
    res = await post("/v1/chat/completions", { model: 3, messages: msg });
    expect(res.status).toBe(400);
    res = await fetch(gw.url + "/v1/nothing");
    expect(res.status).toBe(404);
    res = await post("/v1/chat/completions", "x".repeat(11 * 1024 * 1024));
    expect(res.status).toBe(413);
    res = await fetch(gw.url + "/v1/providers");
    expect(res.status).toBe(200);
  });

  it("lists providers and models without secrets", async () => {
    const text = await (await fetch(gw.url + "/v1/providers")).text();
    expect(text).not.toContain("sk-secret-a");
    const list = JSON.parse(text);
    expect(list.map((p: { id: string }) => p.id)).toEqual(["A", "B", "Off"]);
    const one: any = await (await fetch(gw.url + "/v1/providers/A")).json();
    expect(one.params).toContain("temperature");
    expect(one.health.status).toBeDefined();
    expect((await fetch(gw.url + "/v1/providers/zzz")).status).toBe(404);
    const models: any = await (await fetch(gw.url + "/v1/models")).json();
    expect(models.data.find((m: { id: string }) => m.id === "gpt-4o-mini").providers).toEqual(["A", "B"]);
  });
});
