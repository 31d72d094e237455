/** Debian's chromium through playwright-core, as the dashboard's browser tests run it. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
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
