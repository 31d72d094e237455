/**
 * Codex itself (the official CLI from npm, installed into .clients/ by scripts/setup.sh --test) against the real
 * gateway: `codex exec` speaks the Responses API, streamed, with its own traffic (a long developer prompt, a
 * dozen function tools, a `namespace` of sub-agent tools, the built-in web_search tool, reasoning settings,
 * client_metadata, store: false), served by an OpenAI-compatible chat provider (translated) chosen with Codex's
 * own `query_params`. The provider's config sets drop_params, so web_search (which it cannot run) is left out.
 * Required when CI=true; skipped where Codex is not installed.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeServer } from "@interference/core/test-support";
import { startScriptedOpenAI } from "@interference/core/test-support/scripted";
import { WEB_DIR, startServer, writeConfig, type RunningServer } from "./support/server";

const CODEX = join(WEB_DIR, "../../.clients/node_modules/@openai/codex/bin/codex.js");
const present = existsSync(CODEX);
if (!present && process.env.CI === "true") throw new Error("CI=true needs Codex: run scripts/setup.sh --test");

let oa: FakeServer, gw: RunningServer;

beforeAll(async () => {
  oa = await startScriptedOpenAI("OA");
  gw = await startServer({
    config: writeConfig(`providers:
  - { id: oa, type: openai, base_url: "${oa.url}/v1", api_key: sk-oa-provider, models: ["*"], drop_params: true }
`),
  });
}, 120_000);
afterAll(async () => {
  await gw?.stop();
  await oa?.close();
});

describe.skipIf(!present)("Codex through the gateway", () => {
  it("runs a turn with a tool call on an OpenAI-compatible chat provider, over the Responses API", async () => {
    const home = mkdtempSync(join(tmpdir(), "codex-home-"));
    const work = mkdtempSync(join(tmpdir(), "codex-work-"));
    mkdirSync(join(home, ".codex"));
    writeFileSync(
      join(home, ".codex", "config.toml"),
      `model = "gpt-5-codex"
model_provider = "interference"

[model_providers.interference]
name = "Interference"
base_url = "${gw.url}/v1"
env_key = "INTERFERENCE_API_KEY"
wire_api = "responses"
query_params = { provider = "oa" }
`,
    );
    const before = oa.requests.length;
    const last = join(work, "last-message.txt");
    const run = promisify(execFile)(process.execPath, [CODEX, "exec", "--skip-git-repo-check", "--output-last-message", last, "say hi"], {
      cwd: work,
      timeout: 90_000,
      env: { NODE_ENV: "test", PATH: process.env.PATH, HOME: home, CODEX_HOME: join(home, ".codex"), INTERFERENCE_API_KEY: "sk-any" },
    });
    run.child.stdin?.end(); // `codex exec` reads more of the prompt from a stdin that is not a terminal
    await run;
    // The scripted provider calls Codex's first tool; Codex answers the call, then gets the final text.
    expect(readFileSync(last, "utf8")).toMatch(/^OA heard: .*user:say hi \| assistant:call exec_command\(.*\) \| tool:/s);
    const sent = oa.requests.slice(before);
    expect(sent).toHaveLength(2);
    const names = sent[0]!.body.tools.map((t: any) => t.function.name);
    expect(names).toContain("exec_command");
    expect(names.some((n: string) => n.startsWith("multi_agent_v1__"))).toBe(true); // the namespace, flattened
    expect(JSON.stringify(sent[0]!.body.tools)).not.toContain("web_search"); // dropped: drop_params
    expect(sent[0]!.body.messages[0].role).toBe("system");
    expect(sent[0]!.headers.authorization).toBe("Bearer sk-oa-provider");
    expect(sent[1]!.body.messages.map((m: any) => m.role).slice(-2)).toEqual(["assistant", "tool"]);
  }, 120_000);
});
