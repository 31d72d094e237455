/**
 * Token limits through the real gateway: concurrent streams reserve before any of them finishes, a stream the
 * client cuts is counted for what it delivered, and a refused request's log row names its key.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openaiChunkEvents, sendSse, startFakeServer, type FakeServer } from "../test-support/fake-server.js";
import { startTestGateway, type TestGateway } from "../test-support/gateway.js";
import { MemoryRateLimiter } from "./limiter.js";
import type { RequestLogEntry } from "../logging/types.js";

class CountingLimiter extends MemoryRateLimiter {
  settled: number[] = [];
  reserved: number[] = [];
  override reserveTokens(key: string, tokens: number, tpm: number): Promise<number> {
    this.reserved.push(tokens);
    return super.reserveTokens(key, tokens, tpm);
  }
  override addTokens(key: string, tokens: number, window: number): void {
    this.settled.push(tokens);
    super.addTokens(key, tokens, window);
  }
}

let up: FakeServer, gw: TestGateway;
const limiter = new CountingLimiter();
const logs: RequestLogEntry[] = [];
const words = (n: number) => Array.from({ length: n }, (_, i) => `word${i} `);

beforeAll(async () => {
  up = await startFakeServer((_q, res, body) =>
    body.model === "long"
      ? sendSse(res, openaiChunkEvents(words(200), "long", false), { gapMs: 10 })
      : sendSse(res, openaiChunkEvents(words(5)), { gapMs: 20 }),
  );
  gw = await startTestGateway(`providers:\n  - { id: up, type: openai, base_url: "${up.url}/v1", models: [m, long] }\n`, {
    rateLimiter: limiter,
    logSink: { write: (e) => logs.push(e) },
    authenticate: async (h) =>
      h.authorization === "Bearer tpm"
        ? { keyId: "k_tpm", limits: { rpm: null, tpm: 1000 } }
        : h.authorization === "Bearer cut"
          ? { keyId: "k_cut", limits: { rpm: null, tpm: 100_000 } }
          : { keyId: "k_rpm", limits: { rpm: 1, tpm: null } },
  });
});
afterAll(async () => {
  await gw.close();
  await up.close();
});

const stream = (key: string, body: Record<string, unknown>, signal?: AbortSignal) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    signal,
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: "m", stream: true, messages: [{ role: "user", content: "hi" }], ...body }),
  });

describe("tokens per minute", () => {
  it("8 concurrent streams on a TPM 1000 key: each reserves when it starts, so at most one estimate overshoots", async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () => stream("tpm", { max_tokens: 200 }).then(async (r) => ({ status: r.status, text: await r.text() }))),
    );
    const served = results.filter((r) => r.status === 200).length;
    expect(served).toBe(5); // 0, 210, 420, 630, 840 before each: under 1000; the sixth finds 1050
    expect(results.filter((r) => r.status === 429).length).toBe(3);
    expect(results.find((r) => r.status === 429)!.text).toContain("1000 tokens per minute");
    // The five settled on their real usage (5 prompt + 5 completion tokens each) instead of the reservation.
    expect(limiter.settled.filter((t) => t < 0)).toHaveLength(5);
  });

  it("counts what a stream the client cut delivered, though no usage ever came", async () => {
    limiter.settled.length = 0;
    limiter.reserved.length = 0;
    const ac = new AbortController();
    const res = await stream("cut", { model: "long" }, ac.signal);
    const reader = res.body!.getReader();
    let got = "";
    while (!got.includes("word20 ")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended early: ${got}`);
      got += new TextDecoder().decode(value);
    }
    ac.abort();
    await new Promise((r) => setTimeout(r, 200));
    const [reserved] = limiter.reserved;
    const [settlement] = limiter.settled;
    expect(reserved).toBeGreaterThan(512); // prompt estimate + the default completion reserve (512)
    const used = reserved! + settlement!;
    expect(used).toBeGreaterThan(20); // at least the ~21 words ("wordN " ~ 1.5 tokens each) it sent
    expect(used).toBeLessThan(200);
    const row = logs.at(-1)!;
    expect(row.status).toBe(499);
    expect(row.apiKeyId).toBe("k_cut");
  });

  it("a request refused with 429 leaves a log row that names its key", async () => {
    await (await stream("rpm", {})).text();
    const refused = await stream("rpm", {});
    expect(refused.status).toBe(429);
    await new Promise((r) => setTimeout(r, 20));
    const row = logs.at(-1)!;
    expect(row.status).toBe(429);
    expect(row.apiKeyId).toBe("k_rpm");
  });
});
