/**
 * A fresh start with no config file: the gateway serves the embedded model as provider "local", offline.
 * Skipped only when the model file is absent outside CI (scripts/setup.sh fetches it).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import OpenAI, { toFile } from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { startServer, WEB_DIR, type RunningServer } from "./support/server";

const MODEL = join(WEB_DIR, "../../models/SmolLM2-135M-Instruct.Q4_1.gguf");
const EMBEDDING_MODEL = join(WEB_DIR, "../../models/all-MiniLM-L6-v2.F16.gguf");
const STT_MODEL = join(WEB_DIR, "../../models/whisper-base/model.bin");
const STT_PYTHON = join(WEB_DIR, "../../.stt-python/faster_whisper");
const present = [MODEL, EMBEDDING_MODEL, STT_MODEL, STT_PYTHON].every((p) => existsSync(p));
if (!present && process.env.CI === "true") throw new Error(`CI needs the embedded models and .stt-python: run scripts/setup.sh`);

let server: RunningServer;

beforeAll(async () => {
  if (!present) return;
  server = await startServer({ config: "/nonexistent/interference.yaml" });
  for (let i = 0; i < 300; i++) {
    const p: any = await (await fetch(`${server.url}/v1/providers/local`)).json();
    if (p.ready) break;
    await new Promise((r) => setTimeout(r, 100));
  }
});
afterAll(async () => {
  await server?.stop();
});

it.skipIf(!present)("serves the embedded model with no configuration", async () => {
  const providers: any = await (await fetch(`${server.url}/v1/providers`)).json();
  expect(providers).toEqual([
    expect.objectContaining({
      id: "local",
      type: "local",
      enabled: true,
      models: ["smollm2-135m-instruct"],
      embedding_models: ["all-minilm-l6-v2"],
      audio_models: ["whisper-base"],
    }),
  ]);
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 });
  const models = await client.models.list();
  expect(models.data.map((m) => [m.id, (m as unknown as { type: string }).type])).toEqual([
    ["smollm2-135m-instruct", "chat"],
    ["all-minilm-l6-v2", "embedding"],
    ["whisper-base", "audio"],
  ]);
  // The embedded embedding model, with the SDK's defaults (base64 on the wire).
  const embedded = await client.embeddings.create({ model: "all-minilm-l6-v2", input: ["The cat sits outside.", "A man is playing guitar."] });
  expect(embedded.data.map((d) => d.embedding.length)).toEqual([384, 384]);
  expect((embedded as unknown as { provider: string }).provider).toBe("local");
  // No model named: the default provider's model serves.
  const res = await client.chat.completions.create({
    messages: [{ role: "user", content: "Say hello." }],
    max_tokens: 20,
  } as OpenAI.ChatCompletionCreateParamsNonStreaming);
  expect(res.choices[0]!.message.content!.trim().length).toBeGreaterThan(0);
  expect((res as unknown as { provider: string }).provider).toBe("local");
  expect(res.model).toBe("smollm2-135m-instruct");
  const stream = await client.chat.completions.create({
    model: "smollm2-135m-instruct",
    messages: [{ role: "user", content: "Say hello." }],
    max_tokens: 20,
    stream: true,
  });
  let text = "";
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
  expect(text.trim().length).toBeGreaterThan(0);
  expect(server.output()).toMatch(/provider local: loaded .* in \d+ ms/);
});

it.skipIf(!present)("serves Responses, Messages and legacy completions from the embedded model, with the official SDKs", async () => {
  const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 });
  const response = await openai.responses.create({ model: "smollm2-135m-instruct", input: "Say hello.", max_output_tokens: 16 });
  expect(response.status === "completed" || response.status === "incomplete").toBe(true);
  expect(response.output_text.trim().length).toBeGreaterThan(0);
  const next = openai.responses.stream({ model: "smollm2-135m-instruct", input: "And again.", previous_response_id: response.id, max_output_tokens: 16 });
  const final = await next.finalResponse();
  expect(final.output_text.trim().length).toBeGreaterThan(0);
  expect((final as unknown as { provider: string }).provider).toBe("local");

  const anthropic = new Anthropic({ baseURL: server.url, apiKey: "unused", maxRetries: 0 });
  const message = await anthropic.messages.create({ model: "smollm2-135m-instruct", max_tokens: 16, messages: [{ role: "user", content: "Say hello." }] });
  expect(message.content[0]).toMatchObject({ type: "text", text: expect.stringMatching(/\S/) });
  expect(message.usage.output_tokens).toBeGreaterThan(0);
  const streamed = await anthropic.messages
    .stream({ model: "smollm2-135m-instruct", max_tokens: 16, messages: [{ role: "user", content: "Say hello." }] })
    .finalMessage();
  expect(["end_turn", "max_tokens"]).toContain(streamed.stop_reason);
  const count = await anthropic.messages.countTokens({ model: "smollm2-135m-instruct", messages: [{ role: "user", content: "Say hello." }] });
  // The embedded model's own tokenizer and chat template: the count is the prompt the model is given.
  expect(count.input_tokens).toBe(message.usage.input_tokens);
  const raw = await fetch(`${server.url}/v1/messages/count_tokens`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "smollm2-135m-instruct", messages: [{ role: "user", content: "Say hello." }] }),
  });
  expect(raw.headers.get("x-interference-token-count")).toBe("exact");

  const completion = await openai.completions.create({ model: "smollm2-135m-instruct", prompt: "Once upon a time", max_tokens: 8 });
  expect(completion.choices[0]!.text.trim().length).toBeGreaterThan(0);
});

it.skipIf(!present)(
  "transcribes speech with the embedded Whisper model, with no configuration",
  async () => {
    // Speech spoken by Debian's espeak-ng (scripts/setup.sh --test installs it).
    const file = join(mkdtempSync(join(tmpdir(), "speech-")), "hello.wav");
    execFileSync("espeak-ng", ["-s", "150", "-w", file, "Hello from the gateway."]);
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const res = await client.audio.transcriptions.create({ file: await toFile(readFileSync(file), "hello.wav"), model: "whisper-base" });
    expect(res.text.toLowerCase()).toContain("gateway");
  },
  60_000,
);
