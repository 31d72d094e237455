-- Teams, keys in teams, budgets as rules (period, limit_usd, model), and each request's team on its log row.

-- CreateTable
CREATE TABLE "Team" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "budgets" JSONB NOT NULL DEFAULT '[]',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Team_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Team_name_key" ON "Team"("name");

-- AlterTable: the three budget columns become rules, their values kept.
ALTER TABLE "ApiKey" ADD COLUMN "budgets" JSONB NOT NULL DEFAULT '[]',
ADD COLUMN "teamId" TEXT;

UPDATE "ApiKey" SET "budgets" = (
  SELECT coalesce(jsonb_agg(jsonb_build_object('period', b.period, 'limit_usd', b.limit_usd) ORDER BY b.ord), '[]'::jsonb)
    FROM (VALUES (1, 'day', "budgetDailyUsd"), (2, 'month', "budgetMonthlyUsd"), (3, 'total', "budgetTotalUsd")) AS b(ord, period, limit_usd)
   WHERE b.limit_usd IS NOT NULL
);

ALTER TABLE "ApiKey" DROP COLUMN "budgetDailyUsd",
DROP COLUMN "budgetMonthlyUsd",
DROP COLUMN "budgetTotalUsd";

-- CreateIndex
CREATE INDEX "ApiKey_teamId_idx" ON "ApiKey"("teamId");

-- AddForeignKey
ALTER TABLE "ApiKey" ADD CONSTRAINT "ApiKey_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AlterTable
ALTER TABLE "RequestLog" ADD COLUMN "teamId" TEXT;

-- CreateIndex
CREATE INDEX "RequestLog_teamId_time_idx" ON "RequestLog"("teamId", "time" DESC);
