/**
 * The response cache on the dashboard, in chromium against the real built server: the Overview's hit rate and
 * what the cache saved, the Usage page's hits and savings per key, a hit in the log detail with its source entry,
 * a key's cache switch (off: its next request is not looked up) and its Purge cache button, a model's switch on
 * the Providers page. Screenshots go to
 * <repo>/test-artifacts/cache-*.png.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { startFakeServer, sendJson, openaiCompletion, type FakeServer } from "@interference/core/test-support";
import { startServer, writeConfig, type RunningServer } from "./support/server";
import { ARTIFACTS, chromiumPresent, desktopPage, signInPage } from "./support/browser";

const PASSWORD = "cache dashboard password";
let up: FakeServer, server: RunningServer, browser: Browser, page: Page;

beforeAll(async () => {
  if (!chromiumPresent) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  up = await startFakeServer((_q, res) => sendJson(res, 200, openaiCompletion("Lima.")));
  server = await startServer({
    config: writeConfig(`cache: { enabled: true }
providers:
  - { id: up, type: openai, base_url: "${up.url}/v1", models: [m], prices: { m: { input: 30, output: 60 } } }
`),
    env: { ADMIN_PASSWORD: PASSWORD },
  });
  ({ browser, page } = await desktopPage());
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await up?.close();
});

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `cache-${name}.png`), fullPage: true });
const ask = async (key: string, question: string) => {
  const res = await fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content: question }] }),
  });
  await res.text();
  return res.headers.get("x-interference-cache");
};

it.skipIf(!chromiumPresent)(
  "shows what the cache answered and saved, and lets an admin switch a key's cache off and purge it",
  async () => {
    await signInPage(page, server.url, PASSWORD);

    // A key, made on the keys page, then three questions asked twice each: three misses, three hits.
    await page.goto(`${server.url}/keys`);
    await page.fill("form[aria-label='new key'] input[name=name]", "eval-runner");
    await page.click("form[aria-label='new key'] button[type=submit]");
    const secret = (await page.locator("[data-secret]").textContent())!.trim();
    expect(secret).toMatch(/^ik_/);
    for (const q of ["Capital of Peru?", "Capital of Chile?", "Capital of Bolivia?"]) {
      expect(await ask(secret, q)).toBe("miss");
      expect(await ask(secret, q)).toBe("hit");
    }

    await page.goto(`${server.url}/overview`);
    const tile = page.locator("[data-stat=cache]");
    await tile.waitFor();
    expect(await tile.textContent()).toMatch(/Cache hit rate50\.0%3 of 6 lookupssaved \$0\.0/);
    await page.locator("[data-chart=cache] .recharts-bar-rectangle").first().waitFor();
    await page.locator("[data-chart=cache-saved]").waitFor();
    await shot("overview");

    await page.goto(`${server.url}/usage`);
    await page.selectOption("select[name=groupBy]", "apiKey");
    const keyRow = page.locator("table[aria-label='top spenders'] tr", { hasText: "eval-runner" });
    await keyRow.waitFor();
    expect(await keyRow.locator("td").nth(5).textContent()).toBe("50.0%");
    await page.locator("[data-chart=cacheSaved]").waitFor();
    await shot("usage");

    await page.goto(`${server.url}/logs`);
    await page.locator("tr[data-log]", { hasText: "cached" }).first().click();
    const hit = page.locator("[data-cache-hit]");
    await hit.waitFor();
    expect(await hit.textContent()).toMatch(/Answered from the response cache \(exact match\), entry [0-9a-f-]{36}: saved \$0\.0\d+/);
    await shot("log-detail");

    // The key's switch: off, and its next request is not looked up.
    await page.goto(`${server.url}/keys`);
    const row = page.locator("tr[data-key='eval-runner']");
    await row.getByRole("button", { name: "Edit" }).click();
    await page.selectOption("form[aria-label='key settings'] select[name=cache]", "off");
    await page.click("form[aria-label='key settings'] button[type=submit]");
    await row.locator("[data-cache-setting]", { hasText: "response cache off" }).waitFor();
    expect(await ask(secret, "Capital of Peru?")).toBe("skip");
    await shot("keys");

    // On again, and purged from the page: the next request is a miss.
    await row.getByRole("button", { name: "Edit" }).click();
    await page.selectOption("form[aria-label='key settings'] select[name=cache]", "");
    await page.click("form[aria-label='key settings'] button[type=submit]");
    await row.locator("[data-cache-setting]").waitFor({ state: "detached" });
    expect(await ask(secret, "Capital of Peru?")).toBe("hit");
    page.once("dialog", (d) => void d.accept(""));
    await row.getByRole("button", { name: "Purge cache" }).click();
    await page.locator("[data-purged]", { hasText: "3 cached answers of eval-runner deleted." }).waitFor();
    expect(await ask(secret, "Capital of Peru?")).toBe("miss");

    // A model's switch on the Providers page, over the file's `enabled: true`.
    await page.goto(`${server.url}/providers`);
    const summary = page.locator("[data-cache-summary]");
    await summary.waitFor();
    expect(await summary.textContent()).toMatch(/^On by default \(interference\.yaml\) · answers in pglite · kept 3600 s · shared per key · semantic: off\./);
    await page.selectOption("select[aria-label='response cache for m']", "off");
    await page.locator("tr[data-cache-model=m]", { hasText: "dashboard" }).waitFor();
    expect(await ask(secret, "Capital of Peru?")).toBe("skip");
    await shot("providers");
    await page.selectOption("select[aria-label='response cache for m']", "");
    await page.locator("tr[data-cache-model=m]", { hasText: "interference.yaml (enabled)" }).waitFor();
    expect(await ask(secret, "Capital of Peru?")).toBe("hit");
  },
  60_000,
);
