/**
 * A compromised or broken upstream: it echoes the credential it was sent, answers with endless error bodies or an
 * SSE line that never ends. The gateway reads a bounded amount, answers its client, and leaks no key.
 */
import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openaiChunkEvents, openaiCompletion, sendJson, sendSse, startFakeServer, type FakeServer } from "./test-support/fake-server.js";
import { startTestGateway, type TestGateway } from "./test-support/gateway.js";
import type { RequestLogEntry } from "./logging/types.js";
import { LIMITS } from "./upstream/client.js";

const KEY = "sk-live-0123456789abcdefSECRET";
let up: FakeServer, good: FakeServer, gw: TestGateway;
const logs: RequestLogEntry[] = [];
/** Bytes the upstream managed to write before the gateway hung up. */
let written = 0;

/** Writes `chunk` until the client stops reading or `max` bytes are out; returns when the socket closes. */
async function flood(res: ServerResponse, chunk: Buffer, max: number): Promise<void> {
  written = 0;
  await new Promise<void>((resolve) => {
    res.on("close", resolve);
    const pump = () => {
      while (written < max && !res.destroyed) {
        written += chunk.length;
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
      res.end();
    };
    pump();
  });
}

beforeAll(async () => {
  up = await startFakeServer(() => undefined);
  good = await startFakeServer((_q, res, body) => (body?.stream ? sendSse(res, openaiChunkEvents(["fine"])) : sendJson(res, 200, openaiCompletion("fine"))));
  gw = await startTestGateway(
    `retries: { max: 0 }
providers:
  - { id: up, type: openai, base_url: "${up.url}/v1", api_key: "${KEY}", models: [m] }
  - { id: good, type: openai, base_url: "${good.url}/v1", models: [m] }
`,
    { logSink: { write: (e) => logs.push(e) } },
  );
});
afterAll(async () => {
  await gw.close();
  await up.close();
  await good.close();
});

const chat = (body: Record<string, unknown>) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], ...body }),
  });

describe("a hostile upstream", () => {
  it("never gets its echo of the provider key to the client or the log", async () => {
    up.handle((req, res) =>
      sendJson(res, 401, {
        error: { message: `Incorrect API key provided: ${req.headers.authorization}. Also ${KEY}.`, type: "invalid_request_error", code: "invalid_api_key" },
      }),
    );
    const res = await chat({ provider: "up" });
    const text = await res.text();
    expect(res.status).toBe(502);
    expect(text).toContain("Incorrect API key provided");
    expect(text).not.toContain("SECRET");
    expect(text).not.toContain("0123456789abcdef");
    const row = logs.at(-1)!;
    expect(JSON.stringify(row)).not.toContain("SECRET");
  });

  it("reads a few KB of a 300 MB error body, then answers (failing over)", async () => {
    up.handle(async (_q, res) => {
      res.writeHead(500, { "content-type": "application/json" });
      await flood(res, Buffer.alloc(64 * 1024, "x"), 300 * 1024 * 1024);
    });
    const res = await chat({ provider: "up good" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).provider).toBe("good");
    await new Promise((r) => setTimeout(r, 100));
    expect(written).toBeLessThan(32 * 1024 * 1024); // what the sockets' buffers hold, not 300 MB
    expect(logs.at(-1)!.attempts[0]!.reason!.length).toBeLessThan(400);
  });

  it("fails an attempt whose SSE line never ends, instead of holding it whole", async () => {
    up.handle(async (_q, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: ");
      await flood(res, Buffer.alloc(64 * 1024, "a"), 300 * 1024 * 1024);
    });
    const res = await chat({ provider: "up good", stream: true });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toContain('"provider":"good"');
    expect(text).not.toContain("aaaa");
    await new Promise((r) => setTimeout(r, 100));
    expect(written).toBeLessThan(40 * 1024 * 1024);
    expect(logs.at(-1)!.attempts[0]!.reason).toMatch(/stream event larger than/);
  });

  it("refuses a JSON answer larger than the cap announced by Content-Length", async () => {
    up.handle((_q, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(200 * 1024 * 1024) });
      res.write("{");
      setTimeout(() => res.destroy(), 200);
    });
    const res = await chat({ provider: "up good" });
    expect(res.status).toBe(200);
    expect(logs.at(-1)!.attempts[0]!.reason).toMatch(/larger than/);
  });

  it("counts the bytes of a JSON answer sent without Content-Length, and stops at the cap", async () => {
    const cap = LIMITS.jsonBytes;
    LIMITS.jsonBytes = 1024 * 1024; // the real cap is 64 MB: the same code path, smaller numbers
    try {
      up.handle(async (_q, res) => {
        res.writeHead(200, { "content-type": "application/json" }); // chunked
        res.write('{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"');
        await flood(res, Buffer.alloc(64 * 1024, "a"), 300 * 1024 * 1024);
      });
      const res = await chat({ provider: "up good" });
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).provider).toBe("good");
      expect(logs.at(-1)!.attempts[0]!.reason).toMatch(/larger than 1048576 bytes/);
      await new Promise((r) => setTimeout(r, 100));
      expect(written).toBeLessThan(16 * 1024 * 1024);
    } finally {
      LIMITS.jsonBytes = cap;
    }
  });
});
