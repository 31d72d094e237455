-- Who a request was for and how the service labelled it: the end user it named and its tags.

-- AlterTable
ALTER TABLE "RequestLog" ADD COLUMN "endUser" TEXT,
ADD COLUMN "tags" JSONB;

-- Partial: rows that name no end user (most, for many teams) cost the log's inserts nothing here.
CREATE INDEX "RequestLog_endUser_time_idx" ON "RequestLog"("endUser", "time" DESC) WHERE "endUser" IS NOT NULL;
