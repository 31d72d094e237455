/**
 * The circuit breaker is charged only for failures the provider caused: a key holder asking for a model that does
 * not exist cannot open it for everybody. An open circuit lets one probe through once its cool-down has passed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openaiCompletion, sendJson, startFakeServer, type FakeServer } from "./test-support/fake-server.js";
import { startTestGateway, type TestGateway } from "./test-support/gateway.js";

let a: FakeServer, b: FakeServer, gw: TestGateway;

beforeAll(async () => {
  a = await startFakeServer(() => undefined);
  b = await startFakeServer((_q, res) => sendJson(res, 200, openaiCompletion("from b")));
  gw = await startTestGateway(`retries: { max: 1, base_ms: 1, max_ms: 5 }
circuit_breaker: { failure_threshold: 3, cooldown_ms: 300 }
providers:
  - { id: a, type: openai, base_url: "${a.url}/v1", models: ["*"] }
  - { id: b, type: openai, base_url: "${b.url}/v1", models: [real] }
`);
});
afterAll(async () => {
  await gw.close();
  await a.close();
  await b.close();
});

const chat = (body: Record<string, unknown>) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], ...body }),
  });
const circuit = async (id: string) => ((await (await fetch(`${gw.url}/v1/providers/${id}`)).json()) as any).health.circuit;

describe("circuit breaker abuse", () => {
  it("a client's unknown model (upstream 404) is the client's error and never opens the circuit", async () => {
    a.handle((_q, res) =>
      sendJson(res, 404, { error: { message: "The model `nope` does not exist", type: "invalid_request_error", code: "model_not_found" } }),
    );
    for (let i = 0; i < 8; i++) {
      const res = await chat({ model: "nope", provider: "a" });
      expect(res.status).toBe(404);
      expect(((await res.json()) as any).error.code).toBe("model_not_found");
    }
    expect(await circuit("a")).toBe("closed");
    expect(a.requests.length).toBe(8); // no retries on a 404 either
  });

  it("a client's bad parameter (upstream 400) is answered as a 400, without retry or failover", async () => {
    a.requests.length = 0;
    a.handle((_q, res) => sendJson(res, 400, { error: { message: "Invalid 'temperature': too high", type: "invalid_request_error", code: "invalid_value" } }));
    for (let i = 0; i < 5; i++) {
      const res = await chat({ model: "x", provider: "a" });
      expect(res.status).toBe(400);
      expect(((await res.json()) as any).error.message).toContain("Invalid 'temperature'");
    }
    expect(a.requests.length).toBe(5);
    expect(await circuit("a")).toBe("closed");
  });

  it("OpenAI's 429 insufficient_quota is billing: no retry, fail over, and it counts against the provider", async () => {
    a.requests.length = 0;
    a.handle((_q, res) =>
      sendJson(res, 429, {
        error: {
          message: "You exceeded your current quota, please check your plan and billing details.",
          type: "insufficient_quota",
          code: "insufficient_quota",
        },
      }),
    );
    for (let i = 0; i < 3; i++) {
      const res = await chat({ model: "real", provider: "a b" });
      expect(((await res.json()) as any).provider).toBe("b");
    }
    expect(a.requests.length).toBe(3); // a busy 429 would have been retried once each
    expect(await circuit("a")).toBe("open");
  });

  it("lets one probe through to the only candidate once the cool-down has passed, and closes on success", async () => {
    const refused = await chat({ model: "real", provider: "a" });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as any).error.code).toBe("circuit_open");
    await new Promise((r) => setTimeout(r, 350));
    a.handle((_q, res) => sendJson(res, 200, openaiCompletion("a is back")));
    const probe = await chat({ model: "real", provider: "a" });
    expect(probe.status).toBe(200);
    expect(((await probe.json()) as any).choices[0].message.content).toBe("a is back");
    expect(await circuit("a")).toBe("closed");
  });
});
