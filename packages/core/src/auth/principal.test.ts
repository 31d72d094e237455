/**
 * An in-process caller (the dashboard's playground) may hand the gateway the principal it authenticated itself;
 * nothing from the network can: the same request without it needs a key, and no header stands in for it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeServer, sendJson, openaiCompletion, type FakeServer } from "../test-support/fake-server.js";
import { startTestGateway, type TestGateway } from "../test-support/gateway.js";
import type { RequestLogEntry } from "../logging/types.js";
import { GatewayError } from "../errors.js";

let up: FakeServer, gw: TestGateway;
const rows: RequestLogEntry[] = [];

beforeAll(async () => {
  up = await startFakeServer((_q, res) => sendJson(res, 200, openaiCompletion("hello")));
  gw = await startTestGateway(`providers:\n  - { id: up, type: openai, base_url: "${up.url}/v1", models: [m] }\n`, {
    authenticate: async (headers) => {
      if (headers.authorization !== "Bearer right") throw new GatewayError(401, "authentication_error", "invalid_api_key", "no key");
      return { keyId: "key_1" };
    },
    logSink: { write: (e) => void rows.push(e) },
  });
});
afterAll(async () => {
  await gw?.close();
  await up?.close();
});

const chat = (headers: Record<string, string> = {}) =>
  new Request("http://gateway/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], user: "admin@example.com" }),
  });

describe("a principal given in-process", () => {
  it("serves a request without a key for the principal the caller vouches for, and logs it so", async () => {
    const res = await gw.gateway.webHandlerAs({ keyId: null })(chat({ "x-interference-tags": "playground" }));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe("hello");
    const row = rows.at(-1)!;
    expect(row).toMatchObject({ apiKeyId: null, endUser: "admin@example.com", tags: ["playground"], status: 200 });
  });

  it("is not something a network request can claim", async () => {
    expect((await gw.gateway.webHandler()(chat())).status).toBe(401);
    expect((await gw.gateway.webHandler()(chat({ principal: '{"keyId":null}', "x-interference-principal": "admin" }))).status).toBe(401);
    expect((await gw.gateway.webHandler()(chat({ authorization: "Bearer right" }))).status).toBe(200);
  });
});
