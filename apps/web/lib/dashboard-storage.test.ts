import { AsyncLocalStorage, executionAsyncId } from "node:async_hooks";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { installDashboardStorage } from "./dashboard-storage";

// React's renderers run their storages from Next's compiled runtime (next/dist/compiled/…): a module at such a path.
const nextDist = join(mkdtempSync(join(tmpdir(), "dashboard-storage-")), "node_modules/next/dist/compiled");
mkdirSync(nextDist, { recursive: true });
writeFileSync(join(nextDist, "renderer.cjs"), "exports.run = (storage, store, fn) => storage.run(store, fn);\n");
const renderer = createRequire(import.meta.url)(join(nextDist, "renderer.cjs")) as {
  run<S, R>(storage: AsyncLocalStorage<S>, store: S, fn: () => R): R;
};

// With async_hooks' promise hooks on, a promise's continuation runs under the promise's own async id; with them
// off, under none (0). That is the cost the gate removes, observed through public API.
async function promiseHooksOn(): Promise<boolean> {
  await Promise.resolve();
  return executionAsyncId() !== 0;
}

const QUIET_MS = 30;
// One gate for the file, as in the server: it patches AsyncLocalStorage's prototype once per process.
const global: { AsyncLocalStorage?: typeof AsyncLocalStorage } = {};
const gate = installDashboardStorage(QUIET_MS, global);
const NextStorage = global.AsyncLocalStorage!;
const nextStore = new NextStorage<{ page: string }>();
const reactStore = new AsyncLocalStorage<{ render: number }>(); // as React's renderers make theirs

describe("the dashboard's request storages", () => {
  it("starts with the hooks off", async () => {
    expect(await promiseHooksOn()).toBe(false);
    expect(gate.quiet).toBe(true);
  });

  it("turns them off once no dashboard request has been in flight for the quiet time", async () => {
    gate.begin();
    const seen = await nextStore.run({ page: "/" }, async () => {
      const inner = await renderer.run(reactStore, { render: 1 }, async () => {
        await sleep(1);
        return reactStore.getStore();
      });
      return { page: nextStore.getStore(), render: inner };
    });
    expect(seen).toEqual({ page: { page: "/" }, render: { render: 1 } });
    expect(await promiseHooksOn()).toBe(true);
    gate.end();
    expect(gate.quiet).toBe(false);
    await sleep(QUIET_MS / 3);
    expect(await promiseHooksOn()).toBe(true); // not yet: a page's trailing work still reads its store
    await sleep(QUIET_MS * 2);
    expect(gate.quiet).toBe(true);
    expect(await promiseHooksOn()).toBe(false);
  });

  it("keeps them on while any dashboard request is in flight, however long", async () => {
    gate.begin();
    gate.begin();
    await nextStore.run({ page: "/logs" }, () => sleep(1));
    gate.end();
    await sleep(QUIET_MS * 3);
    expect(gate.inFlight).toBe(1);
    expect(await promiseHooksOn()).toBe(true);
    gate.end();
    await sleep(QUIET_MS * 3);
    expect(await promiseHooksOn()).toBe(false);
  });

  it("serves the next dashboard request with its stores after turning them off", async () => {
    gate.begin();
    const seen = await nextStore.run({ page: "/keys" }, async () => {
      await sleep(1);
      return renderer.run(reactStore, { render: 2 }, async () => {
        await sleep(1);
        return [nextStore.getStore(), reactStore.getStore()];
      });
    });
    expect(seen).toEqual([{ page: "/keys" }, { render: 2 }]);
    gate.end();
    await sleep(QUIET_MS * 3);
    expect(await promiseHooksOn()).toBe(false);
  });

  it("leaves alone a storage used outside the dashboard's requests", async () => {
    const other = new AsyncLocalStorage<string>(); // e.g. a tracing library's context, used by /v1
    gate.begin();
    await nextStore.run({ page: "/" }, () => sleep(1));
    const otherSeen = other.run("span", async () => {
      await sleep(QUIET_MS * 3);
      return other.getStore();
    });
    gate.end();
    expect(await otherSeen).toBe("span");
    expect(gate.quiet).toBe(true);
    expect(await promiseHooksOn()).toBe(true); // the other storage still needs them
    other.disable();
    expect(await promiseHooksOn()).toBe(false);
  });

  it("leaves alone a storage that is not Next's even when first used inside a dashboard request", async () => {
    const tracing = new AsyncLocalStorage<string>(); // a tracing library's span inside a page's data fetch
    gate.begin();
    await nextStore.run({ page: "/" }, () => tracing.run("fetch span", () => sleep(1)));
    const later = tracing.run("a /v1 request's span", async () => {
      await sleep(QUIET_MS * 3);
      return tracing.getStore();
    });
    gate.end();
    expect(await later).toBe("a /v1 request's span");
    expect(gate.quiet).toBe(true);
    expect(await promiseHooksOn()).toBe(true);
    tracing.disable();
    expect(await promiseHooksOn()).toBe(false);
  });

  it("refuses to install after something else has set the global", () => {
    expect(() => installDashboardStorage(QUIET_MS, { AsyncLocalStorage })).toThrow(/before Next loads/);
  });
});
