/** Image generation end to end: fake OpenAI-style and Hugging Face upstreams behind a real gateway. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeServer, sendJson, type FakeServer } from "../test-support/fake-server.js";
import { startTestGateway, type TestGateway } from "../test-support/gateway.js";

// Small but real images: PNG and JPEG signatures followed by filler.
const png = (seed: number) => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, seed)]);
const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 7)]);

let oai: FakeServer, oai2: FakeServer, hf: FakeServer, gw: TestGateway, bare: TestGateway;

beforeAll(async () => {
  oai = await startFakeServer(() => undefined);
  oai2 = await startFakeServer(() => undefined);
  hf = await startFakeServer((req, res, body) => {
    res.writeHead(200, { "content-type": "image/jpeg" });
    res.end(Buffer.concat([jpeg, Buffer.from(String(body.parameters?.seed ?? ""))]));
  });
  gw = await startTestGateway(
    `providers:
  - { id: dalle, type: openai, base_url: "${oai.url}/v1", api_key: sk-img, models: [], image_models: [dall-e-3], prices: { dall-e-3: { per_image: 0.04 } } }
  - { id: together, type: openai, base_url: "${oai2.url}/v1", image_models: [dall-e-3, flux-pro] }
  - { id: hf, type: huggingface, base_url: "${hf.url}/models", api_key: hf-secret, image_models: [{ id: flux, upstream: black-forest-labs/FLUX.1-schnell }] }
`,
    // The fake provider serves its image links from 127.0.0.1: allow-listed, as PROVIDER_URL_ALLOWLIST would.
    { media: { dir: mkdtempSync(join(tmpdir(), "media-")) }, urlAllowList: [new URL(oai.url).host] },
  );
  bare = await startTestGateway(`providers:\n  - { id: chatonly, type: openai, base_url: "${oai.url}/v1", models: [m] }\n`);
});
afterAll(async () => {
  await Promise.all([gw.close(), bare.close(), oai.close(), oai2.close(), hf.close()]);
});

const gen = (body: Record<string, unknown>, path = "/v1/images/generate", headers: Record<string, string> = {}) =>
  fetch(`${gw.url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

describe("images", () => {
  it("returns gateway-served URLs whose bytes are the provider's image (OpenAI-style b64)", async () => {
    oai.handle((_q, res, body) =>
      sendJson(res, 200, {
        created: 1,
        data: Array.from({ length: body.n }, (_, i) => ({ b64_json: png(i).toString("base64"), revised_prompt: "a better prompt" })),
      }),
    );
    const res = await gen({ prompt: "a cat", model: "dall-e-3", provider: "dalle", n: 2, size: "1024x1024", quality: "hd" });
    expect(res.status).toBe(200);
    // Two images at the configured $0.04 each.
    expect(res.headers.get("x-interference-cost")).toBe("0.08");
    const body: any = await res.json();
    expect(body).toMatchObject({ provider: "dalle", model: "dall-e-3", created: expect.any(Number) });
    expect(body.data).toHaveLength(2);
    expect(oai.requests.at(-1)!.body).toEqual({ model: "dall-e-3", prompt: "a cat", n: 2, size: "1024x1024", quality: "hd", response_format: "b64_json" });
    expect(oai.requests.at(-1)!.headers.authorization).toBe("Bearer sk-img");
    for (const [i, item] of body.data.entries()) {
      expect(item.url).toMatch(new RegExp(`^${gw.url}/media/[A-Za-z0-9_-]{22}\\.png$`));
      expect(item.revised_prompt).toBe("a better prompt");
      const img = await fetch(item.url);
      expect(img.headers.get("content-type")).toBe("image/png");
      expect(img.headers.get("cache-control")).toContain("immutable");
      expect(Buffer.from(await img.arrayBuffer())).toEqual(png(i));
    }
  });

  it("downloads provider links itself and answers b64_json when asked (OpenAI's path)", async () => {
    oai.handle((req, res) => {
      if (req.url === "/files/cat.png") {
        res.writeHead(200, { "content-type": "image/png" });
        res.end(png(9));
      } else sendJson(res, 200, { data: [{ url: `${oai.url}/files/cat.png` }] });
    });
    const body: any = await (
      await gen({ prompt: "a cat", model: "dall-e-3", provider: "dalle", response_format: "b64_json" }, "/v1/images/generations")
    ).json();
    expect(Buffer.from(body.data[0].b64_json, "base64")).toEqual(png(9));
  });

  it("fails over between image providers, including on a non-image answer", async () => {
    oai.handle((_q, res) => sendJson(res, 500, { error: { message: "down" } }));
    oai2.handle((_q, res) => sendJson(res, 200, { data: [{ b64_json: png(3).toString("base64") }] }));
    let body: any = await (await gen({ prompt: "x", model: "dall-e-3", provider: "dalle together" })).json();
    expect(body.provider).toBe("together");
    oai.handle((_q, res) => sendJson(res, 200, { data: [{ b64_json: Buffer.from("<html>oops</html>").toString("base64") }] }));
    body = await (await gen({ prompt: "x", model: "dall-e-3", provider: "dalle together" })).json();
    expect(body.provider).toBe("together");
  });

  it("serves Hugging Face image bytes, the flux alias and seeds per image", async () => {
    const body: any = await (
      await gen({ prompt: "a futuristic cityscape", model: "flux", provider: "hf", n: 2, seed: 40, size: "512x768", negative_prompt: "blur" })
    ).json();
    expect(body).toMatchObject({ provider: "hf", model: "black-forest-labs/FLUX.1-schnell" });
    expect(hf.requests.map((r) => r.path)).toEqual(["/models/black-forest-labs/FLUX.1-schnell", "/models/black-forest-labs/FLUX.1-schnell"]);
    expect(hf.requests.map((r) => r.body.parameters.seed).sort()).toEqual([40, 41]);
    expect(hf.requests[0]!.body).toMatchObject({ inputs: "a futuristic cityscape", parameters: { width: 512, height: 768, negative_prompt: "blur" } });
    expect(hf.requests[0]!.headers.authorization).toBe("Bearer hf-secret");
    const bytes = await Promise.all(body.data.map(async (d: any) => Buffer.from(await (await fetch(d.url)).arrayBuffer())));
    expect(bytes.map((b) => b.subarray(-2).toString())).toEqual(expect.arrayContaining(["40", "41"]));
    expect(body.data[0].url).toMatch(/\.jpg$/);
  });

  it("400s a parameter the provider does not take, naming it", async () => {
    const res = await gen({ prompt: "x", model: "flux", provider: "hf", style: "vivid" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toMatchObject({ code: "unsupported_parameter", param: "style" });
  });

  it("builds URLs from PUBLIC_URL-less proxies' forwarded headers", async () => {
    oai2.handle((_q, res) => sendJson(res, 200, { data: [{ b64_json: png(1).toString("base64") }] }));
    const body: any = await (
      await gen({ prompt: "x", model: "flux-pro" }, "/v1/images/generate", { "x-forwarded-proto": "https", "x-forwarded-host": "ai.example.com" })
    ).json();
    expect(body.data[0].url).toMatch(/^https:\/\/ai\.example\.com\/media\//);
  });

  it("answers bad requests and unknown media with JSON errors", async () => {
    expect((await gen({ model: "flux" })).status).toBe(400);
    expect((await gen({ prompt: "x", size: "huge" })).status).toBe(400);
    for (const path of ["/media/AAAAAAAAAAAAAAAAAAAAAA.png", "/media/..%2F..%2Fetc%2Fpasswd", "/media/x.png"]) {
      const res = await fetch(gw.url + path);
      expect(res.status).toBe(404);
      expect(((await res.json()) as any).error.code).toBe("media_not_found");
    }
  });

  it("holds a key's budget: reserves n images at the dearest price, never served by an unpriced image model", async () => {
    oai.handle((_q, res, body) =>
      sendJson(res, 200, { created: 1, data: Array.from({ length: body.n ?? 1 }, (_, i) => ({ b64_json: png(i).toString("base64") })) }),
    );
    const budgeted = await startTestGateway(
      `providers:
  - { id: dalle, type: openai, base_url: "${oai.url}/v1", image_models: [dall-e-3], prices: { dall-e-3: { per_image: 0.04 } } }
  - { id: together, type: openai, base_url: "${oai.url}/v1", image_models: [dall-e-3] }
`,
      {
        media: { dir: mkdtempSync(join(tmpdir(), "media-")) },
        authenticate: async () => ({ keyId: "k", budgets: [{ owner: "key", ownerId: "k", period: "total", limit: 0.1 }] }),
      },
    );
    try {
      const post = (body: Record<string, unknown>) =>
        fetch(`${budgeted.url}/v1/images/generations`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      // $0.08 reserved and spent, then $0.08 more (0.08 < 0.1 when it starts), then refused.
      for (const expected of [200, 200, 429])
        expect((await post({ prompt: "a cat", model: "dall-e-3", n: 2, response_format: "b64_json" })).status).toBe(expected);
      const unpriced = await post({ prompt: "a cat", model: "dall-e-3", provider: "together" });
      expect(unpriced.status).toBe(403);
      expect(((await unpriced.json()) as any).error.code).toBe("model_not_priced");
    } finally {
      await budgeted.close();
    }
  });

  it("explains how to configure one when no image provider exists", async () => {
    const res = await fetch(`${bare.url}/v1/images/generations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: "x" }),
    });
    expect(res.status).toBe(503);
    const body: any = await res.json();
    expect(body.error.code).toBe("no_image_provider");
    expect(body.error.message).toContain("interference.yaml");
  });
});
