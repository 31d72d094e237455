-- How the router ordered a request's providers: the strategy, the scores it used, the client's policy.

-- AlterTable
ALTER TABLE "RequestLog" ADD COLUMN "routing" JSONB;
