/**
 * People in the browser: the owner invites a team lead from the Users page, the lead opens the link, chooses a
 * password and lands on their pages; each role sees the pages and controls it may use, and a change it may not
 * make is refused by the server with its reason; the audit log page shows who did what, filters and exports.
 * Screenshots at 1280 and 390 px, light and dark, checked by axe-core.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { startServer, type RunningServer } from "./support/server";
import { newUser, signIn, trpc } from "./support/admin";
import { ARTIFACTS, axeViolations, chromiumPresent, launchChromium } from "./support/browser";

const PASSWORD = "owner password for people";
const USER_PASSWORD = "a long enough password";
let server: RunningServer;
let browser: Browser;
let owner: string;
let alpha = "";

beforeAll(async () => {
  if (!chromiumPresent) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startServer({ env: { ADMIN_PASSWORD: PASSWORD } });
  owner = await signIn(server.url, PASSWORD);
  alpha = (await trpc(server.url, owner, "teams.create", { name: "Alpha" })).data.id;
  await trpc(server.url, owner, "teams.create", { name: "Beta" });
  await newUser(server.url, owner, { email: "viewer@example.com", role: "viewer" }, USER_PASSWORD);
  await newUser(server.url, owner, { email: "admin@example.com", role: "admin" }, USER_PASSWORD);
  await newUser(server.url, owner, { email: "member@example.com", role: "team", teams: [{ id: alpha, role: "member" }] }, USER_PASSWORD);
  await signIn(server.url, "not the password", "viewer@example.com").catch(() => null); // one failed sign-in, for the audit log
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function pageAs(email: string, password: string, opts: { width?: number; dark?: boolean } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: 900 }, colorScheme: opts.dark ? "dark" : "light" });
  const page = await context.newPage();
  await page.goto(`${server.url}/login`);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await page.click("form button[type=submit]");
  await page.waitForURL((url) => !url.pathname.startsWith("/login") && !url.pathname.startsWith("/api/"));
  return page;
}

const navLinks = (page: Page) => page.locator("nav.pages a").allTextContents();
const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

describe.skipIf(!chromiumPresent)("people, roles and the audit log in the dashboard", () => {
  it("the owner invites a team lead; the lead sets a password from the link and sees only their pages", async () => {
    const page = await pageAs("", PASSWORD);
    expect(await navLinks(page)).toEqual(["Overview", "Providers", "Request logs", "Usage", "API keys", "Teams", "Users", "Alerts", "Playground", "Audit log"]);
    await page.goto(`${server.url}/users`);
    const invite = page.locator("form[aria-label=invite]");
    await invite.locator("input[name=email]").fill("Lead@Example.com");
    await invite.locator("select[name=role]").selectOption("team");
    await invite.locator("select[name=team-Alpha]").selectOption("lead");
    await invite.locator("button[type=submit]").click();
    const link = await page.locator("[data-invite-link] input").inputValue();
    expect(link).toMatch(new RegExp(`^${server.url}/invite/[\\w-]{20,}$`));
    await expect(page.locator("tr[data-user='lead@example.com']").textContent()).resolves.toContain("invited, not signed in yet");
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, "users-1280-light");

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const lead = await context.newPage();
    await lead.goto(link);
    await expect(lead.locator("main").textContent()).resolves.toContain("lead of Alpha");
    await lead.fill("#password", "short");
    await lead.fill("#confirm", "short");
    await lead.evaluate(() => document.querySelectorAll("input").forEach((i) => i.removeAttribute("minlength"))); // the server's rule, not only the browser's
    await lead.click("button[type=submit]");
    await expect(lead.locator("p.bad").textContent()).resolves.toContain("at least 12");
    await lead.fill("#password", USER_PASSWORD);
    await lead.fill("#confirm", USER_PASSWORD);
    await lead.click("button[type=submit]");
    await lead.waitForURL(/\/logs$/);
    expect(await navLinks(lead)).toEqual(["Request logs", "API keys", "Teams"]);
    await expect(lead.locator("header.top").textContent()).resolves.toContain("lead@example.com · team");
    // The link is spent.
    const again = await browser.newPage();
    await again.goto(link);
    await expect(again.locator("p.bad").textContent()).resolves.toContain("expired or been used");
    await again.close();

    // The lead makes a key in their team; the new-team form is not theirs.
    await lead.goto(`${server.url}/keys`);
    await lead.locator("form[aria-label='new key'] input[name=name]").fill("lead-key");
    await lead.locator("form[aria-label='new key'] select[name=team]").selectOption({ label: "Alpha" });
    await lead.locator("form[aria-label='new key'] button[type=submit]").click();
    await lead.locator("tr[data-key='lead-key']").waitFor();
    await expect(lead.locator("tr[data-key='lead-key'] [data-made-by]").textContent()).resolves.toContain("lead@example.com");
    await lead.goto(`${server.url}/teams`);
    await lead.locator("tr[data-team='Alpha']").waitFor();
    expect(await lead.locator("form[aria-label='new team']").count()).toBe(0);
    expect(await lead.locator("tr[data-team='Beta']").count()).toBe(0);
    await expect(lead.locator("tr[data-team='Alpha'] [data-members]").textContent()).resolves.toContain("member@example.com");
    await shot(lead, "teams-lead-1280-light");
    await context.close();
    await page.context().close();
  });

  it("a viewer reads but cannot change: the server refuses and the page says why", async () => {
    const page = await pageAs("viewer@example.com", USER_PASSWORD);
    expect(new URL(page.url()).pathname).toBe("/overview");
    expect(await navLinks(page)).toEqual(["Overview", "Providers", "Request logs", "Usage", "API keys", "Teams", "Alerts"]);
    await page.goto(`${server.url}/keys`);
    await page.locator("table.cards").waitFor();
    expect(await page.locator("form[aria-label='new key']").count()).toBe(0);
    // Even a hand-made call from the viewer's own page is refused.
    const status = await page.evaluate(async () => {
      const res = await fetch("/api/trpc/teams.create", {
        method: "POST",
        headers: { "content-type": "application/json", "x-interference-csrf": "1" },
        body: JSON.stringify({ name: "sneaky" }),
      });
      return { status: res.status, message: ((await res.json()) as { error: { message: string } }).error.message };
    });
    expect(status).toEqual({ status: 403, message: "Your role (viewer) may not do this (teams.create)." });
    await page.goto(`${server.url}/users`);
    await expect(page.getByText("Your role (viewer) may not do this (users.list).").first().textContent()).resolves.toBeTruthy();
    await page.context().close();
  });

  it("an admin manages keys and teams but not users; a member sees only their own keys", async () => {
    const admin = await pageAs("admin@example.com", USER_PASSWORD);
    expect(await navLinks(admin)).toEqual(["Overview", "Providers", "Request logs", "Usage", "API keys", "Teams", "Alerts", "Playground", "Audit log"]);
    await admin.goto(`${server.url}/teams`);
    await admin.fill("form[aria-label='new team'] input[name=name]", "Gamma");
    await admin.click("form[aria-label='new team'] button[type=submit]");
    await admin.locator("tr[data-team='Gamma']").waitFor();
    await admin.goto(`${server.url}/users`);
    await expect(admin.getByText("Your role (admin) may not do this (users.list).").first().textContent()).resolves.toBeTruthy();
    await admin.context().close();
    const member = await pageAs("member@example.com", USER_PASSWORD);
    await member.goto(`${server.url}/keys`);
    await member.locator("form[aria-label='new key']").waitFor();
    expect(await member.locator("tr[data-key='lead-key']").count()).toBe(0); // the lead's key is not theirs
    await member.context().close();
  });

  it("the audit log page shows who did what, filters by action, and exports; light and dark, desktop and phone", async () => {
    for (const [width, dark] of [
      [1280, false],
      [1280, true],
      [390, false],
      [390, true],
    ] as const) {
      const page = await pageAs("", PASSWORD, { width, dark });
      await page.goto(`${server.url}/audit`);
      await page.locator("tr[data-audit]").first().waitFor();
      await page.locator("select[name=action]").selectOption("keys.");
      await page.click("form[aria-label='audit filters'] button[type=submit]");
      await page.waitForFunction(() => [...document.querySelectorAll("tr[data-audit]")].every((tr) => tr.getAttribute("data-audit")!.startsWith("keys.")));
      const row = page.locator("tr[data-audit='keys.create']").first();
      await expect(row.textContent()).resolves.toContain("lead@example.com");
      await expect(row.textContent()).resolves.toContain("name: ∅ → lead-key");
      expect(await axeViolations(page), `${width} ${dark ? "dark" : "light"}`).toEqual([]);
      if (width === 390) expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await shot(page, `audit-${width}-${dark ? "dark" : "light"}`);
      if (width === 1280 && !dark) {
        const csv = await page.request.get(`${server.url}/api/admin/audit/export?format=csv&action=signin`);
        const text = await csv.text();
        expect(text.split("\r\n")[0]).toBe("id,time,actorId,actorEmail,address,action,target,changes");
        expect(text).toContain("signin.failed");
        expect(text).toContain("viewer@example.com");
      }
      await page.context().close();
    }
  });
});
