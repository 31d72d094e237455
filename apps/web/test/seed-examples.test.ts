/**
 * The user's own examples (seed-examples.md), run verbatim with Python `requests` against the gateway on the
 * port they name (1337), with providers of those ids pointing at fake upstreams.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startFakeServer, sendJson, openaiCompletion, type FakeServer } from "@interference/core/test-support";
import { startServer, writeConfig, type RunningServer } from "./support/server";
import { runPythonBlocks, seedPythonBlocks } from "./support/seed";

let huggingChat: FakeServer, another: FakeServer, huggingSpace: FakeServer, server: RunningServer;
// A real (tiny) PNG: the image the fake Hugging Face endpoint returns as bytes, as the real one does.
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==", "base64");

beforeAll(async () => {
  // HuggingChat tells stories but is down for education questions, so the two-provider example fails over.
  huggingChat = await startFakeServer((_req, res, body) => {
    const prompt: string = body.messages.at(-1).content;
    if (prompt.includes("education")) sendJson(res, 503, { error: { message: "HuggingChat is overloaded" } });
    else sendJson(res, 200, openaiCompletion("Once upon a time, a robot named Bolt learned to paint."));
  });
  another = await startFakeServer((_req, res) => sendJson(res, 200, openaiCompletion("AI gives every student a patient tutor.")));
  huggingSpace = await startFakeServer((_req, res) => {
    res.writeHead(200, { "content-type": "image/png" });
    res.end(PNG);
  });
  const config = writeConfig(`
providers:
  - { id: HuggingChat, type: openai, base_url: "${huggingChat.url}/v1", url: "https://huggingface.co/chat", models: [gpt-4o-mini, meta-llama/Llama-3.3-70B-Instruct] }
  - { id: AnotherProvider, type: openai, base_url: "${another.url}/v1", models: [gpt-4o-mini] }
  - { id: HuggingSpace, type: huggingface, base_url: "${huggingSpace.url}/models", image_models: [{ id: flux, upstream: black-forest-labs/FLUX.1-schnell }] }
`);
  server = await startServer({ config, port: 1337 });
});

afterAll(async () => {
  await server?.stop();
  await huggingChat?.close();
  await another?.close();
  await huggingSpace?.close();
});

it("runs the chat and provider examples verbatim", async () => {
  const blocks = seedPythonBlocks();
  expect(blocks.length).toBeGreaterThanOrEqual(4);
  const { outputs, stderr, status } = await runPythonBlocks(blocks.slice(0, 4));
  expect(stderr).toBe("");
  expect(status).toBe(0);
  const [list, detail, single, multi] = outputs;
  expect(list).toContain("ID: HuggingChat, URL: https://huggingface.co/chat\n");
  expect(list).toContain(`ID: AnotherProvider, URL: ${another.url}/v1\n`);
  expect(detail).toContain("Provider ID: HuggingChat\n");
  expect(detail).toContain("Supported Models: ['gpt-4o-mini', 'meta-llama/Llama-3.3-70B-Instruct']");
  expect(detail).toMatch(/Parameters: \[.*'temperature'.*\]/);
  expect(single).toBe("Once upon a time, a robot named Bolt learned to paint.\n");
  expect(multi).toBe("AI gives every student a patient tutor.\n");
  expect(huggingChat.requests.at(-1)!.body.messages[0].content).toContain("education");
});

it("runs the image example verbatim, and the URL it prints serves the image", async () => {
  const blocks = seedPythonBlocks();
  const { outputs, stderr, status } = await runPythonBlocks([blocks[4]!]);
  expect(stderr).toBe("");
  expect(status).toBe(0);
  const url = /^Image URL: (\S+)$/m.exec(outputs[0]!)?.[1];
  expect(url).toMatch(/^http:\/\/localhost:1337\/media\/[A-Za-z0-9_-]{22}\.png$/);
  expect(huggingSpace.requests.at(-1)!).toMatchObject({
    path: "/models/black-forest-labs/FLUX.1-schnell",
    body: { inputs: "a futuristic cityscape at sunset" },
  });
  const img = await fetch(url!.replace("localhost", "127.0.0.1"));
  expect(img.headers.get("content-type")).toBe("image/png");
  expect(Buffer.from(await img.arrayBuffer())).toEqual(PNG);
});
