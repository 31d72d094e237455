/** Debian's chromium through playwright-core, as the dashboard's browser tests run it. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { WEB_DIR } from "./server";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Screenshots go here (<repo>/test-artifacts/). */
export const ARTIFACTS = join(WEB_DIR, "../../test-artifacts");
export const chromiumPresent = existsSync(CHROMIUM);
if (!chromiumPresent && process.env.CI === "true") throw new Error(`CI needs ${CHROMIUM}: scripts/setup.sh --test installs it`);

/** Headless, sandbox off (containers), nothing fetched in the background. */
export function launchChromium(): Promise<Browser> {
  // playwright gives the browser a fresh profile folder of its own (it refuses --user-data-dir here).
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Signs in on the dashboard's login page, as an admin does, and waits for the Overview it lands on. */
export async function signInPage(page: Page, base: string, password: string): Promise<void> {
  await page.goto(`${base}/login`);
  await page.fill("#password", password);
  await page.click("button[type=submit]");
  await page.waitForURL(/\/overview/);
}

/** A browser and a desktop-sized page (1280 × 900) in it. */
export async function desktopPage(): Promise<{ browser: Browser; page: Page }> {
  const browser = await launchChromium();
  return { browser, page: await browser.newPage({ viewport: { width: 1280, height: 900 } }) };
}

/** axe-core's WCAG 2 A and AA rules on the page: every violation (any impact), with where it is. */
export async function axeViolations(page: Page): Promise<string[]> {
  const { default: axe } = await import("axe-core");
  await page.addScriptTag({ content: axe.source });
  return page.evaluate(async () => {
    type Result = { violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> };
    const { axe: checker } = window as unknown as { axe: { run(o: object): Promise<Result> } };
    const result = await checker.run({ runOnly: { type: "tag", values: ["wcag2a", "wcag2aa"] } });
    return result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  });
}
