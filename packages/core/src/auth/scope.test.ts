/**
 * A key's model scope holds for every attempt the router makes: a key scoped to `cheap` that names no model and
 * whose first provider fails must not be served `expensive` by the next one (the bug: the scope was checked on the
 * first candidate's default model only, before failover).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openaiCompletion, sendJson, startFakeServer, type FakeServer } from "../test-support/fake-server.js";
import { startTestGateway, type TestGateway } from "../test-support/gateway.js";
import type { AuthContext } from "./types.js";

let a: FakeServer, b: FakeServer, gw: TestGateway;
const keys: Record<string, AuthContext> = {
  "Bearer cheap": { keyId: "k_cheap", allowedModels: ["cheap"] },
  "Bearer onlyb": { keyId: "k_b", allowedProviders: ["B", "Any"] },
};

beforeAll(async () => {
  a = await startFakeServer((_q, res) => sendJson(res, 500, { error: { message: "down" } }));
  b = await startFakeServer((_q, res, body) => sendJson(res, 200, openaiCompletion(`served ${body.model}`)));
  gw = await startTestGateway(
    `retries: { max: 0 }
providers:
  - { id: A, type: openai, base_url: "${a.url}/v1", models: [cheap] }
  - { id: B, type: openai, base_url: "${b.url}/v1", models: [expensive] }
  - { id: C, type: openai, base_url: "${b.url}/v1", models: [expensive, { id: cheap, upstream: gpt-4o-mini }] }
  - { id: Any, type: openai, base_url: "${b.url}/v1", models: ["*"] }
`,
    { authenticate: async (h) => keys[h.authorization ?? ""] ?? { keyId: null } },
  );
});
afterAll(async () => {
  await gw.close();
  await a.close();
  await b.close();
});

const chat = (key: string, body: Record<string, unknown>) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], ...body }),
  });

describe("a key's model scope", () => {
  it("holds across failover when the request names no model", async () => {
    b.requests.length = 0;
    const res = await chat("cheap", { provider: "A B" });
    const body = (await res.json()) as any;
    expect(res.status).toBe(502); // A failed; B serves only `expensive`, which this key may not use
    expect(body.error.message).toContain("B: skipped, model expensive is not allowed for this API key");
    expect(b.requests.length).toBe(0);
  });

  it("takes the provider's first model the key may use, aliases included", async () => {
    const res = await chat("cheap", { provider: "A C" });
    const body = (await res.json()) as any;
    expect(res.status).toBe(200);
    expect(body.provider).toBe("C");
    expect(body.choices[0].message.content).toBe("served gpt-4o-mini");
  });

  it('refuses a named model outside the scope, on a "*" provider too', async () => {
    b.requests.length = 0;
    for (const provider of ["B", "Any", "A B Any"]) {
      const res = await chat("cheap", { model: "expensive", provider });
      expect(res.status).toBe(403);
      expect(((await res.json()) as any).error.code).toBe("model_not_allowed");
    }
    expect(b.requests.length).toBe(0);
  });

  it("holds on the image route too", async () => {
    const res = await fetch(`${gw.url}/v1/images/generations`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer onlyb" },
      body: JSON.stringify({ prompt: "x", provider: "A" }),
    });
    expect([403, 503]).toContain(res.status); // no image provider here: refused either way, never served by A
  });

  it("a provider-scoped key is not told of the providers it may not use", async () => {
    const res = await chat("onlyb", { model: "cheap" });
    const body = (await res.json()) as any;
    expect(res.status).toBe(200);
    expect(body.provider).toBe("Any");
    const refused = await chat("onlyb", { model: "cheap", provider: "A" });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as any).error.code).toBe("provider_not_allowed");
  });
});

describe("what a scoped key may see", () => {
  const get = async (key: string, path: string) => {
    const res = await fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
    return { status: res.status, body: (await res.json()) as any };
  };

  it("/v1/providers and /v1/providers/{id} show only the providers and models the key may use", async () => {
    const list = await get("onlyb", "/v1/providers");
    expect(list.body.map((p: any) => p.id)).toEqual(["B", "Any"]);
    expect((await get("onlyb", "/v1/providers/A")).status).toBe(404);
    expect((await get("onlyb", "/v1/providers/B")).status).toBe(200);
    const cheap = await get("cheap", "/v1/providers");
    expect(cheap.body.find((p: any) => p.id === "C").models).toEqual(["cheap"]);
    expect(cheap.body.find((p: any) => p.id === "B").models).toEqual([]);
    expect((await get("cheap", "/v1/providers/C")).body.models).toEqual(["cheap"]);
  });

  it("/v1/models lists only the models (and providers) the key may use", async () => {
    const models = await get("cheap", "/v1/models");
    expect(models.body.data.map((m: any) => m.id)).toEqual(["cheap"]);
    const b = await get("onlyb", "/v1/models");
    expect(b.body.data.map((m: any) => m.id)).toEqual(["expensive"]);
    expect(b.body.data[0].providers).toEqual(["B"]);
    const open = await get("nobody", "/v1/models");
    expect(open.body.data.map((m: any) => m.id).sort()).toEqual(["cheap", "expensive"]);
  });
});
