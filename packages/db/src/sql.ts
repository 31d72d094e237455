/**
 * One SQL statement, run the cheapest way the database allows: on PGlite straight into it, elsewhere through
 * Prisma's raw SQL. For queries on the request path: on PGlite a Prisma query cost about 1 ms of CPU against
 * 0.2-0.3 ms for the same statement sent directly (`bench/stored-responses.mjs`).
 */
import type { EmbeddedDb } from "./pglite-thread-client.js";
import pg from "pg";
import type { PrismaClient } from "./generated/prisma/client.js";

export interface Sql {
  /** Rows changed. */
  execute(sql: string, params: unknown[]): Promise<number>;
  query<T>(sql: string, params: unknown[]): Promise<T[]>;
}

export function sqlRunner(prisma: PrismaClient, pglite: EmbeddedDb | null): Sql {
  if (pglite) {
    // One simple query with the values written in: PGlite runs a query with parameters as six calls into its
    // WASM (parse, describe, bind, describe, execute, sync) and one with none as one: a stored response's save
    // took about a quarter less CPU (docs/cpu-per-request-2026-12-07.md, section 13). pg's escapeLiteral quotes.
    const last = async (sql: string, params: unknown[]) => (await pglite.exec(withLiterals(sql, params))).at(-1);
    return {
      execute: async (sql, params) => (await last(sql, params))?.affectedRows ?? 0,
      query: async <T>(sql: string, params: unknown[]) => ((await last(sql, params))?.rows ?? []) as T[],
    };
  }
  return {
    execute: (sql, params) => prisma.$executeRawUnsafe(sql, ...params),
    query: <T>(sql: string, params: unknown[]) => prisma.$queryRawUnsafe<T[]>(sql, ...params),
  };
}

/**
 * `sql` with each `$n` replaced by the n-th value as a quoted literal (one pass, so a value that contains `$2`
 * is never read as a placeholder). A literal is untyped until its context types it, as a parameter is. The
 * statements are the store's own constants: none has a `$` inside a string or an identifier.
 */
export function withLiterals(sql: string, params: readonly unknown[]): string {
  return sql.replace(/\$(\d+)/g, (_, n: string) => {
    const i = Number(n) - 1;
    if (i < 0 || i >= params.length) throw new RangeError(`${sql.slice(0, 60)}…: no value for $${n}`);
    return literal(params[i]);
  });
}

function literal(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  let text: string;
  if (value instanceof Date) text = value.toISOString();
  else if (typeof value === "string") text = value;
  else if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") text = String(value);
  else throw new TypeError(`a SQL value must be text, a number, a boolean or a date, not ${typeof value}`);
  // A NUL would end the statement's text where it stands; PostgreSQL refuses it in text values anyway.
  if (text.includes("\u0000")) throw Object.assign(new Error("invalid byte sequence: text may not contain NUL (0x00)"), { code: "22021" });
  return pg.escapeLiteral(text);
}
