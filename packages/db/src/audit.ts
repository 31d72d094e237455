/**
 * The audit log: one row per change made in the dashboard and per sign-in. Rows are only ever added (a trigger in
 * the database refuses updates) and leave only by retention (`prune`).
 */
import { uuidv7 } from "@interference/core";
import { Prisma, type PrismaClient } from "./generated/prisma/client.js";
import type { AuditEntry, AuditFilter, AuditStore } from "./store.js";

type Row = Awaited<ReturnType<PrismaClient["auditEvent"]["findMany"]>>[number];

const toEntry = (row: Row): AuditEntry => ({
  id: row.id,
  time: row.time,
  actorId: row.actorId,
  actorEmail: row.actorEmail,
  address: row.address,
  action: row.action,
  target: row.target,
  changes: (row.changes ?? null) as AuditEntry["changes"],
});

function where(f: AuditFilter): Prisma.AuditEventWhereInput {
  const all: Prisma.AuditEventWhereInput[] = [];
  if (f.actorId) all.push({ actorId: f.actorId });
  if (f.action) all.push({ action: { startsWith: f.action } });
  if (f.text) {
    const contains = { contains: f.text, mode: "insensitive" } as const;
    all.push({ OR: [{ target: contains }, { actorEmail: contains }, { action: contains }] });
  }
  if (f.from || f.to) all.push({ time: { ...(f.from ? { gte: f.from } : {}), ...(f.to ? { lte: f.to } : {}) } });
  return all.length ? { AND: all } : {};
}

export function auditStore(prisma: PrismaClient): AuditStore {
  return {
    async append({ time, changes, ...entry }) {
      const at = time ?? new Date();
      const row = await prisma.auditEvent.create({
        data: { id: uuidv7(at.getTime()), time: at, ...entry, changes: changes === null ? Prisma.DbNull : (changes as Prisma.InputJsonValue) },
      });
      return toEntry(row);
    },
    async query(filter, cursor, limit) {
      // Ids are UUIDv7, time first: the id alone orders and pages the log.
      const rows = await prisma.auditEvent.findMany({
        where: { AND: [where(filter), ...(cursor ? [{ id: { lt: cursor } }] : [])] },
        orderBy: { id: "desc" },
        take: limit + 1,
      });
      const page = rows.slice(0, limit).map(toEntry);
      return { rows: page, nextCursor: rows.length > limit ? page[page.length - 1]!.id : null };
    },
    async prune(before) {
      const { count } = await prisma.auditEvent.deleteMany({ where: { time: { lt: before } } });
      return count;
    },
  };
}
