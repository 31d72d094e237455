/** Migrations that move data: what a database made by an earlier release holds comes through unchanged in meaning. */
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { describe, expect, it } from "vitest";
import { PrismaClient } from "./generated/prisma/client.js";
import { migrate, readMigrations } from "./migrate.js";
import { MIGRATIONS_DIR } from "./open.js";
import { openPGlite } from "./pglite.js";

/** A migrations folder holding those before `name`: the database as the release before it left it. */
function migrationsBefore(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), "ifr-migrations-"));
  for (const m of readMigrations(MIGRATIONS_DIR).filter((m) => m.name < name)) cpSync(join(MIGRATIONS_DIR, m.name), join(dir, m.name), { recursive: true });
  return dir;
}

describe("20261203000002_teams", () => {
  it("turns a key's three budget columns into budget rules, keeping their values and order", async () => {
    const pglite = await openPGlite(mkdtempSync(join(tmpdir(), "ifr-db-")));
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
    try {
      await migrate(prisma, migrationsBefore("20261203000002_teams"));
      await prisma.$executeRawUnsafe(`INSERT INTO "ApiKey" (id, name, prefix, hash, "budgetDailyUsd", "budgetMonthlyUsd", "budgetTotalUsd") VALUES
        ('k1', 'all three', 'ik_1…', 'h1', 1.5, 20, 100),
        ('k2', 'monthly', 'ik_2…', 'h2', NULL, 0.25, NULL),
        ('k3', 'none', 'ik_3…', 'h3', NULL, NULL, NULL)`);
      expect(await migrate(prisma, MIGRATIONS_DIR)).toEqual([
        "20261203000002_teams",
        "20261203000003_audio_log",
        "20261203000004_key_expiry_rotation",
        "20261203000005_request_bodies",
        "20261206000000_routing_decision",
        "20261206100000_key_stream_recovery",
        "20261206200000_session_generation",
        "20261207000000_response_cache",
        "20261207100000_people",
        "20261207200000_end_user_tags",
        "20261207300000_alerts",
        "20261207310000_alert_budget",
      ]);
      const keys = await prisma.apiKey.findMany({ orderBy: { id: "asc" }, select: { id: true, budgets: true, teamId: true } });
      expect(keys).toEqual([
        {
          id: "k1",
          teamId: null,
          budgets: [
            { period: "day", limit_usd: 1.5 },
            { period: "month", limit_usd: 20 },
            { period: "total", limit_usd: 100 },
          ],
        },
        { id: "k2", teamId: null, budgets: [{ period: "month", limit_usd: 0.25 }] },
        { id: "k3", teamId: null, budgets: [] },
      ]);
    } finally {
      await prisma.$disconnect();
      await pglite.close();
    }
  }, 60_000);
});
