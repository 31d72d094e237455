/**
 * Providers saved from the dashboard: an unchanged save changes nothing (aliases, headers, timeouts, display URL
 * kept), a provider is built before it is stored (a local one with no model is refused, not stored), local model
 * paths must stay in the models folder, the loader's own words never reach API clients, and a stored row that no
 * longer builds is left out at start-up instead of stopping the server.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeServer, sendJson, openaiCompletion, type FakeServer } from "@interference/core/test-support";
import { openStore } from "@interference/db";
import { startServer, writeConfig, type RunningServer } from "./support/server";
import { signIn, trpc } from "./support/admin";

const PASSWORD = "provider save password";
let up: FakeServer, server: RunningServer, cookie: string, databaseDir: string, modelsDir: string, config: string;

beforeAll(async () => {
  up = await startFakeServer((req, res, body) => sendJson(res, 200, openaiCompletion(`${body.model} ${req.headers["x-team"] ?? "-"}`)));
  modelsDir = mkdtempSync(join(tmpdir(), "models-"));
  // A file that is not a GGUF model: its first bytes must never reach a client.
  writeFileSync(join(modelsDir, "broken.gguf"), "SECRET-FILE-CONTENTS");
  databaseDir = mkdtempSync(join(tmpdir(), "interference-db-"));
  config = writeConfig(`providers:
  - id: team
    type: openai
    base_url: ${up.url}/v1
    url: https://team.example.com
    api_key: sk-team-secret-123456
    models: [plain, { id: cheap, upstream: real-model }]
    headers: { x-team: blue }
    timeouts: { first_byte_ms: 4000 }
`);
  server = await startServer({ config, env: { ADMIN_PASSWORD: PASSWORD, DATABASE_URL: `pglite:${databaseDir}`, MODELS_DIR: modelsDir } });
  cookie = await signIn(server.url, PASSWORD);
}, 120_000);
afterAll(async () => {
  await server?.stop();
  await up?.close();
});

/** Saves a local provider through the dashboard's form, as the browser does. */
const saveLocal = (id: string, models: string, settings: string) =>
  trpc(server.url, cookie, "providers.save", { id, type: "local", base_url: "", api_key: "", models, image_models: "", enabled: true, settings });
const list = async () => (await trpc(server.url, cookie, "providers.list", {}, "query")).data as any[];
const chat = (model: string, provider?: string) =>
  fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, provider, messages: [{ role: "user", content: "hi" }] }),
  });

describe("saving providers from the dashboard", () => {
  it("an unchanged save changes nothing: base URL, aliases, headers, timeouts, display URL and key are kept", async () => {
    const before = (await list()).find((p) => p.id === "team");
    expect(before.form.base_url).toBe(`${up.url}/v1`);
    expect(JSON.stringify(before.form)).not.toContain("sk-team-secret");
    const saved = await trpc(server.url, cookie, "providers.save", before.form);
    expect(saved.status).toBe(200);
    const after = (await list()).find((p) => p.id === "team");
    expect(after.form).toEqual(before.form);
    expect(after.url).toBe("https://team.example.com");
    // Nothing was stored: it is still the config file's, and follows the file (issue 30, bug 6).
    expect(after.source).toBe("config");
    const answer = (await (await chat("cheap", "team")).json()) as any;
    expect(answer.choices[0].message.content).toBe("real-model blue"); // alias and header still applied
    expect(up.requests.at(-1)!.headers.authorization).toBe("Bearer sk-team-secret-123456"); // the stored key kept
  });

  it("refuses a local provider that cannot be built, and stores nothing", async () => {
    const res = await saveLocal("empty", "m", "");
    expect(res.status).toBe(400);
    expect(res.error.message).toMatch(/model_path/);
    expect((await list()).some((p) => p.id === "empty")).toBe(false);
  });

  it("keeps dashboard-set model paths inside the models folder", async () => {
    for (const model_path of ["/etc/passwd", "../../../../etc/hostname.gguf", join(tmpdir(), "x.gguf")]) {
      const res = await saveLocal("sneaky", "m", JSON.stringify({ model_path }));
      expect(res.status).toBe(400);
      expect(res.error.message).toMatch(/models folder/);
    }
  });

  it("never shows API clients what the model loader said about a file", async () => {
    const res = await saveLocal("broken", "b", JSON.stringify({ model_path: "broken.gguf" }));
    expect(res.status).toBe(200);
    // The load fails in the background (node-llama-cpp loads first).
    for (let i = 0; i < 200; i++) {
      const reason = ((await (await fetch(`${server.url}/v1/providers/broken`)).json()) as any).not_ready_reason;
      if (reason !== "the model is loading") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const texts = [
      await (await chat("b", "broken")).text(),
      await (await fetch(`${server.url}/v1/providers/broken`)).text(),
      await (await fetch(`${server.url}/readyz`)).text(),
    ];
    for (const t of texts) {
      expect(t).not.toContain("SECR");
      expect(t).not.toMatch(/magic/i);
    }
    expect(texts[1], texts[1]).toContain("the model failed to load");
  });

  it("a stored row that no longer builds is left out at start-up, never fatal", async () => {
    expect(await server.stop()).toBe(0);
    const store = await openStore({ url: `pglite:${databaseDir}` });
    await store.prisma.provider.update({
      where: { id: "broken" },
      data: {
        config: {
          id: "broken",
          type: "local",
          base_url: "local://",
          models: [],
          image_models: [],
          enabled: true,
          headers: {},
          retries: { max: 0, base_ms: 1, max_ms: 1 },
          circuit_breaker: { failure_threshold: 5, cooldown_ms: 1000 },
          drop_params: false,
          options: {},
        },
      },
    });
    await store.close();
    server = await startServer({ config, env: { ADMIN_PASSWORD: PASSWORD, DATABASE_URL: `pglite:${databaseDir}`, MODELS_DIR: modelsDir } });
    expect(server.output()).toMatch(/provider broken left out/);
    expect((await chat("plain", "team")).status).toBe(200);
  });
});
