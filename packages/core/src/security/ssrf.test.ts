/**
 * Image links a provider returns are untrusted URLs: the gateway fetches them only at public addresses (the
 * address actually connected to, DNS resolved once), refuses redirects, caps the bytes, and never relays what the
 * link's server said.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendJson, startFakeServer, type FakeServer } from "../test-support/fake-server.js";
import { startTestGateway, type TestGateway } from "../test-support/gateway.js";

const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]);
let provider: FakeServer, internal: FakeServer, gw: TestGateway;
let allowedPort = 0;
let resolved: string[] = [];

beforeAll(async () => {
  internal = await startFakeServer((req, res) => {
    if (req.url === "/secret.png") {
      res.writeHead(200, { "content-type": "image/png" });
      res.end(png);
    } else sendJson(res, 404, { error: "internal-only detail: db password is hunter2" });
  });
  provider = await startFakeServer(() => undefined);
  allowedPort = Number(new URL(provider.url).port);
  gw = await startTestGateway(
    `retries: { max: 0 }
circuit_breaker: { failure_threshold: 1000 }
providers:
  - { id: img, type: openai, base_url: "${provider.url}/v1", image_models: [m] }
`,
    {
      media: { dir: mkdtempSync(join(tmpdir(), "media-")) },
      // The provider's own host is allow-listed (a local image server); the internal one is not.
      urlAllowList: [`127.0.0.1:${allowedPort}`],
      // A name that resolves to loopback, as a rebinding attacker's DNS would answer at connect time.
      resolveAddress: async (host) => {
        resolved.push(host);
        return host === "rebind.example" ? [{ address: "127.0.0.1", family: 4 }] : [{ address: "10.0.0.7", family: 4 }];
      },
    },
  );
});
afterAll(async () => {
  await gw.close();
  await provider.close();
  await internal.close();
});

const gen = async (link: string) => {
  provider.handle((req, res) => {
    if (req.url?.startsWith("/v1/")) sendJson(res, 200, { data: [{ url: link }] });
    else if (req.url === "/redirect") {
      res.writeHead(302, { location: `${internal.url}/secret.png` });
      res.end();
    } else if (req.url === "/huge.png") {
      res.writeHead(200, { "content-type": "image/png" });
      res.write(png);
      const chunk = Buffer.alloc(1024 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 400 && !res.destroyed) {
          sent++;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      res.on("close", () => (hugeSentMb = sent));
      pump();
    } else {
      res.writeHead(200, { "content-type": "image/png" });
      res.end(png);
    }
  });
  const res = await fetch(`${gw.url}/v1/images/generations`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ prompt: "x", response_format: "b64_json" }),
  });
  return { status: res.status, body: (await res.json()) as any };
};
let hugeSentMb = 0;
const internalPort = () => Number(new URL(internal.url).port);

describe("image links are fetched through the guard", () => {
  it("refuses a link to a loopback address and relays nothing of it", async () => {
    internal.requests.length = 0;
    const { status, body } = await gen(`http://127.0.0.1:${internalPort()}/secret.png`);
    expect(status).toBe(502);
    expect(JSON.stringify(body)).toMatch(/internal address/);
    expect(internal.requests.length).toBe(0);
  });

  it("checks the address connected to: a name resolving to loopback or a private range is refused", async () => {
    internal.requests.length = 0;
    resolved = [];
    let { status, body } = await gen(`http://rebind.example:${internalPort()}/secret.png`);
    expect(status).toBe(502);
    expect(JSON.stringify(body)).toMatch(/rebind\.example resolves to 127\.0\.0\.1/);
    ({ status, body } = await gen(`http://intranet.example:${internalPort()}/secret.png`));
    expect(status).toBe(502);
    expect(JSON.stringify(body)).toMatch(/10\.0\.0\.7/);
    expect(resolved).toEqual(["rebind.example", "intranet.example"]); // once each: the lookup is the connection's
    expect(internal.requests.length).toBe(0);
  });

  it("refuses IPv4-mapped IPv6 and other spellings of internal addresses", async () => {
    for (const host of ["[::ffff:127.0.0.1]", "[::1]", "0.0.0.0", "169.254.169.254"]) {
      const { status } = await gen(`http://${host}:${internalPort()}/secret.png`);
      expect(status).toBe(502);
    }
    expect(internal.requests.length).toBe(0);
  });

  it("does not follow redirects, even from an allow-listed host", async () => {
    internal.requests.length = 0;
    const { status, body } = await gen(`${provider.url}/redirect`);
    expect(status).toBe(502);
    expect(JSON.stringify(body)).toMatch(/redirect/);
    expect(internal.requests.length).toBe(0);
  });

  it("never relays the body a link's server answered with", async () => {
    const res = await startFakeServer((_q, r) => sendJson(r, 404, { error: "internal-only detail: db password is hunter2" }));
    const port = Number(new URL(res.url).port);
    const g = await startTestGateway(`providers:\n  - { id: img, type: openai, base_url: "${provider.url}/v1", image_models: [m] }\n`, {
      media: { dir: mkdtempSync(join(tmpdir(), "media-")) },
      urlAllowList: [`127.0.0.1:${allowedPort}`, `127.0.0.1:${port}`],
    });
    provider.handle((_q, r) => sendJson(r, 200, { data: [{ url: `${res.url}/missing.png` }] }));
    const out = await fetch(`${g.url}/v1/images/generations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: "x" }),
    });
    const text = await out.text();
    expect(out.status).toBe(502);
    expect(text).toContain("image link answered HTTP 404");
    expect(text).not.toContain("hunter2");
    await g.close();
    await res.close();
  });

  it("stops reading an image link at the media limit (25 MB), not at 400 MB", async () => {
    const { status, body } = await gen(`${provider.url}/huge.png`);
    expect(status).toBe(502);
    expect(JSON.stringify(body)).toMatch(/larger than 26214400 bytes/);
    await new Promise((r) => setTimeout(r, 100));
    expect(hugeSentMb).toBeLessThan(60);
  });

  it("fetches an allow-listed link", async () => {
    const { status, body } = await gen(`${provider.url}/ok.png`);
    expect(status).toBe(200);
    expect(Buffer.from(body.data[0].b64_json, "base64")).toEqual(png);
  });
});

describe("providers saved from the dashboard connect through the guard too", () => {
  it("refuses at connect time what the save-time check could not see, unless allow-listed", async () => {
    const upstream = await startFakeServer((_q, res) =>
      sendJson(res, 200, {
        id: "x",
        object: "chat.completion",
        created: 1,
        model: "m",
        choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
      }),
    );
    const yaml = `retries: { max: 0 }\nproviders:\n  - { id: dash, type: openai, base_url: "${upstream.url}/v1", models: [m] }\n  - { id: file, type: openai, base_url: "${upstream.url}/v1", models: [m] }\n`;
    const guarded = await startTestGateway(yaml, { untrustedProviders: ["dash"] });
    const allowed = await startTestGateway(yaml, { untrustedProviders: ["dash"], urlAllowList: [new URL(upstream.url).host] });
    const chat = (g: TestGateway, provider: string) =>
      fetch(`${g.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", provider, messages: [{ role: "user", content: "x" }] }),
      });
    try {
      const refused = await chat(guarded, "dash");
      expect(refused.status).toBe(502);
      expect(await refused.text()).toMatch(/internal address/);
      expect(upstream.requests.length).toBe(0);
      expect((await chat(guarded, "file")).status).toBe(200); // the config file's own URLs are trusted
      expect((await chat(allowed, "dash")).status).toBe(200);
      expect(guarded.gateway.registry.get("dash")!.trusted).toBe(false);
    } finally {
      await guarded.close();
      await allowed.close();
      await upstream.close();
    }
  });
});
