/**
 * Issue 30, bug 11 (forms), in chromium against the real built server: the provider form names every problem at
 * once, a line each, and a key form's refusal reads as words, never zod's raw JSON. Screenshot:
 * <repo>/test-artifacts/forms-provider-problems.png.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { startServer, writeConfig, type RunningServer } from "./support/server";
import { ARTIFACTS, chromiumPresent, desktopPage, signInPage } from "./support/browser";

const PASSWORD = "forms test password";
let server: RunningServer, browser: Browser, page: Page;

beforeAll(async () => {
  if (!chromiumPresent) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startServer({ config: writeConfig("providers: []\n"), env: { ADMIN_PASSWORD: PASSWORD } });
  ({ browser, page } = await desktopPage());
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

it.skipIf(!chromiumPresent)(
  "says every problem of a provider form at once, in words",
  async () => {
    await signInPage(page, server.url, PASSWORD);
    await page.goto(`${server.url}/providers`);
    await page.click("text=Add provider");
    const form = 'form[aria-label="provider form"]';
    await page.fill(`${form} input[name=id]`, "has spaces");
    await page.fill(`${form} input[name=base_url]`, "not a url");
    await page.click(`${form} button[type=submit]`);
    const alert = page.locator('p[role="alert"]');
    await alert.waitFor();
    const lines = (await alert.innerText()).split("\n");
    expect(lines).toEqual(["id: letters, digits and . _ : - only (no spaces)", "base_url: an http(s) URL, such as https://api.example.com/v1"]);
    expect(await alert.textContent()).not.toMatch(/[[{]"/); // no raw JSON
    await page.screenshot({ path: join(ARTIFACTS, "forms-provider-problems.png"), fullPage: true });

    // A key form's refusal (here a name of 101 characters) in words.
    await page.goto(`${server.url}/keys`);
    await page.fill('form[aria-label="new key"] input[name=name]', "k".repeat(101));
    await page.click('form[aria-label="new key"] button[type=submit]');
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/^name: .*100/);
  },
  60_000,
);
