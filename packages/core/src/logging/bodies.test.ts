import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { openaiChunkEvents, openaiCompletion, sendJson, sendSse, startFakeServer, type FakeServer } from "../test-support/fake-server.js";
import { startTestGateway, type TestGateway } from "../test-support/gateway.js";
import type { RequestBodies } from "./bodies.js";
import type { RequestLogEntry } from "./types.js";

let upstream: FakeServer, gw: TestGateway, off: TestGateway;
const bodies: RequestBodies[] = [];
const rows: RequestLogEntry[] = [];
const offRows: RequestLogEntry[] = [];
const PROVIDER_KEY = "sk-provider-secret-abcdef123";

beforeAll(async () => {
  upstream = await startFakeServer((req, res, body) => {
    if (req.url!.includes("/audio/transcriptions")) return sendJson(res, 200, { text: "hello there" });
    // An upstream that repeats its own key in an answer.
    if (body?.stream) return sendSse(res, openaiChunkEvents(["streamed ", "answer ", PROVIDER_KEY]));
    sendJson(res, 200, openaiCompletion(`long answer ${"x".repeat(1500)}`));
  });
  const yaml = `providers:
  - { id: up, type: openai, base_url: "${upstream.url}/v1", api_key: ${PROVIDER_KEY}, models: [m], audio_models: [whisper-1] }
`;
  gw = await startTestGateway(yaml, {
    logSink: { write: (e) => void rows.push(e) },
    bodies: { sink: { write: (b) => void bodies.push(b) }, maxChars: 1000, secrets: () => [PROVIDER_KEY] },
  });
  off = await startTestGateway(yaml, { logSink: { write: (e) => void offRows.push(e) } });
});
afterAll(async () => {
  await gw?.close();
  await off?.close();
  await upstream?.close();
});

const bodiesOf = async (id: string) => {
  for (let i = 0; i < 50 && !bodies.some((b) => b.id === id); i++) await new Promise((r) => setTimeout(r, 10));
  return bodies.find((b) => b.id === id)!;
};

describe("request and response bodies", () => {
  it("keeps a JSON request and its answer, cut at the cap, credentials redacted", async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "x" });
    await client.chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "my key is sk-user-leaked-0123456789, use it" }],
      // A field named like a secret, passed through as an extra body parameter.
      ...({ metadata_api_key: "plain-value-not-token-shaped" } as object),
    });
    const row = rows.at(-1)!;
    const saved = await bodiesOf(row.id);
    expect(saved.time).toEqual(row.time);
    expect(saved.request).toContain('"content":"my key is [redacted], use it"');
    expect(saved.request).toContain('"metadata_api_key":"[redacted]"');
    expect(saved.request).not.toContain("plain-value-not-token-shaped");
    expect(saved.response).toContain("long answer xxx");
    expect(saved.response!.length).toBeLessThanOrEqual(1001);
    expect(saved.truncated).toBe(true);
  });

  it("stores the secrets people paste into prompts redacted: AWS keys, GitHub tokens, JWTs, PEM private keys", async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "x" });
    const pasted = [
      "AKIA2E0A8F3B244C9986",
      "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",
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV",
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----",
    ];
    await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: `why does this fail? ${pasted.join(" ")}` }] });
    const saved = await bodiesOf(rows.at(-1)!.id);
    expect(saved.request).toContain("why does this fail? [redacted] [redacted] [redacted] [redacted]");
    for (const secret of pasted) expect(saved.request).not.toContain(secret.slice(0, 24));
  });

  it("copies a stream as it passes and stores it when it ends, the provider's key redacted", async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "x" });
    let text = "";
    for await (const chunk of await client.chat.completions.create({ model: "m", stream: true, messages: [{ role: "user", content: "hi" }] })) {
      text += chunk.choices[0]?.delta.content ?? "";
    }
    expect(text).toBe(`streamed answer ${PROVIDER_KEY}`); // the client gets the answer as the provider sent it
    const saved = await bodiesOf(rows.at(-1)!.id);
    expect(saved.response).toContain("data: ");
    expect(saved.response).toContain("streamed ");
    expect(saved.response).not.toContain(PROVIDER_KEY);
  });

  it("describes audio instead of storing it, and keeps error answers", async () => {
    const form = new FormData();
    form.set("file", new Blob([new Uint8Array(2048)], { type: "audio/wav" }), "a.wav");
    form.set("model", "whisper-1");
    const res = await fetch(`${gw.url}/v1/audio/transcriptions`, { method: "POST", body: form });
    expect(res.status).toBe(200);
    const audio = await bodiesOf(rows.at(-1)!.id);
    expect(audio.request).toMatch(/^\[\d+ bytes of multipart\/form-data not stored\]$/);
    expect(audio.response).toContain("hello there");

    const bad = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"model":"nope"' });
    expect(bad.status).toBe(400);
    // Every logged answer names its log row, errors included.
    expect(bad.headers.get("x-request-id")).toBe(rows.at(-1)!.id);
    expect(res.headers.get("x-request-id")).toBe(rows.at(-2)!.id);
    const refused = await bodiesOf(rows.at(-1)!.id);
    expect(refused.request).toBe('{"model":"nope"');
    expect(JSON.parse(refused.response!).error.type).toBe("invalid_request_error");
  });

  it("stores nothing when off (the default)", async () => {
    const before = bodies.length;
    const res = await fetch(`${off.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(200);
    expect(offRows).toHaveLength(1);
    expect(bodies.length).toBe(before);
  });
});
