/**
 * Issue 30, bug 9, in chromium against the real built server: at phone width (390 px) the Providers, Logs and API
 * keys tables are a card per row, and each page's controls (a provider's switch, its health and actions, a logged
 * request's status, a key's actions) are on screen without a side-scroll, in light and dark; and the actions
 * column has a header screen readers can name (axe-core's empty-table-header). Screenshots:
 * <repo>/test-artifacts/phone-<page>-<scheme>.png.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { startFakeServer, sendJson, openaiCompletion, type FakeServer } from "@interference/core/test-support";
import { startServer, writeConfig, type RunningServer } from "./support/server";
import { ARTIFACTS, chromiumPresent, launchChromium, signInPage } from "./support/browser";
import { signIn, trpc } from "./support/admin";
import axe from "axe-core";

const PASSWORD = "phone test password";
let up: FakeServer, server: RunningServer, browser: Browser;

beforeAll(async () => {
  if (!chromiumPresent) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  up = await startFakeServer((_q, res) => sendJson(res, 200, openaiCompletion("ok")));
  server = await startServer({
    config: writeConfig(`providers:
  - { id: upstream-with-a-long-name, type: openai, base_url: "${up.url}/v1", models: [gpt-4o-mini-2024-07-18, m] }
`),
    env: { ADMIN_PASSWORD: PASSWORD },
  });
  const cookie = await signIn(server.url, PASSWORD);
  await trpc(server.url, cookie, "teams.create", { name: "mobile" });
  const { data } = await trpc(server.url, cookie, "keys.create", { name: "mobile-app-backend", allowedModels: "m", rateLimitRpm: 60 });
  await fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${data.secret}` },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
  });
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await up?.close();
});

/** Whether `selector`'s first match lies inside the viewport's width, and the page has no side-scroll. */
async function onScreen(page: Page, selector: string): Promise<{ visible: boolean; sideScroll: boolean }> {
  const box = await page.locator(selector).first().boundingBox();
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  return { visible: !!box && box.x >= 0 && box.x + box.width <= innerWidth, sideScroll: scrollWidth > innerWidth };
}

for (const scheme of ["light", "dark"] as const) {
  it.skipIf(!chromiumPresent)(
    `shows each table as cards with its controls on screen at 390 px (${scheme})`,
    async () => {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 }, colorScheme: scheme });
      try {
        await signInPage(page, server.url, PASSWORD);
        const pages: Array<[string, string, string[]]> = [
          [
            "providers",
            "tr[data-provider]",
            ["tr[data-provider] input[type=checkbox]", "tr[data-provider] [data-health]", "tr[data-provider] button:has-text('Edit')"],
          ],
          ["logs", "tr[data-log]", ["tr[data-log] td[data-label=Status]", "tr[data-log] td[data-label=Provider]", "button[data-sort=cost]"]],
          ["keys", "tr[data-key]", ["tr[data-key] button:has-text('Revoke')", "tr[data-key] button:has-text('Edit')"]],
          ["teams", "tr[data-team]", ["tr[data-team] button:has-text('Edit')", "tr[data-team] button:has-text('Delete')"]],
        ];
        for (const [name, row, controls] of pages) {
          await page.goto(`${server.url}/${name}`);
          await page.locator(row).first().waitFor();
          // A card per row: the column names are gone (only sort buttons stay, on Logs).
          const headers = await page
            .locator("table.cards th:not([aria-sort])")
            .evaluateAll((ths) => ths.filter((th) => th.getBoundingClientRect().width > 0).length);
          expect(headers, name).toBe(0);
          for (const control of controls) expect(await onScreen(page, control), `${name}: ${control}`).toEqual({ visible: true, sideScroll: false });
          await page.addScriptTag({ content: axe.source });
          const unnamed = await page.evaluate(async () => {
            type Result = { violations: Array<{ id: string; nodes: unknown[] }> };
            const { axe: checker } = window as unknown as { axe: { run(o: object): Promise<Result> } };
            const result = await checker.run({ runOnly: { type: "rule", values: ["empty-table-header"] } });
            return result.violations.map((v) => `${v.id}: ${v.nodes.length}`);
          });
          expect(unnamed, name).toEqual([]);
          await page.screenshot({ path: join(ARTIFACTS, `phone-${name}-${scheme}.png`), fullPage: true });
        }
      } finally {
        await page.close();
      }
    },
    60_000,
  );
}
