/**
 * Claude Code itself (the official CLI from npm, installed into .clients/ by scripts/setup.sh --test) against the
 * real gateway: `claude -p` with its own traffic (a 30 KB system prompt in cached blocks, a dozen tools, thinking,
 * context_management, beta headers, streamed tool use and the tool result sent back), through an Anthropic
 * provider (native) and through an OpenAI-compatible one (translated), both chosen the ways Claude Code allows: a
 * custom header, and the /api/{provider} base URL; with a real API key of the gateway's, which Claude Code sends
 * as x-api-key. Required when CI=true; skipped where Claude Code is not installed.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeServer } from "@interference/core/test-support";
import { startScriptedAnthropic, startScriptedOpenAI } from "@interference/core/test-support/scripted";
import { WEB_DIR, startServer, writeConfig, type RunningServer } from "./support/server";
import { signIn, trpc } from "./support/admin";

const CLIENTS = join(WEB_DIR, "../../.clients/node_modules/@anthropic-ai");
const binary = existsSync(CLIENTS)
  ? readdirSync(CLIENTS)
      .filter((d) => d.startsWith("claude-code-linux-"))
      .map((d) => join(CLIENTS, d, "claude"))
      .find(existsSync)
  : undefined;
if (!binary && process.env.CI === "true") throw new Error("CI=true needs Claude Code: run scripts/setup.sh --test");

let an: FakeServer, oa: FakeServer, gw: RunningServer, gatewayKey: string;
const PASSWORD = "claude code test password";

beforeAll(async () => {
  an = await startScriptedAnthropic("AN");
  oa = await startScriptedOpenAI("OA");
  gw = await startServer({
    config: writeConfig(`providers:
  - { id: an, type: anthropic, base_url: "${an.url}/v1", api_key: sk-ant-provider, models: ["*"] }
  - { id: oa, type: openai, base_url: "${oa.url}/v1", api_key: sk-oa-provider, models: ["*"] }
`),
    env: { ADMIN_PASSWORD: PASSWORD },
  });
  // A real API key from the dashboard: Claude Code sends it as x-api-key, the gateway's own authenticator checks it.
  gatewayKey = (await trpc(gw.url, await signIn(gw.url, PASSWORD), "keys.create", { name: "claude code" })).data.secret;
}, 120_000);
afterAll(async () => {
  await gw?.stop();
  await an?.close();
  await oa?.close();
});

/** Runs `claude -p` and returns its JSON result. */
async function claude(prompt: string, env: Record<string, string>): Promise<any> {
  const { stdout } = await promisify(execFile)(binary!, ["-p", prompt, "--model", "claude-sonnet-4-5", "--output-format", "json"], {
    timeout: 90_000,
    env: {
      NODE_ENV: "test",
      PATH: process.env.PATH,
      HOME: mkdtempSync(join(tmpdir(), "claude-home-")),
      ANTHROPIC_API_KEY: gatewayKey,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_AUTOUPDATER: "1",
      DISABLE_TELEMETRY: "1",
      ...env,
    },
  });
  return JSON.parse(stdout);
}

describe.skipIf(!binary)("Claude Code through the gateway", () => {
  it("refuses a wrong x-api-key in Anthropic's shape (Claude Code itself retries a 401 for minutes)", async () => {
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "sk-wrong", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 5, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ type: "error", error: { type: "authentication_error" } });
  });

  it("works through an Anthropic provider, untranslated (chosen by a custom header)", async () => {
    const before = an.requests.length;
    const result = await claude("say hi", { ANTHROPIC_BASE_URL: gw.url, ANTHROPIC_CUSTOM_HEADERS: "X-Interference-Provider: an" });
    expect(result.is_error, JSON.stringify(result).slice(0, 500)).toBe(false);
    // The scripted provider calls Claude Code's first tool, then answers once the tool result is back.
    expect(result.num_turns).toBe(2);
    expect(result.result).toMatch(/^AN heard: /);
    const sent = an.requests.slice(before);
    expect(sent).toHaveLength(2);
    expect(sent[0]!.body).toMatchObject({ stream: true, thinking: { type: "enabled" }, context_management: expect.any(Object) });
    expect(JSON.stringify(sent[0]!.body.system).length).toBeGreaterThan(10_000);
    expect(sent[0]!.body.tools.length).toBeGreaterThan(5);
    expect(sent[0]!.headers["anthropic-beta"]).toContain("claude-code");
    expect(sent[0]!.headers["x-api-key"]).toBe("sk-ant-provider");
    expect(sent[1]!.body.messages.at(-1).content.some((b: any) => b.type === "tool_result")).toBe(true);
  });

  it("works through an OpenAI-compatible provider, translated (chosen by the /api/{provider} base URL)", async () => {
    const before = oa.requests.length;
    const result = await claude("say hi", { ANTHROPIC_BASE_URL: `${gw.url}/api/oa` });
    expect(result.is_error, JSON.stringify(result).slice(0, 500)).toBe(false);
    expect(result.num_turns).toBe(2);
    expect(result.result).toMatch(/^OA heard: /);
    const sent = oa.requests.slice(before);
    expect(sent).toHaveLength(2);
    expect(sent[0]!.body.messages[0].role).toBe("system");
    expect(sent[0]!.body.tools.length).toBeGreaterThan(5);
    expect(sent[0]!.headers.authorization).toBe("Bearer sk-oa-provider");
    // The tool call Claude Code got streamed came back as a tool result, in OpenAI's shape.
    expect(sent[1]!.body.messages.map((m: any) => m.role).slice(-2)).toEqual(["assistant", "tool"]);
  });
});
