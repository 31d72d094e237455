/**
 * Every dashboard page, with data on it, at 1280 and 390 px, light and dark, checked by axe-core's WCAG 2 A and
 * AA rules: zero violations of any impact (issue 30's proof). The log detail and the invitation and sign-in pages
 * are swept too. Screenshots: <repo>/test-artifacts/sweep-<page>-<width>-<scheme>.png.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { startFakeServer, sendJson, openaiCompletion, type FakeServer } from "@interference/core/test-support";
import { startServer, writeConfig, type RunningServer } from "./support/server";
import { signIn, trpc } from "./support/admin";
import { ARTIFACTS, axeViolations, chromiumPresent, launchChromium } from "./support/browser";

const PASSWORD = "axe sweep password";
let up: FakeServer, down: FakeServer, server: RunningServer, browser: Browser, owner: string, inviteUrl: string;

beforeAll(async () => {
  if (!chromiumPresent) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  up = await startFakeServer((_q, res) => sendJson(res, 200, openaiCompletion("ok")));
  down = await startFakeServer((_q, res) => sendJson(res, 500, { error: { message: "boom" } }));
  server = await startServer({
    config: writeConfig(`retries: { max: 0 }
providers:
  - { id: flaky, type: openai, base_url: "${down.url}/v1", models: [m], prices: { m: { input: 1, output: 2 } } }
  - { id: up, type: openai, base_url: "${up.url}/v1", models: [m], prices: { m: { input: 1, output: 2 } } }
`),
    // Alerts checked every second; their webhook (nothing listens there) is allow-listed so the rule can be saved.
    env: { ADMIN_PASSWORD: PASSWORD, ALERT_CHECK_SECONDS: "1", PROVIDER_URL_ALLOWLIST: "127.0.0.1:9" },
  });
  owner = await signIn(server.url, PASSWORD);
  await trpc(server.url, owner, "alerts.save", {
    name: "spend today",
    kind: "daily_spend",
    threshold: 0.000001,
    webhookUrl: "http://127.0.0.1:9/hook",
    format: "json",
  });
  await trpc(server.url, owner, "alerts.save", {
    name: "flaky errors",
    kind: "provider_error_rate",
    provider: "flaky",
    threshold: 20,
    windowSeconds: 600,
    minRequests: 1,
    webhookUrl: "http://127.0.0.1:9/hook",
    format: "slack",
  });
  const team = (await trpc(server.url, owner, "teams.create", { name: "Search", budgets: [{ period: "month", limit_usd: 5 }] })).data.id;
  const key = await trpc(server.url, owner, "keys.create", { name: "search-backend", teamId: team, budgets: [{ period: "day", limit_usd: 1 }] });
  await trpc(server.url, owner, "alerts.save", {
    name: "search budget",
    kind: "budget",
    budgetOwner: `team:${team}`,
    threshold: 0.0001,
    webhookUrl: "http://127.0.0.1:9/hook",
    format: "teams",
  });
  inviteUrl = (await trpc(server.url, owner, "users.invite", { email: "lead@example.com", role: "team", teams: [{ id: team, role: "lead" }] })).data.url;
  for (let i = 0; i < 6; i++) {
    await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key.data.secret}`, "x-interference-tags": "sweep" },
      body: JSON.stringify({ model: "m", user: `user-${i % 2}`, messages: [{ role: "user", content: "hi" }] }),
    });
  }
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await up?.close();
  await down?.close();
});

const PAGES = ["overview", "providers", "logs", "usage", "keys", "teams", "users", "alerts", "playground", "audit"];

describe.skipIf(!chromiumPresent)("axe-core on every page", () => {
  it("shows the alerts firing on the Overview, and the rules and alerts on the Alerts page", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addCookies([{ name: "ifr_session", value: owner.split("=")[1]!, url: server.url }]);
    const page = await context.newPage();
    await page.goto(`${server.url}/overview`);
    // The spend rule fires at the first check with spend logged (the live Overview picks it up on its next refresh).
    await page.locator("section[aria-label='alerts firing'] li[data-alert=firing]").first().waitFor({ timeout: 20_000 });
    await expect(page.locator("section[aria-label='alerts firing']").textContent()).resolves.toMatch(/spend today: spend today \(UTC\) \$0\.0000\d\d/);
    await page.screenshot({ path: join(ARTIFACTS, "alerts-overview-1280-light.png"), fullPage: true });
    await page.goto(`${server.url}/alerts`);
    await page.locator("tr[data-rule='spend today']").waitFor();
    await expect(page.locator("tr[data-rule='spend today']").textContent()).resolves.toContain("firing");
    await expect(page.locator("tr[data-rule='flaky errors']").textContent()).resolves.toContain("127.0.0.1:9/…");
    // flaky failed each request before up served it: its error rate is 100% (the page refreshes every 10 s).
    await page.locator("li[data-alert=firing]:has-text('flaky errors')").waitFor({ timeout: 15_000 });
    await page.locator("li[data-alert=firing]:has-text('search budget')").waitFor({ timeout: 15_000 });
    await expect(page.locator("li[data-alert=firing]:has-text('search budget')").textContent()).resolves.toMatch(
      /team Search: 0\.000\d+% of its month budget spent \(\$0\.0000\d\d of \$5\.00; threshold 0\.00010%\)/,
    );
    await page.screenshot({ path: join(ARTIFACTS, "alerts-page-1280-light.png"), fullPage: true });
    await context.close();
  });

  for (const width of [1280, 390]) {
    for (const scheme of ["light", "dark"] as const) {
      it(`finds nothing at ${width} px, ${scheme}`, async () => {
        const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: scheme });
        const page = await context.newPage();
        const found: string[] = [];
        const check = async (name: string) => {
          for (const v of await axeViolations(page)) found.push(`${name}: ${v}`);
          await page.screenshot({ path: join(ARTIFACTS, `sweep-${name}-${width}-${scheme}.png`), fullPage: true });
        };
        await page.goto(`${server.url}/login?error=wrong-password`);
        await check("login");
        await page.goto(inviteUrl);
        await check("invite");
        await context.addCookies([{ name: "ifr_session", value: owner.split("=")[1]!, url: server.url }]);
        for (const name of PAGES) {
          await page.goto(`${server.url}/${name}`);
          await page.waitForLoadState("networkidle");
          await check(name);
        }
        // The request detail, open over the log.
        await page.goto(`${server.url}/logs`);
        await page.locator("tr[data-log]").first().click();
        await page.locator("aside[aria-label='request detail']").waitFor();
        await check("log-detail");
        await context.close();
        expect(found).toEqual([]);
      }, 120_000);
    }
  }
});
