/**
 * One SQL statement, run the cheapest way the database allows: on PGlite straight into it, elsewhere through
 * Prisma's raw SQL. For queries on the request path: on PGlite a Prisma query cost about 1 ms of CPU against
 * 0.2-0.3 ms for the same statement sent directly (`bench/stored-responses.mjs`).
 */
import type { PGlite } from "@electric-sql/pglite";
import type { PrismaClient } from "./generated/prisma/client.js";

export interface Sql {
  /** Rows changed. */
  execute(sql: string, params: unknown[]): Promise<number>;
  query<T>(sql: string, params: unknown[]): Promise<T[]>;
}

export function sqlRunner(prisma: PrismaClient, pglite: PGlite | null): Sql {
  if (pglite) {
    return {
      execute: async (sql, params) => (await pglite.query(sql, params)).affectedRows ?? 0,
      query: async <T>(sql: string, params: unknown[]) => (await pglite.query<T>(sql, params)).rows,
    };
  }
  return {
    execute: (sql, params) => prisma.$executeRawUnsafe(sql, ...params),
    query: <T>(sql: string, params: unknown[]) => prisma.$queryRawUnsafe<T[]>(sql, ...params),
  };
}
