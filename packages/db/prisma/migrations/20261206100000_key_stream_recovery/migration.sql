-- A key's default for streams cut after content: "continue" (another provider carries the answer on) or "off".

-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN "streamRecovery" TEXT;
