-- The response cache: what a log row's request made of it, the switches per key and team, and the database's
-- store of cached answers (the exact cache without Redis, and the semantic cache's prompt vectors).

-- AlterTable
ALTER TABLE "RequestLog" ADD COLUMN "cache" TEXT,
ADD COLUMN "cacheEntryId" TEXT,
ADD COLUMN "cacheSaved" DOUBLE PRECISION;

-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN "cache" BOOLEAN;

-- AlterTable
ALTER TABLE "Team" ADD COLUMN "cache" BOOLEAN;

-- CreateTable
CREATE TABLE "CacheEntry" (
    "id" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "namespace" TEXT NOT NULL DEFAULT '',
    "key" TEXT NOT NULL,
    "model" TEXT,
    "provider" TEXT,
    "entry" JSONB NOT NULL,
    "cost" DOUBLE PRECISION,
    "context" TEXT,
    "prompt" TEXT,
    "embedding" REAL[],
    "createdAt" TIMESTAMPTZ(3) NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "CacheEntry_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "CacheEntry_scope_namespace_key_key" ON "CacheEntry"("scope", "namespace", "key");

-- CreateIndex
CREATE INDEX "CacheEntry_scope_namespace_context_idx" ON "CacheEntry"("scope", "namespace", "context");

-- CreateIndex
CREATE INDEX "CacheEntry_expiresAt_idx" ON "CacheEntry"("expiresAt");
