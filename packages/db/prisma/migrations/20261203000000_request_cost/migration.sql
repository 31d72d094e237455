-- AlterTable
ALTER TABLE "RequestLog" ADD COLUMN     "cost" DOUBLE PRECISION,
ADD COLUMN     "costEstimated" BOOLEAN NOT NULL DEFAULT false;
