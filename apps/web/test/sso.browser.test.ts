/**
 * Single sign-on end to end in a real browser: Chromium, the real server, and a real OpenID provider
 * (oidc-provider) on loopback. A person signs in through the provider's login form; their groups give them a role;
 * removed from the group, they are refused at their next sign-in and their session ends; an ID token for another
 * audience, or with another nonce, is refused although the provider signed it.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { freePort, startServer, writeConfig, type RunningServer } from "./support/server";
import { startIssuer, type TestIssuer } from "./support/oidc-issuer";
import { signIn, trpc } from "./support/admin";
import { ARTIFACTS, chromiumPresent, launchChromium } from "./support/browser";

const PASSWORD = "owner password for sso";
let server: RunningServer;
let issuer: TestIssuer;
let browser: Browser;
let owner: string;

beforeAll(async () => {
  if (!chromiumPresent) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  const port = await freePort();
  issuer = await startIssuer(`http://127.0.0.1:${port}/api/auth/sso/callback`);
  const config = writeConfig(
    [
      "providers: []",
      "sso:",
      `  issuer: ${issuer.url}`,
      `  client_id: ${issuer.clientId}`,
      "  client_secret: ${TEST_SSO_SECRET}",
      "  allowed_domains: [example.com]",
      "  scopes: openid email groups",
      "  label: Sign in with Test IdP",
      "  role_mappings:",
      "    - { group: gw-admins, role: admin }",
      "    - { group: search-leads, role: team, team: Search, team_role: lead }",
      "",
    ].join("\n"),
  );
  server = await startServer({ port, config, env: { ADMIN_PASSWORD: PASSWORD, TEST_SSO_SECRET: issuer.clientSecret } });
  owner = await signIn(server.url, PASSWORD);
  await trpc(server.url, owner, "teams.create", { name: "Search" });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await issuer?.stop();
});

/** A fresh browser (no session at the provider either) signing in as `login` through the provider's form. */
async function ssoSignIn(login: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/login`);
  await page.click("text=Sign in with Test IdP");
  await page.waitForURL(new RegExp(`^${issuer.url}/`));
  await page.fill("input[name=login]", login);
  await page.fill("input[name=password]", "anything");
  await page.click("button[type=submit]");
  await page.waitForURL(new RegExp(`^${server.url}/(?!api/)`));
  return { context, page };
}

const me = (page: Page) => page.evaluate(async () => (await fetch("/api/trpc/me?input=%7B%7D")).status);

describe.skipIf(!chromiumPresent)("single sign-on (OpenID Connect)", () => {
  it("signs a person in through the provider; their group makes them an admin", async () => {
    issuer.accounts.set("ann", { email: "ann@example.com", groups: ["gw-admins", "everyone"] });
    const { context, page } = await ssoSignIn("ann");
    expect(new URL(page.url()).pathname).toBe("/overview");
    await expect(page.locator("header.top").textContent()).resolves.toContain("ann@example.com · admin");
    await expect(page.locator("nav.pages").textContent()).resolves.toContain("Providers");
    await page.screenshot({ path: join(ARTIFACTS, "sso-admin-1280.png") });
    const users = (await trpc(server.url, owner, "users.list", {}, "query")).data as Array<{ email: string; role: string; roleSource: string; sso: boolean }>;
    expect(users.find((u) => u.email === "ann@example.com")).toMatchObject({ role: "admin", roleSource: "sso", sso: true });
    await context.close();
  });

  it("maps a group to a team lead, and a person removed from the group loses access at their next sign-in", async () => {
    issuer.accounts.set("lee", { email: "lee@example.com", groups: ["search-leads"] });
    const first = await ssoSignIn("lee");
    expect(new URL(first.page.url()).pathname).toBe("/logs"); // a team lead's first page
    await expect(first.page.locator("nav.pages").textContent()).resolves.not.toContain("Providers");
    expect(await me(first.page)).toBe(200);
    issuer.accounts.set("lee", { email: "lee@example.com", groups: [] });
    const again = await ssoSignIn("lee");
    expect(again.page.url()).toContain("/login?error=sso-no-access");
    await expect(again.page.locator("p.bad").textContent()).resolves.toContain("None of your groups");
    await again.page.screenshot({ path: join(ARTIFACTS, "sso-refused-1280.png") });
    expect(await me(first.page)).toBe(401); // the session they still held ended too
    await Promise.all([first.context.close(), again.context.close()]);
  });

  it("refuses an ID token for another audience, or with another nonce, though the provider signed it", async () => {
    issuer.accounts.set("eve", { email: "eve@example.com", groups: ["gw-admins"] });
    for (const tamper of [{ aud: "someone-else" }, { nonce: "a-nonce-this-browser-never-sent" }]) {
      issuer.tamper = tamper;
      const { context, page } = await ssoSignIn("eve");
      expect(page.url(), JSON.stringify(tamper)).toContain("/login?error=sso-failed");
      expect(await me(page)).toBe(401);
      await context.close();
    }
    issuer.tamper = null;
    const failures = (await trpc(server.url, owner, "audit.list", { action: "signin.failed" }, "query")).data.rows as Array<{
      changes: { reason: { after: string } };
    }>;
    const reasons = failures.map((r) => r.changes.reason.after).join("\n");
    expect(reasons).toMatch(/aud/);
    expect(reasons).toMatch(/nonce/);
    expect(reasons).toMatch(/sso-no-access/);
  });

  it("refuses an email outside the allowed domains", async () => {
    issuer.accounts.set("mal", { email: "mal@elsewhere.org", groups: ["gw-admins"] });
    const { context, page } = await ssoSignIn("mal");
    expect(page.url()).toContain("/login?error=sso-domain");
    await context.close();
  });
});
