import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPGliteThread } from "./pglite.js";
import { sqlRunner, withLiterals, type Sql } from "./sql.js";
import type { PrismaClient } from "./generated/prisma/client.js";

describe("withLiterals", () => {
  it("writes each value in as a quoted literal, in one pass", () => {
    expect(withLiterals("SELECT $1, $2, $3, $4", ["it's", null, 2.5, true])).toBe("SELECT 'it''s', NULL, '2.5', 'true'");
    expect(withLiterals("SELECT $1", [new Date(Date.UTC(2026, 11, 7, 1, 2, 3, 4))])).toBe("SELECT '2026-12-07T01:02:03.004Z'");
    // A value that looks like a placeholder stays a value; backslashes get PostgreSQL's E'' form.
    expect(withLiterals("SELECT $1, $2", ["$2", "a\\b"])).toBe("SELECT '$2',  E'a\\\\b'"); // pg puts a space before E
    expect(withLiterals("SELECT $10, $1", ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"])).toBe("SELECT 'j', 'a'");
  });

  it("refuses what it cannot write safely", () => {
    expect(() => withLiterals("SELECT $2", ["a"])).toThrow(/no value for \$2/);
    expect(() => withLiterals("SELECT $0", ["a"])).toThrow(/no value for \$0/);
    expect(() => withLiterals("SELECT $1", ["a\u0000b"])).toThrow(/NUL/);
    expect(() => withLiterals("SELECT $1", [{ a: 1 }])).toThrow(/not object/);
  });
});

describe("sqlRunner on PGlite (on its thread, as the gateway runs it)", () => {
  let sql: Sql;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const db = await openPGliteThread(join(mkdtempSync(join(tmpdir(), "ifr-sql-")), "db"));
    close = () => db.close();
    await db.exec(`CREATE TABLE t (id text PRIMARY KEY, doc jsonb, n double precision, at timestamptz(3), flag boolean)`);
    sql = sqlRunner(null as unknown as PrismaClient, db);
  }, 60_000);
  afterAll(() => close?.());

  it("stores any text as it was, and reads it back typed", async () => {
    const hostile = `x'); DROP TABLE t; -- $1 \\' \\\\ \n\t "q" ☃ 🙂`;
    const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6));
    const put = `INSERT INTO t VALUES ($1, $2::text::jsonb, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc`;
    expect(await sql.execute(put, [hostile, JSON.stringify({ s: hostile }), 1e-7, at, false])).toBe(1);
    expect(await sql.execute(put, ["b", null, null, null, null])).toBe(1);
    const rows = await sql.query<{ id: string; doc: string; n: number; at: Date; flag: boolean }>(
      `SELECT id, doc::text AS doc, n, at, flag FROM t WHERE id = $1`,
      [hostile],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id).toBe(hostile);
    expect(JSON.parse(rows[0]!.doc)).toEqual({ s: hostile });
    expect(rows[0]!.n).toBe(1e-7);
    expect(rows[0]!.at).toEqual(at);
    expect(rows[0]!.flag).toBe(false);
    expect(await sql.query(`SELECT id FROM t WHERE id = $1`, ["nobody"])).toEqual([]);
    expect(await sql.execute(`DELETE FROM t WHERE id = $1`, ["b"])).toBe(1);
    expect(await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM t`, [])).toEqual([{ n: 1 }]);
  });
});
