-- Budget alerts: a rule may watch a key's or a team's budgets ("key:<id>" or "team:<id>").

-- AlterTable
ALTER TABLE "AlertRule" ADD COLUMN "budgetOwner" TEXT;
