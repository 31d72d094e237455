/**
 * Issue 30, bug 7, in chromium against the real built server: the log detail lists the providers in the order they
 * were tried, a provider's retries grouped under it, and the ones passed over while planning apart (one named 3rd
 * but serving another model used to be listed first); "Failed over only" leaves out a request retried on the one
 * provider that then served it. And (bug 11) a stored streamed answer is shown put back together, its raw events a
 * toggle away; and the live tail puts new requests on top as they are logged, until paused. Screenshots:
 * <repo>/test-artifacts/logs-chain.png, logs-stream-body.png, logs-live.png.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { startFakeServer, sendJson, sendSse, openaiCompletion, openaiChunkEvents, type FakeServer } from "@interference/core/test-support";
import { startServer, writeConfig, type RunningServer } from "./support/server";
import { ARTIFACTS, chromiumPresent, desktopPage, signInPage } from "./support/browser";

const PASSWORD = "chain test password";
let down: FakeServer, good: FakeServer, shaky: FakeServer, server: RunningServer, browser: Browser, page: Page;

beforeAll(async () => {
  if (!chromiumPresent) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  down = await startFakeServer((_q, res) => sendJson(res, 500, { error: { message: "boom" } }));
  good = await startFakeServer((_q, res, body) =>
    body?.stream ? sendSse(res, openaiChunkEvents(["from ", "good, ", "streamed"])) : sendJson(res, 200, openaiCompletion("from good")),
  );
  // Fails every other request: its first try fails, the retry serves.
  let calls = 0;
  shaky = await startFakeServer((_q, res) =>
    ++calls % 2 ? sendJson(res, 500, { error: { message: "blip" } }) : sendJson(res, 200, openaiCompletion("from shaky")),
  );
  const retry = "retries: { max: 1, base_ms: 1, max_ms: 2 }";
  server = await startServer({
    config: writeConfig(`providers:
  - { id: down, type: openai, base_url: "${down.url}/v1", models: [m], ${retry} }
  - { id: good, type: openai, base_url: "${good.url}/v1", models: [m] }
  - { id: shaky, type: openai, base_url: "${shaky.url}/v1", models: [m], ${retry} }
  - { id: other, type: openai, base_url: "${good.url}/v1", models: [n] }
`),
    env: { ADMIN_PASSWORD: PASSWORD, LOG_BODIES: "true" },
  });
  ({ browser, page } = await desktopPage());
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await Promise.all([down?.close(), good?.close(), shaky?.close()]);
});

const chat = async (provider: string) => {
  const res = await fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", provider, messages: [{ role: "user", content: "hi" }] }),
  });
  await res.text();
  return res.headers.get("x-request-id")!;
};

/** The logs page with request `id`'s detail open (the log writes its rows in batches: it waits for the row). */
async function openLog(id: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    await page.goto(`${server.url}/logs`);
    await page.locator("tr[data-log]").first().waitFor();
    if (await page.locator(`tr[data-log="${id}"]`).count()) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await page.click(`tr[data-log="${id}"]`);
}

it.skipIf(!chromiumPresent)(
  "shows the chain as tried, retries under their provider, and counts only real failovers",
  async () => {
    const failedOver = await chat("down good other");
    const retried = await chat("shaky");
    await signInPage(page, server.url, PASSWORD);

    await openLog(failedOver);
    const detail = page.locator('[aria-label="request detail"]');
    await detail.locator("[data-chain]").waitFor();
    const chain = await detail
      .locator("[data-chain] > li")
      .evaluateAll((items) => items.map((li) => ({ provider: li.getAttribute("data-provider"), tries: li.querySelectorAll("[data-tries] > li").length })));
    expect(chain).toEqual([
      { provider: "down", tries: 2 },
      { provider: "good", tries: 0 },
    ]);
    expect(await detail.locator("[data-chain] > li").first().textContent()).toMatch(
      /^down: 2 triesdown: failed — HTTP 500.*\(retrying in \d+ ms\).*down: failed — HTTP 500/,
    );
    expect(await detail.locator("[data-passed-over]").textContent()).toBe("other: does not serve model m");
    await page.screenshot({ path: join(ARTIFACTS, "logs-chain.png"), fullPage: true });

    await page.click(`tr[data-log="${retried}"]`);
    await detail.locator(`[data-chain] > li[data-provider="shaky"] [data-tries] > li`).nth(1).waitFor();
    expect(await detail.locator("[data-chain] > li").count()).toBe(1);

    // "Failed over only": the request that moved from down to good, not the one retried on shaky.
    await page.check('input[name="failedOver"]');
    await page.click('form[aria-label="filters"] button[type=submit]');
    await page.waitForURL(/failedOver=true/);
    await page.waitForFunction(() => document.querySelectorAll("tr[data-log]").length === 1, undefined, { timeout: 10_000 });
    expect(await page.locator("tr[data-log]").getAttribute("data-log")).toBe(failedOver);
  },
  60_000,
);

it.skipIf(!chromiumPresent)("shows a stored streamed answer put back together, with its raw events a toggle away", async () => {
  const res = await fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", provider: "good", stream: true, messages: [{ role: "user", content: "stream it" }] }),
  });
  await res.text();
  const id = res.headers.get("x-request-id")!;
  await openLog(id);
  const assembled = page.locator('[data-body="assembled"]');
  await assembled.waitFor();
  expect(await assembled.textContent()).toBe("from good, streamedfinish: stop");
  await page.screenshot({ path: join(ARTIFACTS, "logs-stream-body.png"), fullPage: true });
  await page.check('input[name="rawEvents"]');
  expect(await page.textContent('[data-body="response"]')).toContain("data: [DONE]");
  expect(await assembled.count()).toBe(0);
});

it.skipIf(!chromiumPresent)(
  "live tail: new requests appear on top as they are logged, and stop when paused",
  async () => {
    const first = await chat("good");
    await openLog(first);
    await page.click("text=Close");
    await page.click("button:has-text('Live tail')");
    await page.locator("[data-live]").waitFor();
    const before = await page.locator("tr[data-log]").count();
    const next = await chat("good");
    await page.locator(`tr[data-log="${next}"]`).waitFor({ timeout: 10_000 });
    expect(await page.locator("tr[data-log]").first().getAttribute("data-log")).toBe(next);
    expect(await page.locator("tr[data-log]").count()).toBe(before + 1);
    await page.screenshot({ path: join(ARTIFACTS, "logs-live.png"), fullPage: true });

    await page.click("button:has-text('Pause live tail')");
    const unseen = await chat("good");
    await page.waitForTimeout(4000); // more than a beat and a log flush
    expect(await page.locator(`tr[data-log="${unseen}"]`).count()).toBe(0);
  },
  60_000,
);
