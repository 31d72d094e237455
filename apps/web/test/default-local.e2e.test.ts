/**
 * A fresh start with no config file: the gateway serves the embedded model as provider "local", offline.
 * Skipped only when the model file is absent outside CI (scripts/setup.sh fetches it).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import OpenAI from "openai";
import { startServer, WEB_DIR, type RunningServer } from "./support/server";

const MODEL = join(WEB_DIR, "../../models/SmolLM2-135M-Instruct.Q4_1.gguf");
const present = existsSync(MODEL);
if (!present && process.env.CI === "true") throw new Error(`CI needs ${MODEL}: run scripts/fetch-model.py`);

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
  expect(providers).toEqual([expect.objectContaining({ id: "local", type: "local", enabled: true, models: ["smollm2-135m-instruct"] })]);
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 });
  const models = await client.models.list();
  expect(models.data.map((m) => m.id)).toEqual(["smollm2-135m-instruct"]);
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
