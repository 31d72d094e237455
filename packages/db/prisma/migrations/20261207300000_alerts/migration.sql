-- Alerts: rules set on the dashboard, and the alerts they fired (one open per rule, claimed by one replica).

-- CreateTable
CREATE TABLE "AlertRule" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "provider" TEXT,
    "threshold" DOUBLE PRECISION NOT NULL,
    "windowSeconds" INTEGER NOT NULL DEFAULT 300,
    "minRequests" INTEGER NOT NULL DEFAULT 5,
    "webhookUrl" TEXT NOT NULL,
    "format" TEXT NOT NULL DEFAULT 'slack',
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AlertRule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AlertEvent" (
    "id" TEXT NOT NULL,
    "ruleId" TEXT NOT NULL,
    "firedAt" TIMESTAMPTZ(3) NOT NULL,
    "resolvedAt" TIMESTAMPTZ(3),
    "message" TEXT NOT NULL,
    "value" DOUBLE PRECISION,

    CONSTRAINT "AlertEvent_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "AlertEvent_firedAt_idx" ON "AlertEvent"("firedAt");
CREATE INDEX "AlertEvent_ruleId_idx" ON "AlertEvent"("ruleId");
-- One open alert per rule: the replica whose insert lands delivers it; the others' inserts are refused.
CREATE UNIQUE INDEX "AlertEvent_one_open_per_rule" ON "AlertEvent"("ruleId") WHERE "resolvedAt" IS NULL;
ALTER TABLE "AlertEvent" ADD CONSTRAINT "AlertEvent_ruleId_fkey" FOREIGN KEY ("ruleId") REFERENCES "AlertRule"("id") ON DELETE CASCADE ON UPDATE CASCADE;
