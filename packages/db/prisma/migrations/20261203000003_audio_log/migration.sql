-- Audio routes: seconds transcribed and bytes uploaded or generated (never the audio itself).

-- AlterTable
ALTER TABLE "RequestLog" ADD COLUMN "audioSeconds" DOUBLE PRECISION,
ADD COLUMN "audioBytes" INTEGER;
