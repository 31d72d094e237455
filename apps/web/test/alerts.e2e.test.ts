/**
 * Alerts across two replicas sharing PostgreSQL, as behind a load balancer: a provider failing past a rule's
 * threshold produces exactly one webhook call (Slack's payload) although both replicas check the rule every
 * second, and once it recovers exactly one call saying it cleared; the alert is listed (firing, then cleared) on
 * both. A Teams rule gets a MessageCard. Required when CI=true; skipped where PostgreSQL is missing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IncomingMessage } from "node:http";
import { startFakeServer, sendJson, openaiCompletion, type FakeServer } from "@interference/core/test-support";
import { freshPostgresDatabase, postgresReachable } from "../../../packages/db/src/test-databases.js";
import { startServer, writeConfig, type RunningServer } from "./support/server";
import { signIn, trpc } from "./support/admin";

const available = await postgresReachable();
if (!available && process.env.CI === "true") throw new Error("CI=true needs PostgreSQL on 127.0.0.1:5432");

const PASSWORD = "alerts password";
let upstream: FakeServer, hook: FakeServer, a: RunningServer, b: RunningServer, cookie: string, dropDb: () => Promise<void>;
let failing = true;
const calls: Array<{ path: string; body: any }> = [];

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!available)("alerts on two replicas", () => {
  beforeAll(async () => {
    const db = await freshPostgresDatabase();
    dropDb = db.drop;
    upstream = await startFakeServer((_q, res) => (failing ? sendJson(res, 500, { error: { message: "boom" } }) : sendJson(res, 200, openaiCompletion("ok"))));
    hook = await startFakeServer((q: IncomingMessage, res, body) => {
      calls.push({ path: q.url ?? "", body });
      sendJson(res, 200, { ok: true });
    });
    const config = writeConfig(`retries: { max: 0 }
providers:
  - { id: flaky, type: openai, base_url: "${upstream.url}/v1", models: [m], circuit_breaker: { failure_threshold: 1000 } }
`);
    const env = { DATABASE_URL: db.url, ADMIN_PASSWORD: PASSWORD, ALERT_CHECK_SECONDS: "1", PROVIDER_URL_ALLOWLIST: new URL(hook.url).host };
    [a, b] = await Promise.all([startServer({ config, env }), startServer({ config, env })]);
    cookie = await signIn(a.url, PASSWORD);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await Promise.all([upstream?.close(), hook?.close()]);
    await dropDb?.();
  });

  const chat = (server: RunningServer) =>
    fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
    }).then((r) => r.status);

  it("fires once across both replicas, and clears once when the provider recovers", async () => {
    // An internal webhook that is not allow-listed is refused when the rule is saved.
    const refused = await trpc(a.url, cookie, "alerts.save", { name: "x", kind: "daily_spend", threshold: 1, webhookUrl: "http://10.0.0.1/hook" });
    expect(refused.error.message).toMatch(/^webhookUrl: refused/);
    const saved = await trpc(a.url, cookie, "alerts.save", {
      name: "flaky errors",
      kind: "provider_error_rate",
      provider: "flaky",
      threshold: 50,
      windowSeconds: 5,
      minRequests: 3,
      webhookUrl: `${hook.url}/slack/T000/B000/secret-token`,
      format: "slack",
    });
    expect(saved.status).toBe(200);
    expect(saved.data.webhookUrl).toBe(`${new URL(hook.url).host}/…`); // the token is never shown
    await trpc(a.url, cookie, "alerts.save", {
      name: "flaky circuit",
      kind: "circuit_open",
      provider: "flaky",
      threshold: 1,
      webhookUrl: `${hook.url}/teams`,
      format: "teams",
    });

    for (let i = 0; i < 6; i++) expect(await chat(i % 2 ? a : b)).toBeGreaterThanOrEqual(500);
    await until(() => calls.some((c) => c.path.startsWith("/slack")), 8000, "the firing webhook");
    await new Promise((r) => setTimeout(r, 3000)); // three more rounds on each replica
    const firing = calls.filter((c) => c.path.startsWith("/slack"));
    expect(firing).toHaveLength(1);
    expect(firing[0]!.body.text).toMatch(
      /^\*🔴 Interference alert: flaky errors\*\nflaky: error rate 100\.0% over the last 5 s \([3-6] requests; threshold 50\.0%\)/,
    );
    for (const server of [a, b]) {
      const open = await trpc(server.url, cookie, "alerts.events", { open: true }, "query");
      expect(open.data.map((e: { ruleName: string }) => e.ruleName)).toEqual(["flaky errors"]);
    }

    failing = false;
    await new Promise((r) => setTimeout(r, 5200)); // the failures leave the window
    for (let i = 0; i < 4; i++) expect(await chat(i % 2 ? a : b)).toBe(200);
    await until(() => calls.filter((c) => c.path.startsWith("/slack")).length === 2, 8000, "the all-clear webhook");
    await new Promise((r) => setTimeout(r, 3000));
    const slack = calls.filter((c) => c.path.startsWith("/slack"));
    expect(slack).toHaveLength(2);
    expect(slack[1]!.body.text).toMatch(/^\*✅ Resolved: flaky errors\*\nflaky: error rate 0\.0%/);
    const events = (await trpc(b.url, cookie, "alerts.events", {}, "query")).data as Array<{ ruleName: string; resolvedAt: string | null }>;
    expect(events.filter((e) => e.ruleName === "flaky errors").map((e) => e.resolvedAt !== null)).toEqual([true]);
    // The circuit never opened (its threshold is 1000 failures): no Teams call.
    expect(calls.filter((c) => c.path === "/teams")).toHaveLength(0);
    // The audit log has the rules, without their webhook's token.
    const audit = await (await fetch(`${a.url}/api/admin/audit/export?format=jsonl&action=alerts.`, { headers: { cookie } })).text();
    expect(audit).toContain("alerts.save");
    expect(audit).not.toContain("secret-token");
  }, 60_000);
});
