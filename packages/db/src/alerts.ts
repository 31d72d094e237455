/**
 * Alert rules and the alerts they fired. Every replica checks the rules; an alert is opened by an insert that a
 * partial unique index allows once per rule while it is open, and closed by a conditional update, so of the
 * replicas that see a change, exactly one delivers it.
 */
import { randomBytes } from "node:crypto";
import { uuidv7 } from "@interference/core";
import type { PrismaClient } from "./generated/prisma/client.js";
import type { AlertEventRecord, AlertRuleInput, AlertRuleRecord, AlertStore } from "./store.js";

type RuleRow = Awaited<ReturnType<PrismaClient["alertRule"]["findMany"]>>[number];
const toRule = (r: RuleRow): AlertRuleRecord => ({ ...r, kind: r.kind as AlertRuleRecord["kind"], format: r.format as AlertRuleRecord["format"] });

type EventRow = { id: string; ruleId: string; firedAt: Date; resolvedAt: Date | null; message: string; value: number | null; rule?: { name: string } };
const toEvent = (e: EventRow, ruleName = e.rule?.name ?? ""): AlertEventRecord => ({
  id: e.id,
  ruleId: e.ruleId,
  ruleName,
  firedAt: new Date(e.firedAt),
  resolvedAt: e.resolvedAt ? new Date(e.resolvedAt) : null,
  message: e.message,
  value: e.value,
});

const isUniqueViolation = (err: unknown) =>
  (err as { code?: string }).code === "P2002" || /unique constraint|duplicate key/i.test((err as Error)?.message ?? "");

export function alertStore(prisma: PrismaClient): AlertStore {
  return {
    async rules() {
      return (await prisma.alertRule.findMany({ orderBy: { createdAt: "asc" } })).map(toRule);
    },
    async saveRule({ id, ...rule }: AlertRuleInput) {
      const row = id
        ? await prisma.alertRule.update({ where: { id }, data: rule })
        : await prisma.alertRule.create({ data: { id: `alr_${randomBytes(6).toString("hex")}`, ...rule } });
      return toRule(row);
    },
    async removeRule(id) {
      return (await prisma.alertRule.deleteMany({ where: { id } })).count > 0;
    },
    async open(ruleId, message, value) {
      try {
        const now = new Date();
        const row = await prisma.alertEvent.create({
          data: { id: uuidv7(now.getTime()), ruleId, firedAt: now, message, value },
          include: { rule: { select: { name: true } } },
        });
        return toEvent(row);
      } catch (err) {
        if (isUniqueViolation(err)) return null; // open already: another replica (or an earlier check) has it
        throw err;
      }
    },
    async resolve(ruleId) {
      const rows = await prisma.$queryRaw<EventRow[]>`
        UPDATE "AlertEvent" SET "resolvedAt" = now() WHERE "ruleId" = ${ruleId} AND "resolvedAt" IS NULL
        RETURNING id, "ruleId", "firedAt", "resolvedAt", message, value`;
      if (!rows[0]) return null;
      const rule = await prisma.alertRule.findUnique({ where: { id: ruleId }, select: { name: true } });
      return toEvent(rows[0], rule?.name ?? "");
    },
    async events({ open, limit }) {
      const rows = await prisma.alertEvent.findMany({
        where: open ? { resolvedAt: null } : {},
        orderBy: { id: "desc" },
        take: limit,
        include: { rule: { select: { name: true } } },
      });
      return rows.map((r) => toEvent(r));
    },
  };
}
