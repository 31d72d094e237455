import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtinAdapters } from "../adapters/builtin.js";
import { normalizeProvider } from "../config/load.js";
import { hang, openaiCompletion, sendJson, startFakeServer, type FakeServer } from "../test-support/fake-server.js";
import { ProviderRegistry } from "./registry.js";
import { probeProvider } from "./probe.js";

let ok: FakeServer, refusing: FakeServer, silent: FakeServer;
const seen: Array<{ url: string; body: any }> = [];

beforeAll(async () => {
  ok = await startFakeServer((req, res, body) => {
    seen.push({ url: req.url!, body });
    if (req.url!.endsWith("/embeddings")) return sendJson(res, 200, { data: [{ index: 0, embedding: [0.1, 0.2, 0.3] }], usage: { prompt_tokens: 1 } });
    sendJson(res, 200, openaiCompletion("OK", "upstream-model-1"));
  });
  // An upstream that repeats the credential it was sent, as some 401s do.
  refusing = await startFakeServer((req, res) => sendJson(res, 401, { error: { message: `Incorrect API key provided: ${req.headers.authorization}` } }));
  silent = await startFakeServer(hang);
});
afterAll(async () => {
  await Promise.all([ok, refusing, silent].map((s) => s?.close()));
});

function runtime(entry: Record<string, unknown>) {
  const registry = new ProviderRegistry(builtinAdapters);
  return registry.upsert(normalizeProvider({ id: "p", type: "openai", ...entry }));
}

describe("probeProvider", () => {
  it("makes one small chat call to the first concrete model and says what came back", async () => {
    const result = await probeProvider(runtime({ base_url: `${ok.url}/v1`, models: ["*", { id: "fast", upstream: "real-fast" }] }));
    expect(result).toMatchObject({ ok: true, capability: "chat", model: "upstream-model-1", detail: "answered: OK" });
    expect(seen.at(-1)!.body).toMatchObject({ model: "real-fast", max_tokens: 16, messages: [{ role: "user", content: "Say OK." }] });
  });

  it("embeds one word on a provider with only embedding models", async () => {
    const result = await probeProvider(runtime({ base_url: `${ok.url}/v1`, embedding_models: ["emb"] }));
    expect(result).toMatchObject({ ok: true, capability: "embeddings", model: "emb", detail: "a vector of 3 dimensions" });
  });

  it("reports the upstream's refusal with its status, the key redacted", async () => {
    const result = await probeProvider(runtime({ base_url: `${refusing.url}/v1`, api_key: "sk-probe-secret-123456", models: ["m"] }));
    expect(result).toMatchObject({ ok: false, capability: "chat", status: 401 });
    expect(result.detail).toContain("Incorrect API key provided");
    expect(result.detail).not.toContain("sk-probe-secret-123456");
  });

  it("gives up at the provider's own total timeout", async () => {
    const result = await probeProvider(runtime({ base_url: `${silent.url}/v1`, models: ["m"], timeouts: { total_ms: 300, first_byte_ms: 5000 } }));
    expect(result.ok).toBe(false);
    expect(result.latencyMs).toBeLessThan(3000);
  });

  it("says why when there is nothing to test", async () => {
    expect((await probeProvider(runtime({ base_url: `${ok.url}/v1`, models: ["*"] }))).detail).toMatch(/lists only "\*"/);
    expect((await probeProvider(runtime({ base_url: `${ok.url}/v1`, image_models: ["img"] }))).detail).toMatch(/image and audio models are not probed/);
  });
});
