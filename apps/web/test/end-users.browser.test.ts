/**
 * Spend per end user and per tag, as services send them through the official SDKs: OpenAI's `user`,
 * `safety_identifier` and `metadata`, Anthropic's `metadata.user_id`, and the `x-interference-tags` header. The
 * log keeps them (filters for each), the Usage page groups by them and links each group to its requests.
 * Screenshots at 1280 and 390 px, light and dark, checked by axe-core.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import type { Browser } from "playwright-core";
import { startFakeServer, sendJson, openaiCompletion, type FakeServer } from "@interference/core/test-support";
import { startServer, writeConfig, type RunningServer } from "./support/server";
import { signIn, trpc } from "./support/admin";
import { ARTIFACTS, axeViolations, chromiumPresent, launchChromium } from "./support/browser";

const PASSWORD = "end users password";
let up: FakeServer, server: RunningServer, browser: Browser, owner: string;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  up = await startFakeServer((_q, res) => sendJson(res, 200, openaiCompletion("Fine.")));
  server = await startServer({
    config: writeConfig(`providers:
  - { id: up, type: openai, base_url: "${up.url}/v1", models: [m], prices: { m: { input: 1000, output: 1000 } } }
`),
    env: { ADMIN_PASSWORD: PASSWORD },
  });
  owner = await signIn(server.url, PASSWORD);
  const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused" });
  const anthropic = new Anthropic({ baseURL: server.url, apiKey: "unused" });
  const messages = [{ role: "user" as const, content: "hi" }];
  await openai.chat.completions.create({ model: "m", messages, user: "alice", metadata: { feature: "search" } });
  await openai.chat.completions.create({ model: "m", messages, user: "alice" }, { headers: { "x-interference-tags": "nightly, eval" } });
  await openai.responses.create({ model: "m", input: "hi", safety_identifier: "bob-hash", metadata: { feature: "search" }, store: false });
  await anthropic.messages.create({ model: "m", max_tokens: 16, messages, metadata: { user_id: "carol" } });
  await openai.chat.completions.create({ model: "m", messages });
  if (chromiumPresent) browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await up?.close();
});

describe("end users and tags", () => {
  it("logs the end user and tags each API names, and filters the log by them", async () => {
    const list = async (filter: object) =>
      (await trpc(server.url, owner, "logs.list", filter, "query")).data.rows as Array<{ route: string; endUser: string | null; tags: string[] | null }>;
    // Log rows are written in batches: wait for the five.
    let all = await list({});
    for (let i = 0; i < 50 && all.length < 5; i++) {
      await new Promise((r) => setTimeout(r, 100));
      all = await list({});
    }
    expect(all.map((r) => [r.route, r.endUser, r.tags]).reverse()).toEqual([
      ["/v1/chat/completions", "alice", ["feature:search"]],
      ["/v1/chat/completions", "alice", ["nightly", "eval"]],
      ["/v1/responses", "bob-hash", ["feature:search"]],
      ["/v1/messages", "carol", null],
      ["/v1/chat/completions", null, null],
    ]);
    expect((await list({ endUser: "alice" })).length).toBe(2);
    expect((await list({ tag: "feature:search" })).map((r) => r.endUser).sort()).toEqual(["alice", "bob-hash"]);
    expect((await list({ tag: "eval" })).length).toBe(1);
    const usage = await trpc(server.url, owner, "usage", { groupBy: "endUser" }, "query");
    const byUser = Object.fromEntries((usage.data.buckets as Array<{ group: string; requests: number }>).map((b) => [b.group, b.requests]));
    expect(byUser).toEqual({ alice: 2, "bob-hash": 1, carol: 1, "(no end user)": 1 });
    const csv = await (await fetch(`${server.url}/api/admin/logs/export?format=csv&endUser=alice`, { headers: { cookie: owner } })).text();
    expect(csv.split("\r\n")[0]).toMatch(/,endUser,tags$/);
    expect(csv).toContain('alice,"[""nightly"",""eval""]"');
  });

  it.skipIf(!chromiumPresent)("shows spend per end user and per tag on the Usage page, linked to the log", async () => {
    for (const [width, dark] of [
      [1280, false],
      [1280, true],
      [390, false],
      [390, true],
    ] as const) {
      const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: dark ? "dark" : "light" });
      await context.addCookies([{ name: "ifr_session", value: owner.split("=")[1]!, url: server.url }]);
      const page = await context.newPage();
      await page.goto(`${server.url}/usage`);
      await page.selectOption("select[name=groupBy]", "endUser");
      await page.locator("tr[data-group='alice']").waitFor();
      const name = `${width}-${dark ? "dark" : "light"}`;
      expect(await axeViolations(page), name).toEqual([]);
      if (width === 390) expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await page.screenshot({ path: join(ARTIFACTS, `usage-end-users-${name}.png`), fullPage: true });
      if (width === 1280 && !dark) {
        // Each chart's value axis reads with one precision (bug 11 of issue 30).
        for (const chart of await page.locator("section[data-chart]").all()) {
          const labels = (await chart.locator(".recharts-yAxis .recharts-cartesian-axis-tick-value").allTextContents()).filter(
            (l) => !/^\$?0( s| ms)?$/.test(l),
          );
          const precisions = new Set(labels.map((l) => /\.(\d+)/.exec(l)?.[1]?.length ?? 0));
          expect(precisions.size, `${await chart.getAttribute("data-chart")}: ${labels.join(" ")}`).toBeLessThanOrEqual(1);
        }
        await page.selectOption("select[name=groupBy]", "tag");
        await page.locator("tr[data-group='feature:search']").waitFor();
        await expect(page.locator("tr[data-group='feature:search'] td").nth(2).textContent()).resolves.toBe("2");
        await page.click("tr[data-group='feature:search'] a");
        await page.waitForURL(/\/logs\?tag=feature%3Asearch/);
        await page.locator("tr[data-log]").first().waitFor();
        expect(await page.locator("tr[data-log]").count()).toBe(2);
        expect(await page.inputValue("input[name=tag]")).toBe("feature:search");
        await page.locator("tr[data-log]").first().click();
        await expect(page.locator("[data-attribution]").textContent()).resolves.toMatch(/End user (alice|bob-hash) · tags feature:search/);
        await page.screenshot({ path: join(ARTIFACTS, `logs-tag-filter-${name}.png`), fullPage: true });
      }
      await context.close();
    }
  });
});
