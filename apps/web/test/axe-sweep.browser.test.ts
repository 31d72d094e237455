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
  - { id: flaky, type: openai, base_url: "${down.url}/v1", models: [m] }
  - { id: up, type: openai, base_url: "${up.url}/v1", models: [m], prices: { m: { input: 1, output: 2 } } }
`),
    env: { ADMIN_PASSWORD: PASSWORD },
  });
  owner = await signIn(server.url, PASSWORD);
  const team = (await trpc(server.url, owner, "teams.create", { name: "Search", budgets: [{ period: "month", limit_usd: 5 }] })).data.id;
  const key = await trpc(server.url, owner, "keys.create", { name: "search-backend", teamId: team, budgets: [{ period: "day", limit_usd: 1 }] });
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

const PAGES = ["overview", "providers", "logs", "usage", "keys", "teams", "users", "playground", "audit"];

describe.skipIf(!chromiumPresent)("axe-core on every page", () => {
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
