import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isDataFolder, openPGlite, PGLITE_SHARED_BUFFERS } from "./pglite.js";

describe("openPGlite", () => {
  it("creates a new data folder (in a child process), then reopens it with its data", async () => {
    const root = mkdtempSync(join(tmpdir(), "pglite-open-"));
    const dir = join(root, "nested", "db");
    const first = await openPGlite(dir);
    expect(isDataFolder(dir)).toBe(true);
    expect(readdirSync(join(root, "nested"))).toEqual(["db"]); // no build folder left beside it
    expect((await first.query<{ shared_buffers: string }>("SHOW shared_buffers")).rows[0]!.shared_buffers).toBe(PGLITE_SHARED_BUFFERS);
    await first.exec("CREATE TABLE kept (v int); INSERT INTO kept VALUES (42);");
    await first.close();

    const again = await openPGlite(dir);
    expect((await again.query<{ v: number }>("SELECT v FROM kept")).rows).toEqual([{ v: 42 }]);
    await again.close();
  }, 60_000);

  it("refuses a folder that holds other files and no database", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pglite-busy-"));
    writeFileSync(join(dir, "notes.txt"), "mine");
    await expect(openPGlite(dir)).rejects.toThrow(/not empty and holds no database/);
    expect(readdirSync(dir)).toEqual(["notes.txt"]);
  });

  it("uses an empty folder made beforehand, e.g. a mounted volume", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "pglite-empty-")), "db");
    mkdirSync(dir);
    const db = await openPGlite(dir);
    expect(existsSync(join(dir, "PG_VERSION"))).toBe(true);
    await db.close();
  }, 60_000);
});
