/**
 * Applies prisma/migrations at start-up, offline, on PGlite and PostgreSQL alike: the gateway never runs the
 * Prisma CLI (whose schema engine is a download). Bookkeeping uses Prisma Migrate's own `_prisma_migrations`
 * table and checksums, so `prisma migrate status/deploy` agree with what ran here. Replicas starting together
 * take a transaction-scoped advisory lock: one applies, the others find the work done.
 */
import { createHash, randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { PrismaClient } from "./generated/prisma/client.js";

/** An arbitrary constant that names this lock for pg_advisory_xact_lock. */
const MIGRATION_LOCK_ID = 7_431_337;

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir: string): Migration[] {
  if (!existsSync(dir)) throw new Error(`migrations folder not found: ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, "migration.sql")))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

/** Splits a migration into statements (the extended query protocol takes one at a time). */
export function statements(sql: string): string[] {
  const withoutComments = sql
    .split("\n")
    .filter((line) => !line.trim().startsWith("--"))
    .join("\n");
  return withoutComments
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Applies the migrations not yet applied, in order. Returns the names it applied. */
export async function migrate(prisma: PrismaClient, dir: string): Promise<string[]> {
  const migrations = readMigrations(dir);
  return prisma.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_ID})`);
      await tx.$executeRawUnsafe(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
        "id" VARCHAR(36) PRIMARY KEY NOT NULL,
        "checksum" VARCHAR(64) NOT NULL,
        "finished_at" TIMESTAMPTZ,
        "migration_name" VARCHAR(255) NOT NULL,
        "logs" TEXT,
        "rolled_back_at" TIMESTAMPTZ,
        "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
        "applied_steps_count" INTEGER NOT NULL DEFAULT 0
      )`);
      const done = await tx.$queryRawUnsafe<{ migration_name: string; checksum: string }[]>(
        `SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
      );
      const applied = new Map(done.map((r) => [r.migration_name, r.checksum]));
      const ran: string[] = [];
      for (const m of migrations) {
        const previous = applied.get(m.name);
        if (previous) {
          if (previous !== m.checksum) console.warn(`[db] migration ${m.name} was edited after it was applied (checksum differs)`);
          continue;
        }
        const steps = statements(m.sql);
        for (const s of steps) await tx.$executeRawUnsafe(s);
        await tx.$executeRawUnsafe(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ($1, $2, now(), $3, $4)`,
          randomUUID(),
          m.checksum,
          m.name,
          steps.length,
        );
        ran.push(m.name);
      }
      return ran;
    },
    { timeout: 120_000, maxWait: 120_000 },
  );
}
