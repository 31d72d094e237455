/**
 * Teams: API keys grouped so that their spend counts together, with budgets of their own. A key's lookup brings
 * its team's budgets, so every change here clears the key cache (`onChange`), and other replicas hear of it as of
 * any key change.
 */
import { randomBytes } from "node:crypto";
import { GatewayError, type BudgetRule } from "@interference/core";
import type { PrismaClient, Team } from "./generated/prisma/client.js";
import type { TeamRecord, TeamStore } from "./store.js";

const toRecord = (row: Team & { _count: { keys: number } }): TeamRecord => ({
  id: row.id,
  name: row.name,
  budgets: Array.isArray(row.budgets) ? (row.budgets as BudgetRule[]) : [],
  cache: row.cache,
  createdAt: row.createdAt,
  keyCount: row._count.keys,
});

const WITH_COUNT = { include: { _count: { select: { keys: true } } } } as const;

/** A name another team has (the unique index refused it). */
function nameTaken(name: string | undefined) {
  return (err: unknown): never => {
    if ((err as { code?: string }).code === "P2002" || /unique constraint/i.test((err as Error)?.message ?? "")) {
      throw new GatewayError(409, "invalid_request_error", "team_exists", `A team named "${name}" already exists.`);
    }
    throw err;
  };
}

export function teamStore(prisma: PrismaClient, onChange: () => void): TeamStore {
  return {
    async list() {
      return (await prisma.team.findMany({ orderBy: { name: "asc" }, ...WITH_COUNT })).map(toRecord);
    },

    async create({ name, budgets, cache }) {
      const row = await prisma.team
        .create({ data: { id: `team_${randomBytes(6).toString("hex")}`, name, budgets: budgets ?? [], cache: cache ?? null }, ...WITH_COUNT })
        .catch(nameTaken(name));
      return toRecord(row);
    },

    async update(id, { name, budgets, cache }) {
      const { count } = await prisma.team
        .updateMany({
          where: { id },
          data: { ...(name !== undefined ? { name } : {}), ...(budgets ? { budgets } : {}), ...(cache !== undefined ? { cache } : {}) },
        })
        .catch(nameTaken(name));
      onChange();
      return count > 0;
    },

    async remove(id) {
      const { count } = await prisma.team.deleteMany({ where: { id } });
      onChange();
      return count > 0;
    },
  };
}
