#!/usr/bin/env node
// Dashboard page loads in a real browser (Debian's chromium through playwright-core), each page loaded cold (a new
// browser context: no cache) after real traffic is in the log: time to first byte, DOMContentLoaded, load, and the
// JavaScript each page ships (files, bytes on the wire and decoded). With --before <checkout> (another built copy
// of the repository, e.g. a git worktree of an older commit), both are served side by side and loaded in
// alternating pairs in one run, so the machine's noise falls on both alike.
//   node bench/dashboard-load.mjs [--before /tmp/before] [--runs 5]
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const { chromium } = createRequire(join(ROOT, "apps/web/package.json"))("playwright-core");
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1];
};
const RUNS = Number(arg("runs", 5));
const BEFORE = arg("before", null);
const PASSWORD = "bench password";
const PAGES = ["/overview", "/providers", "/logs", "/usage", "/keys", "/teams"];
const median = (xs) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : null);

// One OpenAI-compatible upstream answering at once, so the log fills quickly.
const upstream = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        id: "x",
        object: "chat.completion",
        created: 1,
        model: "m",
        choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
        usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
      }),
    );
  });
});
await new Promise((r) => upstream.listen(0, "127.0.0.1", r));
const config = join(mkdtempSync(join(tmpdir(), "dash-bench-")), "interference.yaml");
writeFileSync(
  config,
  `providers:\n  - { id: a, type: openai, base_url: "http://127.0.0.1:${upstream.address().port}/v1", models: [m, n], prices: { m: { input: 3, output: 15 } } }\n`,
);

async function startServer(checkout, port) {
  const child = spawn(process.execPath, [join(checkout, "apps/web/dist/server.js")], {
    cwd: checkout,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      ADMIN_PASSWORD: PASSWORD,
      DATABASE_URL: `pglite:${mkdtempSync(join(tmpdir(), "dash-bench-db-"))}`,
      INTERFERENCE_CONFIG: config,
      NEXT_TELEMETRY_DISABLED: "1",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // Traffic for the pages to show: 300 requests over two models.
  for (let i = 0; i < 300; i++) {
    await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: i % 3 ? "m" : "n", messages: [{ role: "user", content: `hello ${i}` }] }),
    });
  }
  const login = await fetch(`${url}/api/admin/login`, { method: "POST", body: new URLSearchParams({ password: PASSWORD }), redirect: "manual" });
  const cookie = login.headers.get("set-cookie").split(";")[0];
  return { url, cookie, stop: () => child.kill("SIGTERM") };
}

const targets = [{ name: "after", server: await startServer(ROOT, 3901) }];
if (BEFORE) targets.unshift({ name: "before", server: await startServer(resolve(BEFORE), 3902) });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu"],
});

/** One cold load: a fresh context (no cache), the page until its heading shows and the network is quiet. */
async function load({ url, cookie }, path) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const [name, value] = cookie.split("=");
  await context.addCookies([{ name, value, url }]);
  const page = await context.newPage();
  const res = await page.goto(`${url}${path}`, { waitUntil: "networkidle" });
  if (!res || res.status() >= 400 || new URL(page.url()).pathname !== path) {
    await context.close();
    return null; // the page does not exist in this checkout
  }
  const figures = await page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    const scripts = performance.getEntriesByType("resource").filter((r) => r.initiatorType === "script");
    return {
      ttfb: nav.responseStart,
      dcl: nav.domContentLoadedEventEnd,
      load: nav.loadEventEnd,
      jsFiles: scripts.length,
      jsWire: scripts.reduce((s, r) => s + r.encodedBodySize, 0),
      jsDecoded: scripts.reduce((s, r) => s + r.decodedBodySize, 0),
    };
  });
  await context.close();
  return figures;
}

const results = new Map(); // "target|page" -> figures[]
for (let run = 0; run < RUNS; run++) {
  for (const path of PAGES) {
    // Alternating: before then after this round, after then before the next.
    const order = run % 2 ? [...targets].reverse() : targets;
    for (const t of order) {
      const f = await load(t.server, path);
      if (!f) continue;
      const key = `${t.name}|${path}`;
      results.set(key, [...(results.get(key) ?? []), f]);
    }
  }
}

const kb = (b) => `${(b / 1024).toFixed(0)} KB`;
const ms = (v) => (v === null ? "–" : `${Math.round(v)} ms`);
console.log(`\nDashboard page loads: median of ${RUNS} cold loads each, 1280×800, chromium headless, after 300 logged requests.\n`);
console.log("| page | build | first byte | DOMContentLoaded | load | JS files | JS on the wire | JS decoded |");
console.log("|---|---|---|---|---|---|---|---|");
for (const path of PAGES) {
  for (const t of targets) {
    const fs = results.get(`${t.name}|${path}`);
    if (!fs) {
      console.log(`| ${path} | ${t.name} | (no such page) | | | | | |`);
      continue;
    }
    const m = (k) => median(fs.map((f) => f[k]));
    console.log(
      `| ${path} | ${t.name} | ${ms(m("ttfb"))} | ${ms(m("dcl"))} | ${ms(m("load"))} | ${m("jsFiles")} | ${kb(m("jsWire"))} | ${kb(m("jsDecoded"))} |`,
    );
  }
}
await browser.close();
for (const t of targets) t.server.stop();
upstream.close();
