-- API keys: an optional expiry, and rotation with a grace period (the secret before the last rotation keeps
-- working until previousHashValidUntil).

-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN "expiresAt" TIMESTAMPTZ(3),
ADD COLUMN "previousHash" TEXT,
ADD COLUMN "previousHashValidUntil" TIMESTAMPTZ(3);

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_previousHash_key" ON "ApiKey"("previousHash");
