/**
 * The playground in Chromium against the real server: a chat streamed live from a chosen provider (the text grows
 * while the provider is still sending), two providers compared side by side with the latency and cost their log
 * rows have, and a logged request replayed (its stored body) against another provider from the log detail. Its
 * requests go through the gateway: logged, tagged "playground", the signed-in person as end user. Screenshots and
 * axe at 1280 and 390 px, light and dark.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { startFakeServer, sendJson, sendSse, openaiCompletion, openaiChunkEvents, type FakeServer } from "@interference/core/test-support";
import { startServer, writeConfig, type RunningServer } from "./support/server";
import { newUser, signIn, trpc } from "./support/admin";
import { ARTIFACTS, axeViolations, chromiumPresent, launchChromium } from "./support/browser";

const PASSWORD = "playground password";
let alpha: FakeServer, beta: FakeServer, server: RunningServer, browser: Browser, owner: string, logged: string;

beforeAll(async () => {
  if (!chromiumPresent) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  alpha = await startFakeServer((_q, res, body) =>
    body?.stream
      ? sendSse(res, openaiChunkEvents(["Alpha ", "streams ", "word ", "by ", "word."]), { gapMs: 250 })
      : sendJson(res, 200, openaiCompletion("Alpha answers whole.")),
  );
  beta = await startFakeServer((_q, res) => sendJson(res, 200, openaiCompletion("Beta has another view.")));
  server = await startServer({
    config: writeConfig(`providers:
  - { id: alpha, type: openai, base_url: "${alpha.url}/v1", models: [m], prices: { m: { input: 1, output: 2 } } }
  - { id: beta, type: openai, base_url: "${beta.url}/v1", models: [m, m-large], prices: { m: { input: 3, output: 6 } } }
`),
    env: { ADMIN_PASSWORD: PASSWORD, LOG_BODIES: "true" },
  });
  owner = await signIn(server.url, PASSWORD);
  // A client's request, to replay later.
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0, defaultHeaders: { "x-interference-provider": "alpha" } });
  const { response } = await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "Name a colour." }] }).withResponse();
  logged = response.headers.get("x-request-id")!;
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await alpha?.close();
  await beta?.close();
});

async function ownerPage(width = 1280, dark = false): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: dark ? "dark" : "light" });
  await context.addCookies([{ name: "ifr_session", value: owner.split("=")[1]!, url: server.url }]);
  return { context, page: await context.newPage() };
}

describe.skipIf(!chromiumPresent)("the playground", () => {
  it("streams a chat live, then compares two providers side by side with their latency and cost", async () => {
    const { context, page } = await ownerPage();
    await page.goto(`${server.url}/playground`);
    await page.selectOption("select[name=target-provider]", "alpha");
    await page.fill("textarea[name=prompt]", "Say something.");
    await page.click("form[aria-label=playground] button[type=submit]");
    // Live: part of the text is on the page while the provider is still sending the rest.
    await page.waitForFunction(() => {
      const s = document.querySelector("[data-streamed]");
      return s?.getAttribute("data-streamed") === "streaming" && /Alpha/.test(s.textContent ?? "") && !/word\./.test(s.textContent ?? "");
    });
    await page.locator("[data-streamed=done]").waitFor();
    await expect(page.locator("[data-streamed] .answer-text").textContent()).resolves.toBe("Alpha streams word by word.");

    await page.selectOption("select[name=other-provider]", "beta");
    await page.click("form[aria-label=compare] button[type=submit]");
    await page.locator("[data-answer]").nth(1).waitFor();
    const cards = await page.locator("[data-answer]").allTextContents();
    expect(cards[0]).toContain("Alpha answers whole.");
    expect(cards[1]).toContain("Beta has another view.");
    for (const card of cards) expect(card).toMatch(/\d+ ms · \$0\.\d+ · \d+ in, \d+ out/);
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, "playground-compare-1280-light.png"), fullPage: true });
    await context.close();

    // Through the gateway: logged, tagged, the owner as end user.
    const rows = (await trpc(server.url, owner, "logs.list", { tag: "playground" }, "query")).data.rows as Array<{
      provider: string;
      endUser: string;
      stream: boolean;
    }>;
    expect(rows.map((r) => [r.provider, r.endUser, r.stream]).sort()).toEqual([
      ["alpha", "admin", false],
      ["alpha", "admin", true],
      ["beta", "admin", false],
    ]);
  });

  it("replays a logged request against another provider, from the log detail, beside the logged answer", async () => {
    const { context, page } = await ownerPage();
    await page.goto(`${server.url}/logs?request=${logged}`);
    await page.click("text=Replay in the playground");
    await page.waitForURL(/\/playground\?replay=/);
    await expect(page.locator("[data-answer='As logged']").textContent()).resolves.toContain("Alpha answers whole.");
    await page.selectOption("select[name=target-provider]", "beta");
    await page.fill("input[name=target-model]", "m-large");
    await page.click("form[aria-label=playground] button[type=submit]");
    await page.locator("[data-answer='beta · m-large']").waitFor();
    await expect(page.locator("[data-answer='beta · m-large']").textContent()).resolves.toContain("Beta has another view.");
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, "playground-replay-1280-light.png"), fullPage: true });
    await context.close();
    for (const [width, dark] of [
      [1280, true],
      [390, false],
      [390, true],
    ] as const) {
      const view = await ownerPage(width, dark);
      await view.page.goto(`${server.url}/playground?replay=${logged}`);
      await view.page.locator("[data-answer='As logged']").waitFor();
      expect(await axeViolations(view.page), `${width} ${dark}`).toEqual([]);
      if (width === 390) expect(await view.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await view.page.screenshot({ path: join(ARTIFACTS, `playground-replay-${width}-${dark ? "dark" : "light"}.png`), fullPage: true });
      await view.context.close();
    }
  });

  it("is refused to a viewer; replays a Messages request on its own API, and says why it will not replay a legacy one", async () => {
    const viewer = await newUser(server.url, owner, { email: "viewer@example.com", role: "viewer" });
    const res = await fetch(`${server.url}/api/admin/playground/stream`, {
      method: "POST",
      headers: { cookie: viewer.cookie, origin: server.url, "content-type": "application/json", "x-interference-csrf": "1" },
      body: JSON.stringify({ provider: "alpha", model: "m", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(403);
    // A Messages request is replayed on its own API (the gateway translates for beta), beside its logged answer.
    const messages = await fetch(`${server.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-interference-provider": "alpha", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "m", max_tokens: 32, messages: [{ role: "user", content: "Name a fruit." }] }),
    });
    expect(messages.status).toBe(200);
    const replayed = await trpc(server.url, owner, "playground.send", {
      provider: "beta",
      model: "m",
      replayOf: messages.headers.get("request-id") ?? messages.headers.get("x-request-id"),
    });
    expect(replayed.status, JSON.stringify(replayed.error)).toBe(200);
    expect(replayed.data).toMatchObject({ status: 200, provider: "beta", text: "Beta has another view." });
    // A legacy completions request is not replayed: the playground says which APIs it sends again.
    const legacy = await fetch(`${server.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", prompt: "hi" }),
    });
    const refused = await trpc(server.url, owner, "playground.send", { provider: "beta", model: "m", replayOf: legacy.headers.get("x-request-id") });
    expect(refused.status).toBe(400);
    expect(refused.error.message).toMatch(/Replay sends Chat Completions, Responses and Messages requests again; this one was \/v1\/completions/);
  });
});
