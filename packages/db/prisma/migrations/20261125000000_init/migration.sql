-- CreateTable
CREATE TABLE "Provider" (
    "id" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "config" JSONB NOT NULL,
    "apiKey" TEXT,
    "source" TEXT NOT NULL,
    "configHash" TEXT,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Provider_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiKey" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "allowedProviders" JSONB,
    "allowedModels" JSONB,
    "rateLimitRpm" INTEGER,
    "rateLimitTpm" INTEGER,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMPTZ(3),
    "revokedAt" TIMESTAMPTZ(3),

    CONSTRAINT "ApiKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RequestLog" (
    "id" TEXT NOT NULL,
    "time" TIMESTAMPTZ(3) NOT NULL,
    "apiKeyId" TEXT,
    "method" TEXT NOT NULL,
    "route" TEXT NOT NULL,
    "model" TEXT,
    "requestedProviders" TEXT,
    "attempts" JSONB NOT NULL,
    "provider" TEXT,
    "servedModel" TEXT,
    "status" INTEGER NOT NULL,
    "stream" BOOLEAN NOT NULL,
    "latencyMs" DOUBLE PRECISION NOT NULL,
    "ttftMs" DOUBLE PRECISION,
    "promptTokens" INTEGER,
    "completionTokens" INTEGER,
    "totalTokens" INTEGER,
    "error" TEXT,

    CONSTRAINT "RequestLog_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Setting" (
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "Setting_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_hash_key" ON "ApiKey"("hash");

-- CreateIndex
CREATE INDEX "RequestLog_time_id_idx" ON "RequestLog"("time" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "RequestLog_provider_time_idx" ON "RequestLog"("provider", "time" DESC);

-- CreateIndex
CREATE INDEX "RequestLog_apiKeyId_time_idx" ON "RequestLog"("apiKeyId", "time" DESC);

-- CreateIndex
CREATE INDEX "RequestLog_status_time_idx" ON "RequestLog"("status", "time" DESC);
