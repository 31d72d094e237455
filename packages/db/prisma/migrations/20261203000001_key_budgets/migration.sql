-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN     "budgetDailyUsd" DOUBLE PRECISION,
ADD COLUMN     "budgetMonthlyUsd" DOUBLE PRECISION,
ADD COLUMN     "budgetTotalUsd" DOUBLE PRECISION;
