/**
 * The audio routes through a real gateway with the official openai SDK, against fake OpenAI-compatible upstreams
 * that read the multipart upload as OpenAI would: a real WAV file generated here, every field passed on, failover
 * with the same bytes, the formats passed through, speech streamed as it comes, limits and errors.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../test-support/gateway.js";
import type { RequestLogEntry } from "../logging/types.js";

/** One second of a 440 Hz tone: 16 kHz, 16-bit PCM, mono, in a RIFF/WAVE container. */
function wav(seconds = 1, rate = 16_000): Buffer {
  const samples = seconds * rate;
  const out = Buffer.alloc(44 + samples * 2);
  out.write("RIFF", 0);
  out.writeUInt32LE(36 + samples * 2, 4);
  out.write("WAVEfmt ", 8);
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(1, 22); // mono
  out.writeUInt32LE(rate, 24);
  out.writeUInt32LE(rate * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write("data", 36);
  out.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) out.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 12_000), 44 + i * 2);
  return out;
}

interface Seen {
  path: string;
  headers: IncomingMessage["headers"];
  fields: Record<string, string[]>;
  file: { name: string; type: string; bytes: Buffer } | null;
  json: any;
}
type Handler = (seen: Seen, res: ServerResponse) => void | Promise<void>;

/** An upstream that reads uploads with the same multipart parser fetch uses, and remembers what it got. */
async function fakeAudioServer(handler: Handler) {
  const seen: Seen[] = [];
  let current = handler;
  const server = createServer((req, res) => void serve(req, res));
  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const entry: Seen = { path: req.url!, headers: req.headers, fields: {}, file: null, json: null };
    if (/multipart/.test(req.headers["content-type"] ?? "")) {
      const form = await new Response(raw, { headers: { "content-type": req.headers["content-type"]! } }).formData();
      for (const [k, v] of form.entries()) {
        if (typeof v === "string") (entry.fields[k] ??= []).push(v);
        else entry.file = { name: v.name, type: v.type, bytes: Buffer.from(await v.arrayBuffer()) };
      }
    } else entry.json = raw.length ? JSON.parse(raw.toString()) : null;
    seen.push(entry);
    await current(entry, res);
  }
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    handle: (h: Handler) => (current = h),
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

/** Answers as OpenAI does: the transcript in the format asked for. */
const transcriber =
  (text: string): Handler =>
  (seen, res) => {
    const format = seen.fields.response_format?.[0] ?? "json";
    if (format === "text") return void (res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }), res.end(`${text}\n`));
    if (format === "srt")
      return void (res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }), res.end(`1\n00:00:00,000 --> 00:00:01,000\n${text}\n`));
    if (format === "vtt")
      return void (res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }), res.end(`WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n${text}\n`));
    const body = format === "verbose_json" ? { task: "transcribe", language: "english", duration: 1, text, segments: [], words: [] } : { text };
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };

const WAV = wav();
let primary: Awaited<ReturnType<typeof fakeAudioServer>>, backup: Awaited<ReturnType<typeof fakeAudioServer>>, gw: TestGateway, small: TestGateway;
const rows: RequestLogEntry[] = [];

beforeAll(async () => {
  primary = await fakeAudioServer(transcriber("hello from primary"));
  backup = await fakeAudioServer(transcriber("hello from backup"));
  const yaml = `providers:
  - { id: primary, type: openai, base_url: "${primary.url}/v1", api_key: sk-primary, audio_models: [whisper-1, { id: voice, upstream: tts-1 }], prices: { whisper-1: { per_audio_second: 0.0001 }, tts-1: { per_million_characters: 15 } }, retries: { max: 0 } }
  - { id: backup, type: openai, base_url: "${backup.url}/v1", api_key: sk-backup, audio_models: [whisper-1], retries: { max: 0 } }
`;
  gw = await startTestGateway(yaml, { logSink: { write: (e) => void rows.push(e) } });
  small = await startTestGateway(yaml, { maxAudioUploadBytes: 10_000 });
});
afterAll(async () => {
  await Promise.all([gw.close(), small.close(), primary.close(), backup.close()]);
});

const client = (url = gw.url) => new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0 });
const settle = () => new Promise((r) => setTimeout(r, 30));

describe("POST /v1/audio/transcriptions and /translations", () => {
  it("passes the upload on whole, with every field, and logs its size, duration and cost", async () => {
    const res = await client().audio.transcriptions.create({
      file: await toFile(WAV, "hello.wav", { type: "audio/wav" }),
      model: "whisper-1",
      language: "en",
      prompt: "A greeting.",
      temperature: 0.2,
      response_format: "verbose_json",
      timestamp_granularities: ["word", "segment"],
    });
    expect(res).toMatchObject({ text: "hello from primary", duration: 1 });
    const got = primary.seen.at(-1)!;
    expect(got.path).toBe("/v1/audio/transcriptions");
    expect(got.headers.authorization).toBe("Bearer sk-primary");
    expect(got.file).toEqual({ name: "hello.wav", type: "audio/wav", bytes: WAV });
    expect(got.fields).toEqual({
      model: ["whisper-1"],
      language: ["en"],
      prompt: ["A greeting."],
      temperature: ["0.2"],
      response_format: ["verbose_json"],
      "timestamp_granularities[]": ["word", "segment"],
    });
    await settle();
    // A second of audio at $0.0001 a second; the audio's size, never the audio.
    expect(rows.at(-1)).toMatchObject({
      route: "/v1/audio/transcriptions",
      provider: "primary",
      status: 200,
      audioBytes: WAV.length,
      audioSeconds: 1,
      cost: 0.0001,
    });
    expect(JSON.stringify(rows.at(-1))).not.toContain(WAV.subarray(44, 60).toString("base64"));
  });

  it("answers text, SRT and VTT as the provider wrote them, and translates", async () => {
    const file = await toFile(WAV, "hello.wav");
    for (const format of ["text", "srt", "vtt"] as const) {
      const text = await client().audio.transcriptions.create({ file, model: "whisper-1", response_format: format });
      expect(String(text)).toContain("hello from primary");
    }
    const raw = await fetch(`${gw.url}/v1/audio/transcriptions`, { method: "POST", body: form({ model: "whisper-1", response_format: "vtt" }) });
    expect(raw.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await raw.text()).toMatch(/^WEBVTT/);
    const translated = await client().audio.translations.create({ file, model: "whisper-1" });
    expect(translated.text).toBe("hello from primary");
    expect(primary.seen.at(-1)!.path).toBe("/v1/audio/translations");
  });

  it("fails over to the next provider with the same bytes", async () => {
    primary.handle((_s, res) => void (res.writeHead(500, { "content-type": "application/json" }), res.end('{"error":{"message":"down"}}')));
    try {
      const res = await client().audio.transcriptions.create({ file: await toFile(WAV, "hello.wav"), model: "whisper-1" });
      expect(res.text).toBe("hello from backup");
      expect(backup.seen.at(-1)!.file!.bytes).toEqual(WAV);
      expect(backup.seen.at(-1)!.headers.authorization).toBe("Bearer sk-backup");
      await settle();
      expect(rows.at(-1)!.attempts.map((a) => [a.provider, a.outcome])).toEqual([
        ["primary", "failed"],
        ["backup", "served"],
      ]);
    } finally {
      primary.handle(transcriber("hello from primary"));
    }
  });

  it("refuses uploads over the cap (413), and bad requests in OpenAI's shape", async () => {
    const big = await fetch(`${small.url}/v1/audio/transcriptions`, { method: "POST", body: form({ model: "whisper-1" }) });
    expect(big.status).toBe(413);
    expect(((await big.json()) as any).error).toMatchObject({ type: "invalid_request_error", code: "request_too_large" });
    const cases: Array<[FormData | string, string]> = [
      [form({ model: "whisper-1" }, false), "file"],
      [form({ model: "whisper-1", response_format: "mp4" }), "response_format"],
      [form({ model: "whisper-1", temperature: "3" }), "temperature"],
      [form({ model: "whisper-1", colour: "blue" }), "colour"],
      ['{"model":"whisper-1"}', "file"],
    ];
    for (const [body, param] of cases) {
      const res = await fetch(`${gw.url}/v1/audio/transcriptions`, {
        method: "POST",
        body,
        ...(typeof body === "string" ? { headers: { "content-type": "application/json" } } : {}),
      });
      expect(res.status, param).toBe(400);
      expect(((await res.json()) as any).error.param).toBe(param);
    }
  });

  it("bounds a form's fields: too many refused before parsing, unknown ones named a few at a time, the log row capped", async () => {
    const many: Record<string, string> = { model: "whisper-1" };
    for (let i = 0; i < 20_000; i++) many[`field_${i}`] = "x";
    const flood = await fetch(`${gw.url}/v1/audio/transcriptions`, { method: "POST", body: form(many) });
    expect(flood.status).toBe(400);
    const floodText = await flood.text();
    expect(JSON.parse(floodText).error).toMatchObject({ code: "too_many_fields", param: "file" });
    expect(floodText.length).toBeLessThan(500);
    // Under the cap, 60 fields no provider takes: the answer names five and counts the rest.
    rows.length = 0;
    const unknown: Record<string, string> = { model: "whisper-1" };
    for (let i = 0; i < 60; i++) unknown[`unknown_field_with_a_long_name_${i}`.repeat(4)] = "x";
    const res = await fetch(`${gw.url}/v1/audio/transcriptions`, { method: "POST", body: form(unknown) });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text.length).toBeLessThan(3_000);
    expect(text).toContain("and 55 more");
    await settle();
    const row = rows.at(-1)!;
    expect(row.status).toBe(400);
    expect(row.error!.length).toBeLessThanOrEqual(2_100);
    expect(JSON.stringify(row.attempts).length).toBeLessThan(3_000);
  });
});

/** A multipart body as a client builds it (with the WAV file unless told not to). */
function form(fields: Record<string, string>, withFile = true): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  if (withFile) f.append("file", new Blob([WAV], { type: "audio/wav" }), "hello.wav");
  return f;
}

describe("POST /v1/audio/speech", () => {
  it("streams the provider's audio through as it arrives, with its type", async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const parts = [Buffer.from("RIFF-part-one"), Buffer.from("-part-two"), Buffer.from("-part-three")];
    primary.handle(async (_s, res) => {
      res.writeHead(200, { "content-type": "audio/wav" });
      res.write(parts[0]);
      await released; // the rest only once the client has the first bytes: a buffering gateway would never finish
      res.write(parts[1]);
      res.end(parts[2]);
    });
    try {
      const res = await client().audio.speech.create({ model: "voice", voice: "alloy", input: "Hello there", response_format: "wav", speed: 1.25 });
      expect(res.headers.get("content-type")).toBe("audio/wav");
      expect(res.headers.get("x-interference-cost")).toBe("0.000165");
      const reader = res.body!.getReader();
      const first = await reader.read();
      expect(Buffer.from(first.value!).toString()).toBe("RIFF-part-one");
      release();
      const rest: Buffer[] = [];
      for (let r = await reader.read(); !r.done; r = await reader.read()) rest.push(Buffer.from(r.value));
      expect(Buffer.concat([Buffer.from(first.value!), ...rest])).toEqual(Buffer.concat(parts));
      expect(primary.seen.at(-1)!.json).toEqual({ model: "tts-1", voice: "alloy", input: "Hello there", response_format: "wav", speed: 1.25 });
      await settle();
      // 11 characters at $15 per million.
      expect(rows.at(-1)).toMatchObject({ route: "/v1/audio/speech", provider: "primary", status: 200, audioBytes: 33, cost: 0.000165 });
    } finally {
      primary.handle(transcriber("hello from primary"));
    }
  });

  it("cuts the connection when the provider breaks mid-audio, and logs it", async () => {
    primary.handle((_s, res) => {
      res.writeHead(200, { "content-type": "audio/mpeg" });
      res.write(Buffer.alloc(1000, 1));
      setTimeout(() => res.destroy(), 20);
    });
    try {
      const res = await fetch(`${gw.url}/v1/audio/speech`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "voice", voice: "alloy", input: "Hi" }),
      });
      expect(res.status).toBe(200);
      await expect(res.arrayBuffer()).rejects.toThrow();
      await settle();
      expect(rows.at(-1)).toMatchObject({ route: "/v1/audio/speech", status: 502, audioBytes: 1000 });
    } finally {
      primary.handle(transcriber("hello from primary"));
    }
  });

  it("answers 503 saying how to configure audio when no provider serves it", async () => {
    const bare = await startTestGateway(`providers:\n  - { id: chatonly, type: openai, base_url: "${primary.url}/v1", models: [m] }\n`);
    try {
      const res = await fetch(`${bare.url}/v1/audio/speech`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"input":"hi","voice":"alloy"}',
      });
      expect(res.status).toBe(503);
      expect(((await res.json()) as any).error).toMatchObject({ code: "no_audio_provider", message: expect.stringContaining("audio_models") });
      const upload = await fetch(`${bare.url}/v1/audio/transcriptions`, { method: "POST", body: form({}) });
      expect(upload.status).toBe(503);
    } finally {
      await bare.close();
    }
  });
});
