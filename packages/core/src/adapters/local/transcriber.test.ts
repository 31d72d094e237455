/**
 * The embedded speech-to-text model (Whisper base, CTranslate2, run by faster-whisper in its worker) behind a real
 * gateway, through the official openai SDK, on speech spoken for the test by Debian's espeak-ng: the words come
 * back, in every response format, and a request sent while the worker starts waits for it. Without the model,
 * faster-whisper (.stt-python) or espeak-ng these tests are skipped with a message, except in CI, where they run.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../../test-support/gateway.js";
import { formatTranscript, type WorkerTranscript } from "./transcriber.js";

const ROOT = fileURLToPath(new URL("../../../../../", import.meta.url));
const MODEL = process.env.INTERFERENCE_STT_MODEL_PATH ?? join(ROOT, "models/whisper-base");
const PYTHON_PATH = join(ROOT, ".stt-python");
const espeak = (() => {
  try {
    execFileSync("espeak-ng", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
const present = existsSync(join(MODEL, "model.bin")) && existsSync(join(PYTHON_PATH, "faster_whisper")) && espeak;
if (!present && process.env.CI === "true") throw new Error(`CI needs ${MODEL}, ${PYTHON_PATH} and espeak-ng: run scripts/setup.sh --test`);
if (!present) console.warn("[transcriber.test] skipped: the speech model, .stt-python or espeak-ng is missing (scripts/setup.sh --test)");

/** Speech, as a WAV file, spoken by espeak-ng. */
function speak(text: string): Buffer {
  const file = join(mkdtempSync(join(tmpdir(), "speech-")), "speech.wav");
  execFileSync("espeak-ng", ["-s", "150", "-w", file, text]);
  return readFileSync(file);
}

let gw: TestGateway;
let client: OpenAI;
let whenSent: { ready: boolean };
let first: Promise<OpenAI.Audio.Transcription>;
const SENTENCE = "The quick brown fox jumps over the lazy dog.";
let speech: Buffer;

beforeAll(async () => {
  if (!present) return;
  speech = speak(SENTENCE);
  gw = await startTestGateway(`providers:
  - { id: local, type: local, audio_models: [whisper-base], stt_model_path: "${MODEL}", stt_python_path: "${PYTHON_PATH}", threads: 1 }
`);
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "unused", maxRetries: 0 });
  whenSent = (await (await fetch(`${gw.url}/v1/providers/local`)).json()) as { ready: boolean };
  first = client.audio.transcriptions.create({ file: await toFile(speech, "fox.wav", { type: "audio/wav" }), model: "whisper-base" });
  first.catch(() => undefined);
}, 60_000);
afterAll(async () => {
  await gw?.close();
});

const words = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z ]/g, " ")
    .split(/\s+/)
    .filter(Boolean);

describe.skipIf(!present)("embedded speech-to-text model (Whisper base)", () => {
  it("transcribes real speech, even sent while the model was still starting", async () => {
    expect(whenSent.ready).toBe(false);
    const res = await first;
    // espeak-ng's voice is robotic: most words, not every one, is the fair bar for Whisper base.
    const got = new Set(words(res.text));
    const expected = words(SENTENCE);
    const heard = expected.filter((w) => got.has(w));
    console.log(`[stt] "${res.text}" (${heard.length}/${expected.length} words)`);
    expect(heard.length).toBeGreaterThanOrEqual(expected.length - 2);
    expect(got.has("fox") && got.has("brown")).toBe(true);
  }, 60_000);

  it("answers verbose_json with duration, segments and words, and text, SRT and VTT", async () => {
    const file = await toFile(speech, "fox.wav");
    const verbose = await client.audio.transcriptions.create({
      file,
      model: "whisper-base",
      response_format: "verbose_json",
      timestamp_granularities: ["word", "segment"],
      language: "en",
    });
    expect(verbose).toMatchObject({ task: "transcribe", language: "english" });
    expect(verbose.duration).toBeGreaterThan(1);
    expect(verbose.segments!.length).toBeGreaterThan(0);
    expect(verbose.words!.length).toBeGreaterThan(5);
    const srt = String(await client.audio.transcriptions.create({ file, model: "whisper-base", response_format: "srt" }));
    expect(srt).toMatch(/^1\n00:00:00,000 --> 00:00:0\d,\d{3}\n.*fox/is);
    const vtt = String(await client.audio.transcriptions.create({ file, model: "whisper-base", response_format: "vtt" }));
    expect(vtt).toMatch(/^WEBVTT\n\n00:00:00\.000 --> /);
    const text = String(await client.audio.transcriptions.create({ file, model: "whisper-base", response_format: "text" }));
    expect(text.toLowerCase()).toContain("fox");
    const translated = await client.audio.translations.create({ file, model: "whisper-base" });
    expect(translated.text.toLowerCase()).toContain("fox");
  }, 120_000);

  it("refuses speech generation and parameters it does not take, in OpenAI's shape", async () => {
    const tts = await fetch(`${gw.url}/v1/audio/speech`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "whisper-base", voice: "alloy", input: "hi" }),
    });
    expect(tts.status).toBe(400);
    expect(((await tts.json()) as any).error).toMatchObject({ code: "unsupported_parameter", param: "input" });
    // Told to drop what it does not take, it still cannot speak: said so.
    const dropped = await fetch(`${gw.url}/v1/audio/speech`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "whisper-base", voice: "alloy", input: "hi", drop_params: true }),
    });
    expect(dropped.status).toBe(400);
    expect(((await dropped.json()) as any).error).toMatchObject({ code: "model_not_supported", message: expect.stringContaining("does not generate speech") });
  });
});

describe("formatTranscript", () => {
  const t: WorkerTranscript = {
    text: "Hello there. General Kenobi.",
    language: "en",
    duration: 3725.5,
    segments: [
      { id: 1, start: 0, end: 1.5, text: " Hello there." },
      { id: 2, start: 3723.25, end: 3725.5, text: " General Kenobi." },
    ],
    words: [],
  };
  it("writes SRT and VTT timestamps past the hour, and json with duration usage", () => {
    expect(formatTranscript(t, "srt", "transcriptions", []).body).toBe(
      "1\n00:00:00,000 --> 00:00:01,500\nHello there.\n\n2\n01:02:03,250 --> 01:02:05,500\nGeneral Kenobi.\n",
    );
    expect(formatTranscript(t, "vtt", "transcriptions", []).body).toBe(
      "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHello there.\n\n01:02:03.250 --> 01:02:05.500\nGeneral Kenobi.\n",
    );
    expect(JSON.parse(formatTranscript(t, "json", "transcriptions", []).body)).toEqual({ text: t.text, usage: { type: "duration", seconds: 3726 } });
    expect(JSON.parse(formatTranscript(t, "verbose_json", "translations", ["word"]).body)).toMatchObject({ task: "translate", language: "english", words: [] });
  });
});
