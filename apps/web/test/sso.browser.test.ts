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
  const issuerHost = new URL(issuer.url).host;
  server = await startServer({ port, config, env: { ADMIN_PASSWORD: PASSWORD, TEST_SSO_SECRET: issuer.clientSecret, PROVIDER_URL_ALLOWLIST: issuerHost } });
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
async function ssoSignIn(login: string, button = "text=Sign in with Test IdP", from = "/login"): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(new URL(from, server.url).href);
  await page.click(button);
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

  it("takes the owner's settings from the dashboard over the file's: issuer checked, secret write-only, audited without it", async () => {
    const settings = {
      issuer: issuer.url,
      client_id: issuer.clientId,
      client_secret: issuer.clientSecret,
      scopes: "openid email groups",
      allowed_domains: ["example.com"],
      groups_claim: "groups",
      role_mappings: [{ group: "gw-admins", role: "admin", team_role: "member" }],
      label: "Sign in with the dashboard's IdP",
    };
    // An internal issuer that is not allow-listed is refused before anything is fetched from it.
    const refused = await trpc(server.url, owner, "sso.save", { settings: { ...settings, issuer: "http://10.20.30.40/realms/x" } });
    expect(refused.status).toBe(400);
    expect(refused.error.message).toMatch(/^issuer: refused/);
    const saved = await trpc(server.url, owner, "sso.save", { settings });
    expect(saved.status).toBe(200);
    expect(saved.data).toMatchObject({ source: "dashboard", clientSecretSet: true, label: settings.label });
    expect(JSON.stringify(saved.data)).not.toContain(issuer.clientSecret);
    // Saved again without the secret: the stored one stays.
    expect((await trpc(server.url, owner, "sso.save", { settings: { ...settings, client_secret: "" } })).data.clientSecretSet).toBe(true);
    issuer.accounts.set("ann", { email: "ann@example.com", groups: ["gw-admins"] });
    const { context, page } = await ssoSignIn("ann", `text=${settings.label}`);
    expect(new URL(page.url()).pathname).toBe("/overview");
    await context.close();
    const audit = await (await fetch(`${server.url}/api/admin/audit/export?format=jsonl&action=sso.`, { headers: { cookie: owner } })).text();
    expect(audit).not.toContain(issuer.clientSecret);
    // The same secret as the file's: not a change; the label is.
    expect(audit).toContain(`"label":{"after":"${settings.label}","before":"Sign in with Test IdP"}`);
    expect(audit).not.toContain('"client_secret"');
    // Removed: the file's settings again.
    expect((await trpc(server.url, owner, "sso.save", { settings: null })).data).toMatchObject({ source: "file", label: "Sign in with Test IdP" });
  });

  it("an invited person signs in by SSO from their link with the invited email, keeping the role the owner gave", async () => {
    const invited = await trpc(server.url, owner, "users.invite", { email: "ivy@example.com", role: "viewer" });
    issuer.accounts.set("ivy", { email: "ivy@example.com", groups: [] }); // no group maps: only the invitation lets her in
    const { context, page } = await ssoSignIn("ivy", "a.button:has-text('as ivy@example.com')", invited.data.url);
    expect(new URL(page.url()).pathname).toBe("/overview");
    await expect(page.locator("header.top").textContent()).resolves.toContain("ivy@example.com · viewer");
    await context.close();
    // Her next sign-in needs no link: she is a user now, with the owner's role.
    expect((await ssoSignIn("ivy")).page.url()).toContain("/overview");

    // A link opened by someone the provider knows under another email is refused, and stays unused.
    const other = await trpc(server.url, owner, "users.invite", { email: "joe@example.com", role: "viewer" });
    issuer.accounts.set("mallory", { email: "mallory@example.com", groups: [] });
    const { context: context2, page: page2 } = await ssoSignIn("mallory", "a.button:has-text('as joe@example.com')", other.data.url);
    expect(page2.url()).toContain("error=invite-mismatch");
    await page2.goto(other.data.url);
    await expect(page2.locator("main").textContent()).resolves.toContain("You are invited as joe@example.com"); // still good
    await context2.close();
  });
});
