-- Optional request and response bodies (LOG_BODIES), kept apart from the log rows and purged after their retention.

-- CreateTable
CREATE TABLE "RequestBody" (
    "id" TEXT NOT NULL,
    "time" TIMESTAMPTZ(3) NOT NULL,
    "request" TEXT,
    "response" TEXT,
    "truncated" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "RequestBody_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "RequestBody_time_idx" ON "RequestBody"("time");
