import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { messages } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PACKAGE_DIR, openPGliteThread } from "./pglite.js";
import type { PGliteThread } from "./pglite-thread-client.js";

describe("PGlite on its own thread", () => {
  let db: PGliteThread;
  beforeAll(async () => {
    db = await openPGliteThread(join(mkdtempSync(join(tmpdir(), "ifr-thread-")), "db"));
    await db.exec("CREATE TABLE t (id int PRIMARY KEY, at timestamptz, n bigint, doc jsonb)");
  }, 60_000);
  afterAll(() => db.close());

  it("answers queries with parameters, and statements run with exec, with PGlite's own values", async () => {
    await db.query("INSERT INTO t VALUES ($1, $2, $3, $4)", [1, new Date("2026-12-07T10:00:00Z"), 7, '{"a":[1]}']);
    const { rows, fields, affectedRows } = await db.query<{ id: number; at: Date; doc: unknown }>("SELECT id, at, doc FROM t WHERE id = $1", [1]);
    expect(rows).toEqual([{ id: 1, at: new Date("2026-12-07T10:00:00Z"), doc: { a: [1] } }]);
    expect(fields.map((f) => f.name)).toEqual(["id", "at", "doc"]);
    expect(affectedRows).toBe(0);
    const [, second] = await db.exec("UPDATE t SET n = 8 WHERE id = 1; SELECT n FROM t");
    expect(second!.rows).toEqual([{ n: 8 }]);
  });

  it("reads the types the caller has parsers for as text, with the caller's parsers, in either row mode", async () => {
    const parsers = { 20: (text: string) => `int8:${text}`, 1184: (text: string, typeId: number) => `${typeId}:${text.slice(0, 4)}` };
    const arrays = await db.query<unknown[]>("SELECT n, at, id FROM t WHERE id = 1", [], { rowMode: "array", parsers });
    expect(arrays.rows).toEqual([["int8:8", "1184:2026", 1]]);
    const objects = await db.query("SELECT n, NULL::bigint AS missing FROM t WHERE id = 1", [], { parsers });
    expect(objects.rows).toEqual([{ n: "int8:8", missing: null }]);
  });

  it("copies rows in from a blob", async () => {
    await db.query("COPY t (id, n) FROM '/dev/blob'", [], { blob: new Blob(["20\t1\n21\t\\N\n"]) });
    expect((await db.query("SELECT id, n FROM t WHERE id >= 20 ORDER BY id")).rows).toEqual([
      { id: 20, n: 1 },
      { id: 21, n: null },
    ]);
  });

  it("passes PostgreSQL's errors across as PGlite's DatabaseError, SQLSTATE and all", async () => {
    const err = await db.query("INSERT INTO t (id) VALUES (1)").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(messages.DatabaseError);
    expect(err).toMatchObject({ code: "23505", table: "t", constraint: "t_pkey" });
    expect((err as Error).message).toMatch(/duplicate key/);
    // The connection is usable after it.
    expect((await db.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
  });

  it("runs a transaction alone: a query from outside waits for its end, and sees only what it committed", async () => {
    let inside!: () => void;
    const held = new Promise<void>((resolve) => (inside = resolve));
    const tx = db.transaction(async (t) => {
      await t.query("INSERT INTO t (id) VALUES (30)");
      await held;
      await t.query("DELETE FROM t WHERE id = 30");
      await t.query("INSERT INTO t (id) VALUES (31)");
    });
    await new Promise((r) => setTimeout(r, 20));
    const outside = db.query<{ ids: number[] }>("SELECT array_agg(id ORDER BY id) AS ids FROM t WHERE id IN (30, 31)");
    inside();
    await tx;
    expect((await outside).rows[0]!.ids).toEqual([31]);
  });

  it("rolls back a transaction that throws, or that its callback rolls back", async () => {
    await expect(
      db.transaction(async (t) => {
        await t.query("INSERT INTO t (id) VALUES (40)");
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    await db.transaction(async (t) => {
      await t.query("INSERT INTO t (id) VALUES (41)");
      await t.rollback();
    });
    expect((await db.query("SELECT id FROM t WHERE id IN (40, 41)")).rows).toEqual([]);
  });

  it("runs transactions begun together one after the other, so one that fails leaves the others whole", async () => {
    // Each inserts id 50 if it is free; in one session, interleaved, the loser's failure would abort the winner's.
    const attempts = Array.from({ length: 5 }, () =>
      db.transaction(async (t) => {
        const taken = (await t.query("SELECT 1 FROM t WHERE id = 50")).rows.length > 0;
        await t.query("INSERT INTO t (id) VALUES ($1)", [taken ? null : 50]);
      }),
    );
    const outcomes = await Promise.allSettled(attempts);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    for (const o of outcomes) if (o.status === "rejected") expect((o.reason as { code?: string }).code).toBe("23502"); // not_null_violation
  });

  it("leaves this thread free while a long query runs", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM generate_series(1, 3000000)");
    clearInterval(timer);
    expect(rows[0]!.n).toBe(3_000_000);
    // PGlite on this thread runs the query in one synchronous call: no timer fires until it returns.
    expect(ticks).toBeGreaterThan(3);
  });
});

describe("the thread and the process", () => {
  it("keeps the process alive while a call is in flight, and lets it exit when none is, even unclosed", async () => {
    // The built module: the child has no TypeScript loader.
    const built = pathToFileURL(join(PACKAGE_DIR, "dist", "pglite.js")).href;
    const script = `
      const { openPGliteThread } = await import(${JSON.stringify(built)});
      const db = await openPGliteThread("memory:");
      const { rows } = await db.query("SELECT pg_sleep(0.3), 42 AS answer");
      console.log(rows[0].answer);
    `;
    const file = join(mkdtempSync(join(tmpdir(), "ifr-thread-exit-")), "unclosed.mjs");
    writeFileSync(file, script);
    const { stdout } = await promisify(execFile)(process.execPath, [file], { timeout: 60_000 });
    expect(stdout.trim()).toBe("42");
  }, 90_000);

  it("fails the calls in flight and every later one when its thread dies", async () => {
    const db = await openPGliteThread("memory:");
    const inFlight = db.query("SELECT pg_sleep(5)");
    await new Promise((r) => setTimeout(r, 100));
    await (db as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await expect(inFlight).rejects.toThrow(/thread exited/);
    expect(db.closed).toBe(true);
    await expect(db.query("SELECT 1")).rejects.toThrow(/thread exited/);
  }, 60_000);

  it("refuses calls once closed", async () => {
    const db = await openPGliteThread("memory:");
    await db.close();
    expect(db.closed).toBe(true);
    await expect(db.query("SELECT 1")).rejects.toThrow(/closed/);
  }, 60_000);
});
