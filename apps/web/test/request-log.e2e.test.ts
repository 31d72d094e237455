/**
 * The request log end to end, on the embedded database: every request the production server answers is one row
 * after a graceful stop, including requests whose text PostgreSQL cannot store as sent.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "@interference/db";
import { startFakeServer, sendJson, sendSse, openaiCompletion, openaiChunkEvents, type FakeServer } from "@interference/core/test-support";
import { startServer, writeConfig, type RunningServer } from "./support/server";

let upstream: FakeServer, server: RunningServer;
const databaseDir = join(mkdtempSync(join(tmpdir(), "request-log-")), "db");

beforeAll(async () => {
  upstream = await startFakeServer((_req, res, body) =>
    body?.stream ? sendSse(res, openaiChunkEvents(["Hi", " there"])) : sendJson(res, 200, openaiCompletion("Hi there")),
  );
  const config = writeConfig(`providers:\n  - { id: up, type: openai, base_url: "${upstream.url}/v1", models: [gpt-4o-mini] }\n`);
  server = await startServer({ config, env: { DATABASE_URL: `pglite:${databaseDir}` } });
}, 90_000);

afterAll(async () => {
  await server?.stop();
  await upstream?.close();
});

const chat = (body: Record<string, unknown>) =>
  fetch(`${server.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const messages = [{ role: "user", content: "hello" }];

describe("request log", () => {
  it("keeps one row per request, odd text included, across bursts and a graceful stop", async () => {
    // Text PostgreSQL refuses: once, a single such row stopped every later row from being written.
    const nul = await chat({ model: "gpt\u0000x", messages });
    expect(nul.status).toBe(404);
    expect((await nul.json()).error.code).toBe("model_not_found");
    const surrogate = await chat({ model: "gpt-4o-mini", provider: "up\ud800", messages });
    expect(surrogate.status).toBe(404);
    await surrogate.text();

    // Bursts larger than a batch, with pauses longer than the flush interval between them.
    let sent = 2;
    for (const burst of [450, 1, 230, 3]) {
      const answers = await Promise.all(
        Array.from({ length: burst }, (_, i) =>
          chat({ model: "gpt-4o-mini", messages, stream: i % 4 === 0 }).then(async (r) => [r.status, await r.text()] as const),
        ),
      );
      expect(answers.every(([status]) => status === 200)).toBe(true);
      sent += burst;
      await new Promise((r) => setTimeout(r, 400));
    }

    expect(await server.stop()).toBe(0);
    const store = await openStore({ url: `pglite:${databaseDir}` });
    try {
      expect(await store.logs.count()).toBe(sent);
      const { rows } = await store.logs.query({ status: ["4xx"] }, null, 10);
      expect(rows.map((r) => [r.status, r.model, r.requestedProviders]).sort()).toEqual([
        [404, "gpt-4o-mini", "up\uFFFD"],
        [404, "gpt\uFFFDx", null],
      ]);
      expect(await store.logs.count({ status: ["200"] })).toBe(sent - 2);
    } finally {
      await store.close();
    }
  }, 120_000);
});
